// Protocol v1 behaviour against a real gateway in development mode (the token is the user id): connecting,
// direct messages and rooms with their acks, and every error a call can end with.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, FrameTooLargeError } from '../src/index.js';
import { randomToken, startGateway } from '../test-support/gateway.js';
import { startProxy } from '../test-support/proxy.js';
import { WebSocket, clientFactory, nextEvent, record, sleep, spyWebSocket, until } from '../test-support/util.js';

const T = { timeout: 30000 };
let gw;
const clients = clientFactory();

before(async () => {
  gw = await startGateway({ GATEWAY_ADMIN_TOKEN: randomToken() });
});
after(async () => {
  clients.cleanup();
  await gw?.stop();
});
afterEach(() => clients.cleanup());

describe('connecting', () => {
  test('a string token connects: state goes connecting -> connected and connect carries the welcome', T, async () => {
    const c = clients(gw.wsUrl, { token: 'alice' });
    const log = record(c, ['state', 'connect']);
    c.connect();
    const welcome = await nextEvent(c, 'connect');
    assert.equal(welcome.type, 'welcome');
    assert.equal(welcome.user, 'alice');
    assert.equal(c.user, 'alice');
    assert.equal(typeof c.conn, 'string');
    assert.equal(c.heartbeat, 60);
    assert.equal(c.state, 'connected');
    assert.deepEqual(log.filter((e) => e.event === 'state').map((e) => e.arg.state), ['connecting', 'connected']);
  });

  test('an async token function is called once with reason connect', T, async () => {
    const reasons = [];
    const c = await clients.connected(gw.wsUrl, {
      token: async (ctx) => { reasons.push(ctx.reason); await sleep(10); return 'bob'; },
    });
    assert.equal(c.user, 'bob');
    assert.deepEqual(reasons, ['connect']);
  });

  test('the token goes in the auth frame, not in the URL', T, async () => {
    const spy = spyWebSocket();
    const c = await clients.connected(gw.wsUrl, { token: 'tokencheck', WebSocket: spy.WebSocket });
    assert.equal(c.url.includes('tokencheck'), false);
    const auth = spy.frames('auth');
    assert.equal(auth.length, 1);
    assert.equal(auth[0].token, 'tokencheck');
  });

  test('disconnect() stops for good: state disconnected, disconnect event with reason client', T, async () => {
    const c = await clients.connected(gw.wsUrl, { token: 'dora' });
    const gone = nextEvent(c, 'disconnect');
    c.disconnect();
    const info = await gone;
    assert.equal(info.reason, 'client');
    assert.equal(info.reconnect, false);
    assert.equal(c.state, 'disconnected');
    await sleep(700);
    assert.equal(c.state, 'disconnected');
  });

  test('no WebSocket constructor anywhere is a TypeError at construction', () => {
    if (typeof globalThis.WebSocket === 'function') return; // Node 22+ has one
    assert.throws(() => clients(gw.wsUrl, { token: 'x', WebSocket: undefined }), TypeError);
  });
});

describe('direct messages', () => {
  test('send resolves with the ack (recipients, mid) and the recipient gets the message', T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'ann' });
    const b = await clients.connected(gw.wsUrl, { token: 'ben' });
    const got = nextEvent(b, 'message');
    const ack = await a.send('ben', { text: 'hi ben', n: 1 });
    assert.equal(ack.type, 'ack');
    assert.equal(ack.recipients, 1);
    assert.equal(typeof ack.mid, 'string');
    const m = await got;
    assert.equal(m.from, 'ann');
    assert.equal(m.to, 'ben');
    assert.equal(m.mid, ack.mid);
    assert.deepEqual(m.body, { text: 'hi ben', n: 1 });
    assert.equal(typeof m.ts, 'number');
  });

  test('send to a user with no connection rejects with a ChatError user_offline carrying the frame', T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'cat' });
    const err = await a.send('nobody-here', 'hello').then(() => null, (e) => e);
    assert.ok(err instanceof ChatError);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'user_offline');
    assert.equal(err.frame.type, 'error');
    assert.equal(err.frame.code, 'user_offline');
    assert.equal(typeof err.message, 'string');
    assert.equal(a.state, 'connected');
  });

  test('a malformed call is answered with the gateway code (bad_request), the connection stays', T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'dan' });
    const err = await a.send('someone').then(() => null, (e) => e); // no body: the gateway needs one
    assert.equal(err.code, 'bad_request');
    assert.equal(a.state, 'connected');
    const p = await a.presence();
    assert.ok(p.users.includes('dan'));
  });

  test('ephemeral: true goes on the wire and the message is still delivered', T, async () => {
    const spy = spyWebSocket();
    const a = await clients.connected(gw.wsUrl, { token: 'eph1', WebSocket: spy.WebSocket });
    const b = await clients.connected(gw.wsUrl, { token: 'eph2' });
    const got = nextEvent(b, 'message');
    await a.send('eph2', 'typing...', { ephemeral: true });
    assert.equal((await got).body, 'typing...');
    assert.equal(spy.frames('send')[0].ephemeral, true);
  });
});

describe('rooms', () => {
  test('join, joined/left events, publish with ack, presence, leave', T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'rita' });
    const b = await clients.connected(gw.wsUrl, { token: 'sam' });
    const ra = a.room('lobby');
    assert.equal(a.room('lobby'), ra, 'one Room object per name');
    const states = record(ra, ['state']);
    const ack = await ra.join();
    assert.equal(ack.type, 'ack');
    assert.equal(ra.state, 'joined');
    assert.deepEqual(states.map((e) => e.arg.state), ['joining', 'joined']);

    const joined = nextEvent(ra, 'joined');
    const rb = b.room('lobby');
    await rb.join();
    assert.deepEqual(await joined, { room: 'lobby', user: 'sam', self: false });

    const got = nextEvent(ra, 'message');
    const pack = await rb.publish({ text: 'hello room' });
    assert.equal(pack.recipients, 1);
    const m = await got;
    assert.equal(m.room, 'lobby');
    assert.equal(m.from, 'sam');
    assert.equal(m.mid, pack.mid);
    assert.deepEqual(m.body, { text: 'hello room' });

    const presence = await ra.presence();
    assert.deepEqual([...presence.users].sort(), ['rita', 'sam']);

    const left = nextEvent(ra, 'left');
    const lack = await rb.leave();
    assert.equal(lack.type, 'ack');
    assert.equal(rb.state, 'unjoined');
    const l = await left;
    assert.equal(l.user, 'sam');
    assert.equal(l.self, false);

    const err = await rb.publish('after leave').then(() => null, (e) => e);
    assert.equal(err.code, 'not_in_room');
  });

  test('leave() of a room never joined resolves null without asking the gateway', T, async () => {
    const spy = spyWebSocket();
    const a = await clients.connected(gw.wsUrl, { token: 'leo', WebSocket: spy.WebSocket });
    assert.equal(await a.room('never').leave(), null);
    assert.equal(spy.frames('leave').length, 0);
  });

  test('global presence lists online users', T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'pia' });
    const p = await a.presence();
    assert.equal(p.type, 'presence');
    assert.ok(p.users.includes('pia'));
  });

  test('join() before connect() waits and resolves once connected', T, async () => {
    const a = clients(gw.wsUrl, { token: 'early' });
    const joined = a.room('early-room').join();
    a.connect();
    const ack = await joined;
    assert.equal(ack.type, 'ack');
    assert.equal(a.room('early-room').state, 'joined');
  });
});

describe('calls without a connection', () => {
  test('are rejected at once with code disconnected (before connect and after disconnect)', T, async () => {
    const a = clients(gw.wsUrl, { token: 'off1' });
    let t0 = Date.now();
    let err = await a.send('x', 1).then(() => null, (e) => e);
    assert.ok(err instanceof ChatError);
    assert.equal(err.code, 'disconnected');
    assert.equal(err.frame, undefined);
    assert.ok(Date.now() - t0 < 200);

    a.connect();
    await a.ready(10000);
    a.disconnect();
    t0 = Date.now();
    err = await a.room('r').publish('x').then(() => null, (e) => e);
    assert.equal(err.code, 'disconnected');
    err = await a.presence().then(() => null, (e) => e);
    assert.equal(err.code, 'disconnected');
    assert.ok(Date.now() - t0 < 200);
  });

  test('while connecting they are rejected too, unless the offline queue is on', T, async () => {
    const a = clients(gw.wsUrl, { token: 'off2' });
    a.connect();
    const err = await a.presence().then(() => null, (e) => e);
    assert.equal(err.code, 'disconnected');
    await a.ready(10000);
  });

  test('with offlineQueue they wait for the connection, up to the bound; queue: false opts out', T, async () => {
    const a = clients(gw.wsUrl, { token: 'off3', offlineQueue: 2 });
    a.connect();
    assert.equal(a.state, 'connecting');
    const first = a.presence();
    const second = a.room('q-room').presence();
    const third = a.presence().then(() => null, (e) => e);
    const optOut = a.presence({ queue: false }).then(() => null, (e) => e);
    assert.equal((await third).code, 'queue_full');
    assert.equal((await optOut).code, 'disconnected');
    const p1 = await first;
    assert.ok(p1.users.includes('off3'));
    const p2 = await second;
    assert.equal(p2.room, 'q-room');
  });

  test('calls still queued when disconnect() is called are rejected with disconnected', T, async () => {
    const a = clients(gw.wsUrl, { token: 'off4', offlineQueue: 5 });
    a.connect();
    const queued = a.presence().then(() => null, (e) => e);
    a.disconnect();
    assert.equal((await queued).code, 'disconnected');
  });
});

describe('frame size', () => {
  test('a frame of exactly maxFrameBytes (from /client-config) is sent; one byte more is refused locally', T,
    async () => {
      const config = await gw.clientConfig();
      const max = config.maxFrameBytes;
      assert.equal(typeof max, 'number');
      const spy = spyWebSocket();
      const a = await clients.connected(gw.wsUrl, { token: 'big1', WebSocket: spy.WebSocket, maxFrameBytes: max });
      await clients.connected(gw.wsUrl, { token: 'big2' });

      // Learn the frame's overhead from a refused frame, then aim at exactly the limit.
      const probe = await a.send('big2', 'x'.repeat(max)).then(() => null, (e) => e);
      assert.ok(probe instanceof FrameTooLargeError);
      assert.equal(probe.code, 'frame_too_large');
      assert.equal(probe.limit, max);
      let length = max - (probe.size - max);
      let ack = null;
      for (let i = 0; i < 3 && !ack; i++) { // the id's digits may grow by one between calls
        const sentBefore = spy.sent.length;
        const r = await a.send('big2', 'x'.repeat(length)).then((v) => v, (e) => e);
        if (r instanceof FrameTooLargeError) {
          assert.equal(spy.sent.length, sentBefore, 'a refused frame is not sent');
          length -= r.size - max;
        } else {
          ack = r;
          assert.equal(Buffer.byteLength(spy.sent.at(-1)), max, 'the frame sent is exactly the limit');
        }
      }
      assert.equal(ack.recipients, 1, 'the gateway accepted a frame of exactly the limit');

      const sentBefore = spy.sent.length;
      const err = await a.send('big2', 'y'.repeat(length + 1)).then(() => null, (e) => e);
      assert.ok(err instanceof FrameTooLargeError);
      assert.equal(err.size, max + 1);
      assert.equal(spy.sent.length, sentBefore);
      // Multi-byte characters count as their UTF-8 bytes.
      const wide = await a.send('big2', '\u00e9'.repeat(Math.ceil(max / 2))).then(() => null, (e) => e);
      assert.ok(wide instanceof FrameTooLargeError);
      assert.equal(a.state, 'connected');
      assert.ok((await a.presence()).users.includes('big1'), 'the connection is still fine');
    });

  test('the gateway itself would have closed the connection for that one byte more (1009)', T, async () => {
    const { maxFrameBytes: max } = await gw.clientConfig();
    const ws = new WebSocket(`${gw.wsUrl}?token=rawbig`);
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    const head = '{"type":"ping","pad":"';
    ws.send(head + 'z'.repeat(max + 1 - head.length - 2) + '"}');
    assert.equal(await closed, 1009);
  });
});

describe('timeouts', () => {
  test('a call with no answer rejects with code timeout after its own timeout', T, async () => {
    const proxy = await startProxy(gw.httpPort);
    try {
      const a = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'slowpoke', pongTimeout: 30000 });
      proxy.freeze();
      const t0 = Date.now();
      const err = await a.send('anyone', 'lost', { timeout: 300 }).then(() => null, (e) => e);
      const took = Date.now() - t0;
      assert.ok(err instanceof ChatError);
      assert.equal(err.code, 'timeout');
      assert.ok(took >= 280 && took < 3000, `timed out after ${took} ms`);
      const err2 = await a.room('r').presence({ timeout: 200 }).then(() => null, (e) => e);
      assert.equal(err2.code, 'timeout');
      assert.equal(a.state, 'connected', 'a call timeout alone does not end the connection');
    } finally {
      await proxy.close();
    }
  });

  test('a call in flight when the connection drops is rejected with disconnected', T, async () => {
    const proxy = await startProxy(gw.httpPort);
    try {
      const a = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'dropped', pongTimeout: 30000 });
      proxy.freeze();
      const pending = a.presence({ timeout: 20000 }).then(() => null, (e) => e);
      await sleep(50);
      proxy.cut();
      const err = await pending;
      assert.equal(err.code, 'disconnected');
    } finally {
      await proxy.close();
    }
  });
});

describe('kicks', () => {
  test('kicked replaced: another login of the same user; the old client stops and does not come back', T,
    async () => {
      const first = await clients.connected(gw.wsUrl, { token: 'twin' });
      const kicked = nextEvent(first, 'kicked');
      const gone = nextEvent(first, 'disconnect');
      const second = await clients.connected(gw.wsUrl, { token: 'twin' });
      assert.deepEqual(await kicked, { reason: 'replaced', reconnect: false });
      const info = await gone;
      assert.equal(info.reason, 'kicked');
      assert.equal(info.kicked, 'replaced');
      assert.equal(info.reconnect, false);
      assert.equal(first.state, 'disconnected');
      await sleep(1500);
      assert.equal(first.state, 'disconnected');
      assert.equal(second.state, 'connected', 'the new login was not replaced back');
    });

  test('kicked admin through the admin API: the client stops', T, async () => {
    const c = await clients.connected(gw.wsUrl, { token: 'mallory' });
    const states = record(c, ['state']);
    const kicked = nextEvent(c, 'kicked');
    const gone = nextEvent(c, 'disconnect');
    const res = await gw.admin('POST', '/api/users/mallory/disconnect');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { user: 'mallory', kicked: 1 });
    assert.deepEqual(await kicked, { reason: 'admin', reconnect: false });
    assert.equal((await gone).kicked, 'admin');
    await sleep(1500);
    assert.equal(c.state, 'disconnected');
    assert.deepEqual(states.map((e) => e.arg.state), ['disconnected']);
    const online = await gw.admin('GET', '/api/users/mallory');
    assert.equal(online.status, 404, 'mallory did not come back');
  });
});

describe('reconnect', () => {
  test('a cut connection reconnects and rejoins its rooms; messages flow again', T, async () => {
    const proxy = await startProxy(gw.httpPort);
    try {
      const a = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'phoenix', minReconnectDelay: 100 });
      const b = await clients.connected(gw.wsUrl, { token: 'watcher' });
      const room = a.room('rebirth');
      await room.join();
      await b.room('rebirth').join();
      const conn1 = a.conn;
      const disconnected = nextEvent(a, 'disconnect');
      const states = record(room, ['state']);
      proxy.cut();
      const info = await disconnected;
      assert.equal(info.reason, 'transport');
      assert.equal(info.reconnect, true);
      assert.ok(info.delay >= 0 && info.delay < 100);
      await nextEvent(a, 'connect');
      assert.notEqual(a.conn, conn1);
      await until(() => room.state === 'joined', 'the room to be rejoined');
      assert.deepEqual(states.map((e) => e.arg.state), ['joining', 'joined']);
      const got = nextEvent(room, 'message');
      await b.room('rebirth').publish('welcome back');
      assert.equal((await got).body, 'welcome back');
      assert.deepEqual([...(await room.presence()).users].sort(), ['phoenix', 'watcher']);
    } finally {
      await proxy.close();
    }
  });

  test('a gateway that refuses connections is retried with backoff until it is there', T, async () => {
    const proxy = await startProxy(1); // nothing listens on port 1: every attempt is refused
    try {
      const spy = spyWebSocket();
      const c = clients(proxy.wsUrl(), {
        token: 'retry', WebSocket: spy.WebSocket, minReconnectDelay: 50, maxReconnectDelay: 200,
      });
      c.connect();
      await until(() => spy.opened >= 4, 'four attempts', 5000);
      assert.equal(c.state, 'connecting');
    } finally {
      await proxy.close();
    }
  });
});
