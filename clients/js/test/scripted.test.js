// The client's side of exchanges that the real gateway cannot be made to produce on demand (a slow-consumer kick,
// a duplicate during recovery, a lost kicked frame) or not yet (1.1 frames), played by a scripted peer that speaks
// the contract's frames. The real-gateway tests in the other files remain the reference; these check the
// library's reactions frame by frame.
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { clientFactory, nextEvent, nowSeconds, record, sleep, until } from '../test-support/util.js';

const T = { timeout: 20000 };
const clients = clientFactory({ minReconnectDelay: 50, maxReconnectDelay: 200 });
const servers = new Set();

afterEach(() => clients.cleanup());
after(async () => {
  for (const s of servers) await s.close();
});

/**
 * A scripted peer on a free loopback port. `script(conn, frame)` handles each client frame; by default `auth` gets
 * a `welcome` (user = token) and `ping` a `pong`. `conn.send(frame)` writes a frame.
 */
async function scriptedGateway(script = () => false, welcome = () => ({})) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const connections = [];
  wss.on('connection', (ws) => {
    const conn = {
      ws, frames: [], n: connections.length + 1,
      send: (f) => ws.send(JSON.stringify(f)),
    };
    connections.push(conn);
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      conn.frames.push(f);
      if (script(conn, f)) return;
      if (f.type === 'auth') {
        conn.send({ type: 'welcome', id: f.id, user: f.token, conn: `c${conn.n}`, heartbeat: 60, ...welcome(conn, f) });
      } else if (f.type === 'ping') {
        conn.send({ type: 'pong' });
      }
    });
  });
  const server = {
    url: `ws://127.0.0.1:${wss.address().port}/ws`,
    connections,
    last: () => connections[connections.length - 1],
    close: () => new Promise((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => resolve());
    }),
  };
  servers.add(server);
  return server;
}

test('kicked slow_consumer: reconnect with backoff', T, async () => {
  const gw = await scriptedGateway();
  const c = await clients.connected(gw.url, { token: 'slow' });
  const kicked = nextEvent(c, 'kicked');
  const gone = nextEvent(c, 'disconnect');
  gw.last().send({ type: 'kicked', reason: 'slow_consumer' });
  assert.deepEqual(await kicked, { reason: 'slow_consumer', reconnect: true });
  const info = await gone;
  assert.equal(info.kicked, 'slow_consumer');
  assert.equal(info.reconnect, true);
  await nextEvent(c, 'connect');
  assert.equal(gw.connections.length, 2);
});

test('kicked with a reason this client does not know: reconnect', T, async () => {
  const gw = await scriptedGateway();
  const c = await clients.connected(gw.url, { token: 'future' });
  gw.last().send({ type: 'kicked', reason: 'maintenance_2030' });
  await nextEvent(c, 'connect');
  assert.equal(gw.connections.length, 2);
});

test('kicked expired: a fresh token from the token function, then a reconnect with it', T, async () => {
  const gw = await scriptedGateway();
  const reasons = [];
  const c = await clients.connected(gw.url, { token: async ({ reason }) => { reasons.push(reason); return `t${reasons.length}`; } });
  assert.equal(c.user, 't1');
  gw.last().send({ type: 'kicked', reason: 'expired' });
  await nextEvent(c, 'connect');
  assert.deepEqual(reasons, ['connect', 'expired']);
  assert.equal(gw.last().frames[0].token, 't2');
});

test('kicked expired with a static token: stop', T, async () => {
  const gw = await scriptedGateway();
  const c = await clients.connected(gw.url, { token: 'static' });
  const gone = nextEvent(c, 'disconnect');
  gw.last().send({ type: 'kicked', reason: 'expired' });
  const info = await gone;
  assert.equal(info.kicked, 'expired');
  assert.equal(info.reconnect, false);
  assert.equal(c.state, 'disconnected');
});

test('a close with status 4001 whose kicked frame was lost is an admin kick: stop', T, async () => {
  const gw = await scriptedGateway();
  const c = await clients.connected(gw.url, { token: 'lostframe' });
  const kicked = nextEvent(c, 'kicked');
  gw.last().ws.close(4001);
  assert.deepEqual(await kicked, { reason: 'admin', reconnect: false });
  await sleep(300);
  assert.equal(c.state, 'disconnected');
  assert.equal(gw.connections.length, 1);
});

test('refresh: sent before welcome.expires with a new token; the ack\'s expires is taken', T, async () => {
  const newExpiry = nowSeconds() + 600;
  const gw = await scriptedGateway((conn, f) => {
    if (f.type !== 'refresh') return false;
    conn.send({ type: 'ack', id: f.id, expires: newExpiry });
    return true;
  }, () => ({ expires: nowSeconds() + 3 }));
  let n = 0;
  const c = await clients.connected(gw.url, { token: async () => `tok${++n}`, refreshMargin: 30000, refreshJitter: 0 });
  const refreshed = await nextEvent(c, 'refresh', { timeout: 5000 });
  assert.equal(refreshed.expires, newExpiry);
  assert.equal(c.expires, newExpiry);
  const frame = gw.last().frames.find((f) => f.type === 'refresh');
  assert.equal(frame.token, 'tok2');
  assert.equal(gw.connections.length, 1);
});

test('any frame counts as an answer; silence past the pong timeout is a dead connection', T, async () => {
  let chatter = null;
  const gw = await scriptedGateway((conn, f) => {
    if (f.type === 'ping') return true; // never pong
    if (f.type === 'auth' && conn.n === 1) {
      chatter = setInterval(() => conn.send({ type: 'message', mid: `m${Date.now()}`, from: 'x', to: 'alive', body: 1, ts: 0 }), 200);
    }
    return false;
  }, () => ({ heartbeat: 1 }));
  const c = await clients.connected(gw.url, { token: 'alive' });
  const events = record(c, ['disconnect']);
  await sleep(2000);
  assert.deepEqual(events, [], 'messages keep it alive without pongs');
  clearInterval(chatter);
  const info = await nextEvent(c, 'disconnect', { timeout: 3000 });
  assert.equal(info.reason, 'heartbeat');
});

test('room recovery: duplicates by offset and our own messages are dropped; recovered counts the new ones', T,
  async () => {
    const gw = await scriptedGateway((conn, f) => {
      if (f.type === 'publish') {
        conn.send({ type: 'ack', id: f.id, recipients: 1, mid: 'own-1' });
        return true;
      }
      if (f.type !== 'join') return false;
      if (conn.n === 1) {
        conn.send({ type: 'ack', id: f.id, epoch: 'E', offset: 0, events: true });
        for (const o of [1, 2, 3]) conn.send({ type: 'message', mid: `m${o}`, from: 'b', room: 'r', body: o, ts: 0, offset: o });
      } else {
        // Replays from since (3): a duplicate of 3, our own 4, then 5 and 6.
        conn.send({ type: 'message', mid: 'm3', from: 'b', room: 'r', body: 3, ts: 0, offset: 3 });
        conn.send({ type: 'message', mid: 'own-1', from: 'me', room: 'r', body: 'mine', ts: 0, offset: 4 });
        conn.send({ type: 'message', mid: 'm5', from: 'b', room: 'r', body: 5, ts: 0, offset: 5 });
        conn.send({ type: 'message', mid: 'm6', from: 'b', room: 'r', body: 6, ts: 0, offset: 6 });
        conn.send({ type: 'ack', id: f.id, epoch: 'E', offset: 6, events: true, recovered: true });
        conn.send({ type: 'message', mid: 'm7', from: 'b', room: 'r', body: 7, ts: 0, offset: 7 });
        conn.send({ type: 'message', mid: 'm7', from: 'b', room: 'r', body: 7, ts: 0, offset: 7 });
      }
      return true;
    });
    const c = await clients.connected(gw.url, { token: 'me' });
    const room = c.room('r');
    const got = [];
    room.on('message', (m) => got.push(m.body));
    await room.join();
    await until(() => got.length === 3, 'three messages');
    await room.publish('mine');
    assert.deepEqual(room.position, { epoch: 'E', offset: 3 });
    const recovered = nextEvent(room, 'recovered');
    gw.last().ws.terminate();
    const r = await recovered;
    assert.deepEqual(gw.last().frames.find((f) => f.type === 'join').since, { epoch: 'E', offset: 3 });
    assert.deepEqual(r.since, { epoch: 'E', offset: 3 });
    assert.equal(r.count, 3, 'own message 4, 5 and 6 were replayed; the duplicate of 3 does not count');
    await until(() => got.includes(7), 'the live message');
    await sleep(100);
    assert.deepEqual(got, [1, 2, 3, 5, 6, 7]);
    assert.deepEqual(room.position, { epoch: 'E', offset: 7 });
  });

test('room gap: recovered false gives a gap event and the position moves to the new epoch', T, async () => {
  const gw = await scriptedGateway((conn, f) => {
    if (f.type !== 'join') return false;
    conn.send(conn.n === 1 ? { type: 'ack', id: f.id, epoch: 'E', offset: 9 }
      : { type: 'ack', id: f.id, epoch: 'F', offset: 2, recovered: false });
    return true;
  });
  const c = await clients.connected(gw.url, { token: 'gapper' });
  const room = c.room('g');
  await room.join();
  const gap = nextEvent(room, 'gap');
  gw.last().ws.terminate();
  assert.deepEqual(await gap, { room: 'g', since: { epoch: 'E', offset: 9 }, epoch: 'F', offset: 2 });
  assert.deepEqual(room.position, { epoch: 'F', offset: 2 });
});

test('inbox: auth since, replay before welcome with a duplicate dropped, welcome.recovered', T, async () => {
  const gw = await scriptedGateway((conn, f) => {
    if (f.type !== 'auth') return false;
    if (conn.n === 1) {
      conn.send({ type: 'welcome', id: f.id, user: 'u', conn: 'c1', heartbeat: 60, inbox: { epoch: 'I', offset: 4 } });
      conn.send({ type: 'message', mid: 'd5', from: 'x', to: 'u', body: 5, ts: 0, offset: 5 });
    } else {
      conn.send({ type: 'message', mid: 'd5', from: 'x', to: 'u', body: 5, ts: 0, offset: 5 });
      conn.send({ type: 'message', mid: 'd6', from: 'x', to: 'u', body: 6, ts: 0, offset: 6 });
      conn.send({ type: 'welcome', id: f.id, user: 'u', conn: 'c2', heartbeat: 60, inbox: { epoch: 'I', offset: 6 }, recovered: true });
    }
    return true;
  });
  const c = clients(gw.url, { token: 'u' });
  const got = [];
  c.on('message', (m) => got.push(m.body));
  c.connect();
  await until(() => got.length === 1, 'the first direct message');
  assert.deepEqual(c.inbox, { epoch: 'I', offset: 5 });
  const recovered = nextEvent(c, 'recovered');
  gw.last().ws.terminate();
  const r = await recovered;
  assert.deepEqual(gw.last().frames[0].since, { epoch: 'I', offset: 5 });
  assert.equal(r.count, 1);
  assert.deepEqual(got, [5, 6]);
  assert.deepEqual(c.inbox, { epoch: 'I', offset: 6 });
});

test('the server puts us in a room and takes us out: room event, joined, left removed, no rejoin', T, async () => {
  const gw = await scriptedGateway();
  const c = await clients.connected(gw.url, { token: 'moved' });
  const created = nextEvent(c, 'room');
  gw.last().send({ type: 'joined', room: 'ops', user: 'moved' });
  const room = await created;
  assert.equal(room.name, 'ops');
  assert.equal(room.state, 'joined');
  const msg = nextEvent(room, 'message');
  gw.last().send({ type: 'message', mid: 'x1', from: '$server', room: 'ops', body: 'hi', ts: 0 });
  assert.equal((await msg).body, 'hi');
  const left = nextEvent(room, 'left');
  gw.last().send({ type: 'left', room: 'ops', user: 'moved', reason: 'removed' });
  assert.deepEqual(await left, { room: 'ops', user: 'moved', self: true, reason: 'removed' });
  assert.equal(room.state, 'unjoined');
  gw.last().ws.terminate();
  await nextEvent(c, 'connect');
  await sleep(100);
  assert.equal(gw.last().frames.filter((f) => f.type === 'join').length, 0, 'a removed room is not rejoined');
});

test('a join with no answer times out, the connection is recycled and the room joined on the next one', T,
  async () => {
    const gw = await scriptedGateway((conn, f) => {
      if (f.type !== 'join') return false;
      if (conn.n > 1) conn.send({ type: 'ack', id: f.id });
      return true; // the first connection never answers
    });
    const c = await clients.connected(gw.url, { token: 'patient' });
    const room = c.room('slow');
    const err = await room.join({ timeout: 200 }).then(() => null, (e) => e);
    assert.equal(err.code, 'timeout');
    await until(() => room.state === 'joined', 'joined on the next connection');
    assert.equal(gw.connections.length, 2);
  });

test('a rejoin refused with forbidden: the room is unjoined and says error', T, async () => {
  const gw = await scriptedGateway((conn, f) => {
    if (f.type !== 'join') return false;
    conn.send(conn.n === 1 ? { type: 'ack', id: f.id }
      : { type: 'error', id: f.id, code: 'forbidden', message: 'no grant for this room' });
    return true;
  });
  const c = await clients.connected(gw.url, { token: 'revoked' });
  const room = c.room('private');
  await room.join();
  const error = nextEvent(room, 'error');
  gw.last().ws.terminate();
  const e = await error;
  assert.equal(e.code, 'forbidden');
  assert.equal(e.frame.message, 'no grant for this room');
  assert.equal(room.state, 'unjoined');
});

test('a join refused with a passing code (rate_limited) is tried again; the room stays wanted', T, async () => {
  let joins = 0;
  const gw = await scriptedGateway((conn, f) => {
    if (f.type !== 'join') return false;
    joins++;
    conn.send(joins === 1 ? { type: 'error', id: f.id, code: 'rate_limited', message: 'slow down' }
      : { type: 'ack', id: f.id });
    return true;
  });
  const c = await clients.connected(gw.url, { token: 'eager' });
  const room = c.room('busy');
  const err = await room.join().then(() => null, (e) => e);
  assert.equal(err.code, 'rate_limited');
  await until(() => room.state === 'joined', 'joined on the second try');
  assert.equal(joins, 2);
  assert.equal(gw.connections.length, 1);
});
