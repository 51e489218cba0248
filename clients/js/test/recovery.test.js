// History and recovery (protocol 1.1) against a real gateway: a client whose connection dies while messages keep
// coming rejoins with `since` and ends up with every message exactly once, in order; rooms and the direct-message
// inbox alike, against the gateway's protocol 1.1 history and recovery.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../test-support/gateway.js';
import { startProxy } from '../test-support/proxy.js';
import { clientFactory, nextEvent, sleep, spyWebSocket, until } from '../test-support/util.js';

const T = { timeout: 30000 };
let gw;
let proxy;
const clients = clientFactory({ minReconnectDelay: 100, maxReconnectDelay: 500 });

before(async () => {
  // A 2 s heartbeat: the client finds a blackholed connection dead within about 2 s.
  gw = await startGateway({ GATEWAY_HEARTBEAT_SECONDS: '2' });
});
after(async () => {
  clients.cleanup();
  await proxy?.close();
  await gw?.stop();
});
afterEach(async () => {
  clients.cleanup();
  await proxy?.close();
  proxy = null;
});

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('room: 0 messages lost or doubled across a dead connection and a rejoin with since',
  T,
  async () => {
    proxy = await startProxy(gw.httpPort);
    const spy = spyWebSocket();
    const a = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'reader', WebSocket: spy.WebSocket });
    const b = await clients.connected(gw.wsUrl, { token: 'writer' });
    const ra = a.room('feed');
    const received = [];
    ra.on('message', (m) => received.push(m));
    const ack = await ra.join();
    assert.equal(typeof ack.epoch, 'string', 'the join ack carries epoch');
    assert.equal(typeof ack.offset, 'number', 'the join ack carries offset');
    const rb = b.room('feed');
    await rb.join();

    for (const n of range(1, 10)) await rb.publish(n);
    await until(() => received.length === 10, 'the first 10 messages');
    assert.ok(received.every((m) => Number.isInteger(m.offset)), 'kept room messages carry offset');
    const before = ra.position;
    assert.equal(before.offset, received[9].offset);

    const gone = nextEvent(a, 'disconnect');
    const recovered = nextEvent(ra, 'recovered', { timeout: 15000 });
    proxy.freeze(); // the gateway keeps writing into a connection nobody reads
    for (const n of range(11, 30)) await rb.publish(n);
    assert.equal((await gone).reason, 'heartbeat');
    const r = await recovered;
    assert.deepEqual(r.since, before);
    assert.equal(r.count, 20);
    const rejoin = spy.frames('join').at(-1);
    assert.deepEqual(rejoin.since, before, 'the rejoin asked for what came after the last message seen');

    for (const n of range(31, 40)) await rb.publish(n);
    await until(() => received.length >= 40, 'all 40 messages', 15000);
    assert.deepEqual(received.map((m) => m.body), range(1, 40), 'every message once, in order');
    const offsets = received.map((m) => m.offset);
    assert.deepEqual(offsets, range(offsets[0], offsets[0] + 39), 'offsets go up by one');
    assert.equal(new Set(received.map((m) => m.mid)).size, 40);
  });

test('inbox: direct messages missed while the connection was dead come back before welcome, once each',
  T,
  async () => {
    proxy = await startProxy(gw.httpPort);
    const spy = spyWebSocket();
    const a = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'inboxer', WebSocket: spy.WebSocket });
    const b = await clients.connected(gw.wsUrl, { token: 'sender' });
    const welcome = spy.frames('auth');
    assert.equal(welcome.length, 1);
    assert.ok(a.inbox, 'welcome carried inbox');
    const received = [];
    a.on('message', (m) => received.push(m));
    for (const n of range(1, 5)) await b.send('inboxer', n);
    await until(() => received.length === 5, 'the first 5 direct messages');
    const before = a.inbox;
    assert.equal(before.offset, received[4].offset);

    const recovered = nextEvent(a, 'recovered', { timeout: 15000 });
    proxy.freeze();
    for (const n of range(6, 15)) await b.send('inboxer', n);
    const r = await recovered;
    assert.deepEqual(r.since, before);
    assert.equal(r.count, 10);
    assert.deepEqual(spy.frames('auth').at(-1).since, before);
    for (const n of range(16, 20)) await b.send('inboxer', n);
    await until(() => received.length >= 20, 'all 20 direct messages', 15000);
    assert.deepEqual(received.map((m) => m.body), range(1, 20));
  });

test('a send to a user who just went away is stored; a client created later with since gets it',
  T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'away' });
    const b = await clients.connected(gw.wsUrl, { token: 'keeper' });
    const position = a.inbox;
    assert.ok(position, 'welcome carried inbox');
    a.disconnect();
    for (let i = 0; i < 100 && (await b.presence()).users.includes('away'); i++) await sleep(50);
    const ack = await b.send('away', 'kept for later');
    assert.equal(ack.recipients, 0);
    assert.equal(ack.stored, true);
    const later = clients(gw.wsUrl, { token: 'away', since: position });
    const got = nextEvent(later, 'message');
    const recovered = nextEvent(later, 'recovered');
    later.connect();
    const m = await got;
    assert.equal(m.body, 'kept for later');
    assert.equal(m.mid, ack.mid);
    assert.equal((await recovered).count, 1);
  });

test('room: a since the gateway cannot serve (another epoch) gives recovered: false and a gap event',
  T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'gapper' });
    const room = a.room('gappy', { since: { epoch: 'not-this-epoch', offset: 3 } });
    const gap = nextEvent(room, 'gap');
    const ack = await room.join();
    assert.equal(ack.recovered, false);
    const g = await gap;
    assert.deepEqual(g.since, { epoch: 'not-this-epoch', offset: 3 });
    assert.equal(g.epoch, ack.epoch);
    assert.deepEqual(room.position, { epoch: ack.epoch, offset: ack.offset });
  });

test('inbox: a since the gateway cannot serve gives welcome.recovered: false and a client gap event',
  T, async () => {
    const c = clients(gw.wsUrl, { token: 'inbox-gap', since: { epoch: 'bogus', offset: 2 } });
    const gap = nextEvent(c, 'gap');
    const welcome = nextEvent(c, 'connect');
    c.connect();
    assert.equal((await welcome).recovered, false);
    const g = await gap;
    assert.deepEqual(g.since, { epoch: 'bogus', offset: 2 });
    assert.equal(typeof g.epoch, 'string');
  });

test('history: the latest messages oldest first with epoch and offset; with since only the newer ones',
  T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'historian' });
    const b = await clients.connected(gw.wsUrl, { token: 'chronicler' });
    const rb = b.room('annals');
    await rb.join();
    for (const n of ['one', 'two', 'three']) await rb.publish(n);
    await a.room('annals').join();
    const h = await a.room('annals').history({ limit: 2 });
    assert.equal(h.type, 'history');
    assert.equal(h.room, 'annals');
    assert.deepEqual(h.messages.map((m) => m.body), ['two', 'three']);
    assert.equal(typeof h.epoch, 'string');
    assert.equal(h.offset, h.messages[1].offset);
    const since = { epoch: h.epoch, offset: h.messages[0].offset };
    const newer = await a.room('annals').history({ since });
    assert.deepEqual(newer.messages.map((m) => m.body), ['three']);
    assert.equal(newer.recovered, true);
  });

test('ephemeral messages are delivered without offset and are not kept',
  T, async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'typer' });
    const b = await clients.connected(gw.wsUrl, { token: 'watcher2' });
    const ra = a.room('typing');
    const rb = b.room('typing');
    await ra.join();
    await rb.join();
    const got = nextEvent(rb, 'message');
    await ra.publish({ typing: true }, { ephemeral: true });
    const m = await got;
    assert.deepEqual(m.body, { typing: true });
    assert.equal(m.offset, undefined);
    const h = await rb.history();
    assert.equal(h.messages.some((x) => x.mid === m.mid), false);
  });

test('join ack carries epoch, offset and events', T,
  async () => {
    const a = await clients.connected(gw.wsUrl, { token: 'acker' });
    const ack = await a.room('fields').join();
    assert.equal(typeof ack.epoch, 'string');
    assert.equal(ack.offset, 0);
    assert.equal(ack.events, true);
  });
