// A gateway restart: the process is stopped (SIGTERM: `kicked shutdown` to every connection) and started again
// on the same port. Clients reconnect by themselves, rejoin their rooms and carry on; calls made during the outage
// are refused at once, or queued and sent after the reconnect when asked.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway } from '../test-support/gateway.js';
import { clientFactory, nextEvent, record, sleep, until } from '../test-support/util.js';

let gw;
const clients = clientFactory({ minReconnectDelay: 200, maxReconnectDelay: 1000 });

before(async () => {
  gw = await new Gateway().start();
});
after(async () => {
  clients.cleanup();
  await gw?.stop();
});
afterEach(() => clients.cleanup());

test('after a restart on the same port clients reconnect, rejoin rooms and exchange messages', { timeout: 90000 },
  async () => {
    const a = await clients.connected(gw.wsUrl, { token: async () => 'alpha', offlineQueue: 10 });
    const b = await clients.connected(gw.wsUrl, { token: 'beta' });
    const ra = a.room('ops');
    const rb = b.room('ops');
    await ra.join();
    await rb.join();
    const connA = a.conn;
    const port = gw.httpPort;

    const kicked = nextEvent(a, 'kicked');
    const gone = nextEvent(a, 'disconnect');
    const roomStates = record(ra, ['state']);
    await gw.stop();
    assert.deepEqual(await kicked, { reason: 'shutdown', reconnect: true });
    const info = await gone;
    assert.equal(info.reason, 'kicked');
    assert.equal(info.kicked, 'shutdown');
    assert.equal(info.reconnect, true);
    assert.equal(a.state, 'connecting');
    assert.equal(ra.state, 'joining');

    // During the outage: refused at once by default, queued when asked for.
    const refused = await b.send('alpha', 'during outage').then(() => null, (e) => e);
    assert.equal(refused.code, 'disconnected');
    const queued = a.presence({ timeout: 60000 });
    await sleep(1500); // several refused attempts

    await gw.start();
    assert.equal(gw.httpPort, port, 'same port after the restart');
    await Promise.all([a.ready(30000), b.ready(30000)]);
    assert.notEqual(a.conn, connA, 'a new connection');
    const p = await queued;
    assert.ok(p.users.includes('alpha'), 'the queued call went out after the reconnect');

    await until(() => ra.state === 'joined' && rb.state === 'joined', 'both rooms rejoined', 20000);
    assert.deepEqual(roomStates.map((e) => e.arg.state), ['joining', 'joined']);
    // Both are back in the room on the new gateway process.
    let members = [];
    for (let i = 0; i < 50 && members.length < 2; i++) {
      members = (await ra.presence()).users;
      if (members.length < 2) await sleep(100);
    }
    assert.deepEqual([...members].sort(), ['alpha', 'beta']);
    const got = nextEvent(ra, 'message');
    const ack = await rb.publish('back online');
    assert.equal(ack.recipients, 1);
    assert.equal((await got).body, 'back online');
    const dm = nextEvent(b, 'message');
    await a.send('beta', 'direct again');
    assert.equal((await dm).body, 'direct again');
  });
