// Production mode: GATEWAY_JWT_SECRET is a random value made here, tokens are HS256 JWTs signed here with
// node:crypto. Token functions, unauthorized with and without a way to get a new token, and the 1.1 features
// that depend on the token: expiry, refresh, access control and room tokens.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '../src/index.js';
import { startGateway } from '../test-support/gateway.js';
import { startProxy } from '../test-support/proxy.js';
import {
  clientFactory, nextEvent, nowSeconds, randomSecret, record, signJwt, sleep, spyWebSocket, until,
} from '../test-support/util.js';

const T = { timeout: 30000 };
const secret = randomSecret();
let gw;
const clients = clientFactory({ minReconnectDelay: 50, maxReconnectDelay: 200 });

const token = (sub, claims = {}, ttl = 3600) => signJwt({ sub, exp: nowSeconds() + ttl, ...claims }, secret);
const forged = (sub) => signJwt({ sub, exp: nowSeconds() + 3600 }, `${secret}-not-it`);

before(async () => {
  gw = await startGateway({ GATEWAY_JWT_SECRET: secret, GATEWAY_JWT_LEEWAY_SECONDS: '1' });
});
after(async () => {
  clients.cleanup();
  await gw?.stop();
});
afterEach(() => clients.cleanup());

describe('tokens', () => {
  test('a signed token connects as its sub', T, async () => {
    const c = await clients.connected(gw.wsUrl, { token: token('prod-alice') });
    assert.equal(c.user, 'prod-alice');
  });

  test('a rejected static token: error unauthorized, then a final disconnect and no retry', T, async () => {
    const spy = spyWebSocket();
    const c = clients(gw.wsUrl, { token: forged('eve'), WebSocket: spy.WebSocket });
    const error = nextEvent(c, 'error');
    const gone = nextEvent(c, 'disconnect');
    c.connect();
    const err = await error;
    assert.ok(err instanceof ChatError);
    assert.equal(err.code, 'unauthorized');
    assert.equal(err.frame.type, 'error');
    const info = await gone;
    assert.equal(info.reason, 'unauthorized');
    assert.equal(info.reconnect, false);
    assert.equal(info.error.code, 'unauthorized');
    assert.equal(c.state, 'disconnected');
    await sleep(800);
    assert.equal(spy.opened, 1, 'no second attempt');
  });

  test('an expired token is unauthorized too', T, async () => {
    const c = clients(gw.wsUrl, { token: token('late', {}, -60) });
    const gone = nextEvent(c, 'disconnect');
    c.connect();
    assert.equal((await gone).reason, 'unauthorized');
  });

  test('a token function gets another chance: rejected first, then a good token connects', T, async () => {
    const reasons = [];
    const c = await clients.connected(gw.wsUrl, {
      token: async ({ reason }) => {
        reasons.push(reason);
        return reasons.length === 1 ? forged('frank') : token('frank');
      },
    });
    assert.equal(c.user, 'frank');
    assert.deepEqual(reasons, ['connect', 'unauthorized']);
  });

  test('a token function that keeps giving rejected tokens is tried maxTokenRetries more times, then stops', T,
    async () => {
      const spy = spyWebSocket();
      let calls = 0;
      const c = clients(gw.wsUrl, {
        WebSocket: spy.WebSocket, maxTokenRetries: 2,
        token: async () => { calls++; return forged('gina'); },
      });
      const errors = record(c, ['error']);
      const gone = nextEvent(c, 'disconnect');
      c.connect();
      const info = await gone;
      assert.equal(info.reason, 'unauthorized');
      assert.equal(info.reconnect, false);
      assert.equal(calls, 3);
      assert.equal(spy.opened, 3);
      assert.equal(errors.length, 3);
      assert.ok(errors.every((e) => e.arg.code === 'unauthorized'));
      await sleep(500);
      assert.equal(calls, 3);
    });

  test('a token function that throws is retried with backoff (error token_unavailable)', T, async () => {
    let calls = 0;
    const c = clients(gw.wsUrl, {
      token: async () => {
        calls++;
        if (calls === 1) throw new Error('auth service down');
        return token('hank');
      },
    });
    const error = nextEvent(c, 'error');
    c.connect();
    const err = await error;
    assert.equal(err.code, 'token_unavailable');
    assert.match(err.message, /auth service down/);
    await c.ready(10000);
    assert.equal(c.user, 'hank');
  });

  test('a token function that gives no token stops the client', T, async () => {
    const c = clients(gw.wsUrl, { token: async () => '' });
    const gone = nextEvent(c, 'disconnect');
    c.connect();
    const info = await gone;
    assert.equal(info.reason, 'unauthorized');
    assert.equal(info.error.code, 'token_unavailable');
    assert.equal(c.state, 'disconnected');
  });
});

describe('token lifetime (1.1)', () => {
  test('welcome carries expires, the token\'s exp', T,
    async () => {
      const exp = nowSeconds() + 600;
      const c = await clients.connected(gw.wsUrl, { token: signJwt({ sub: 'ivy', exp }, secret) });
      assert.equal(c.expires, exp);
    });

  test('refresh is sent before expires with a new token; the ack\'s expires replaces it and the connection stays',
    T, async () => {
      const spy = spyWebSocket();
      const issued = [];
      const c = await clients.connected(gw.wsUrl, {
        WebSocket: spy.WebSocket, refreshMargin: 30000, refreshJitter: 0,
        token: async ({ reason }) => {
          const exp = nowSeconds() + (reason === 'refresh' ? 600 : 5);
          issued.push({ reason, exp });
          return signJwt({ sub: 'jack', exp }, secret);
        },
      });
      const conn = c.conn;
      assert.equal(c.expires, issued[0].exp);
      const kicks = record(c, ['kicked', 'disconnect']);
      // The lead is min(margin, half the remaining lifetime): about 2.5 s here.
      const refreshed = await nextEvent(c, 'refresh', { timeout: 6000 });
      assert.equal(issued.length, 2);
      assert.equal(issued[1].reason, 'refresh');
      assert.equal(refreshed.expires, issued[1].exp);
      assert.equal(c.expires, issued[1].exp);
      const frame = spy.frames('refresh')[0];
      assert.equal(typeof frame.token, 'string');
      // Past the first token's exp plus the leeway, still the same connection.
      await sleep(Math.max(0, (issued[0].exp + 2) * 1000 - Date.now()));
      assert.deepEqual(kicks, []);
      assert.equal(c.conn, conn);
      assert.ok((await c.send('jack', 'self', { timeout: 3000 }).catch((e) => e)).code === 'user_offline',
        'the connection still answers');
    });

  test('a refused refresh keeps the old token; at expiry kicked expired, a fresh token, and a reconnect',
    T, async () => {
      const reasons = [];
      const c = await clients.connected(gw.wsUrl, {
        refreshMargin: 30000, refreshJitter: 0,
        token: async ({ reason }) => {
          reasons.push(reason);
          if (reason === 'refresh') return forged('kate');
          return signJwt({ sub: 'kate', exp: nowSeconds() + (reason === 'connect' ? 4 : 600) }, secret);
        },
      });
      const conn = c.conn;
      const refused = await nextEvent(c, 'error', { timeout: 6000, filter: (e) => e.code === 'unauthorized' });
      assert.equal(refused.frame.type, 'error');
      assert.equal(c.state, 'connected', 'a refused refresh does not end the connection');
      const kicked = await nextEvent(c, 'kicked', { timeout: 10000 });
      assert.deepEqual(kicked, { reason: 'expired', reconnect: true });
      await nextEvent(c, 'connect', { timeout: 10000 });
      assert.notEqual(c.conn, conn);
      assert.ok(reasons.includes('expired'), `token reasons: ${reasons}`);
      assert.ok(c.expires > nowSeconds() + 60);
    });

  test('kicked expired with a static token: the client stops', T,
    async () => {
      const c = await clients.connected(gw.wsUrl, { token: token('leah', {}, 3) });
      const kicked = await nextEvent(c, 'kicked', { timeout: 10000 });
      assert.deepEqual(kicked, { reason: 'expired', reconnect: false });
      const info = await nextEvent(c, 'disconnect', { timeout: 3000 }).catch(() => null);
      assert.ok(info === null || info.reconnect === false);
      assert.equal(c.state, 'disconnected');
    });
});

describe('access control and room tokens (1.1)', () => {
  const claims = { rooms: ['public:*'], rooms_readonly: ['news'] };

  test('a room without a grant: join rejects with forbidden, the room is unjoined and says error',
    T, async () => {
      const c = await clients.connected(gw.wsUrl, { token: token('mia', claims) });
      const room = c.room('secret');
      const roomError = nextEvent(room, 'error');
      const err = await room.join().then(() => null, (e) => e);
      assert.ok(err instanceof ChatError);
      assert.equal(err.code, 'forbidden');
      assert.equal(room.state, 'unjoined');
      assert.equal((await roomError).code, 'forbidden');
    });

  test('claims grant rooms by pattern; a read-only grant joins but may not publish',
    T, async () => {
      const c = await clients.connected(gw.wsUrl, { token: token('nina', claims) });
      await c.room('public:lobby').join();
      assert.equal((await c.room('public:lobby').publish('hi')).recipients, 0);
      await c.room('news').join();
      const err = await c.room('news').publish('not allowed').then(() => null, (e) => e);
      assert.equal(err.code, 'forbidden');
    });

  test('room tokens, as a string or an async function, go in join.token and are asked for again on a rejoin',
    T, async () => {
      const proxy = await startProxy(gw.httpPort);
      try {
        const spy = spyWebSocket();
        const c = await clients.connected(proxy.wsUrl(gw.wsPath), { token: token('olga'), WebSocket: spy.WebSocket });
        const vipToken = signJwt({ sub: 'olga', room: 'vip', exp: nowSeconds() + 600 }, secret);
        await c.room('vip', { token: vipToken }).join();
        assert.equal(spy.frames('join').find((f) => f.room === 'vip').token, vipToken);
        const asked = [];
        const vip2 = c.room('vip2', {
          token: async (ctx) => {
            asked.push(ctx.room);
            return signJwt({ sub: 'olga', room: 'vip2', exp: nowSeconds() + 600 }, secret);
          },
        });
        await vip2.join();
        assert.deepEqual(asked, ['vip2']);
        const wrong = c.room('vip3', { token: signJwt({ sub: 'olga', room: 'other', exp: nowSeconds() + 600 },
          secret) });
        assert.equal((await wrong.join().then(() => null, (e) => e)).code, 'forbidden');

        proxy.cut();
        await nextEvent(c, 'connect');
        await until(() => vip2.state === 'joined' && c.room('vip').state === 'joined', 'rejoined with room tokens');
        assert.deepEqual(asked, ['vip2', 'vip2']);
      } finally {
        await proxy.close();
      }
    });

  test('global presence is forbidden in production mode',
    T, async () => {
      const c = await clients.connected(gw.wsUrl, { token: token('pam') });
      const err = await c.presence().then(() => null, (e) => e);
      assert.equal(err.code, 'forbidden');
    });
});
