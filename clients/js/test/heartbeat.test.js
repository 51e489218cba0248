// Heartbeats against a real gateway with a 2 s heartbeat: the client's pings keep it connected, a connection
// that stops answering is found dead and replaced, and a gateway that kicks for idleness is reconnected to.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../test-support/gateway.js';
import { startProxy } from '../test-support/proxy.js';
import { clientFactory, nextEvent, record, sleep, spyWebSocket } from '../test-support/util.js';

const T = { timeout: 30000 };
let gw;
let proxy;
const clients = clientFactory();

before(async () => {
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

test('pings at half the welcome heartbeat keep a quiet connection alive past the heartbeat', T, async () => {
  const spy = spyWebSocket();
  const c = await clients.connected(gw.wsUrl, { token: 'quiet', WebSocket: spy.WebSocket });
  assert.equal(c.heartbeat, 2);
  const events = record(c, ['disconnect', 'kicked']);
  const conn = c.conn;
  await sleep(5000);
  assert.deepEqual(events, [], 'no kick, no disconnect over 2.5 heartbeats');
  assert.equal(c.conn, conn);
  const pings = spy.frames('ping').length;
  assert.ok(pings >= 4 && pings <= 7, `${pings} pings in 5 s at a 1 s interval`);
});

test('a connection that stops answering is declared dead, closed and reconnected', T, async () => {
  proxy = await startProxy(gw.httpPort);
  const c = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'blackholed', minReconnectDelay: 100 });
  const conn = c.conn;
  const t0 = Date.now();
  const gone = nextEvent(c, 'disconnect');
  proxy.freeze();
  const info = await gone;
  const took = Date.now() - t0;
  assert.equal(info.reason, 'heartbeat');
  assert.equal(info.reconnect, true);
  // Ping every 1 s, pong timeout min(10 s, 1 s): dead within about two intervals.
  assert.ok(took < 4000, `found dead after ${took} ms`);
  await nextEvent(c, 'connect');
  assert.notEqual(c.conn, conn);
  assert.ok((await c.presence()).users.includes('blackholed'));
});

test('kicked idle (pings do not reach the gateway): the client reconnects with backoff', T, async () => {
  proxy = await startProxy(gw.httpPort);
  // A long pong timeout, so that the gateway's idle kick comes first.
  const c = await clients.connected(proxy.wsUrl(gw.wsPath), { token: 'mute', pongTimeout: 20000,
    minReconnectDelay: 100 });
  const kicked = nextEvent(c, 'kicked');
  const gone = nextEvent(c, 'disconnect');
  proxy.freezeUpstream();
  assert.deepEqual(await kicked, { reason: 'idle', reconnect: true });
  const info = await gone;
  assert.equal(info.reason, 'kicked');
  assert.equal(info.kicked, 'idle');
  assert.equal(info.reconnect, true);
  assert.ok(info.delay < 200, `backoff after an idle kick starts at the second step (${info.delay} ms)`);
  await nextEvent(c, 'connect');
  assert.equal(c.state, 'connected');
});
