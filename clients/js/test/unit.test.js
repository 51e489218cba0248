// The pure parts: backoff bounds, UTF-8 sizes, the emitter, option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, Client, Emitter, FrameTooLargeError, backoffDelay, utf8Length } from '../src/index.js';
import { WebSocket } from 'ws';

test('backoff: full jitter below min(max, base * 2^attempt)', () => {
  assert.equal(backoffDelay(0, 500, 20000, () => 0), 0);
  assert.equal(backoffDelay(0, 500, 20000, () => 0.999999), 499);
  assert.equal(backoffDelay(3, 500, 20000, () => 0.999999), 3999);
  assert.equal(backoffDelay(10, 500, 20000, () => 0.999999), 19999, 'capped at max');
  assert.equal(backoffDelay(1e6, 500, 20000, () => 0.5), 10000, 'huge attempts do not overflow');
  for (let attempt = 0; attempt < 12; attempt++) {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt, 100, 5000);
      assert.ok(d >= 0 && d < Math.min(5000, 100 * 2 ** attempt), `attempt ${attempt}: ${d}`);
    }
  }
});

test('utf8Length equals the encoded byte length', () => {
  for (const s of ['', 'abc', '\u00e9t\u00e9', '\u20ac', '\ud83d\ude00 smile', JSON.stringify({ a: '\u{1f600}\u00ff\u0000' })]) {
    assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), s);
  }
});

test('emitter: on, once, off, and a throwing listener does not stop the others', () => {
  const e = new Emitter();
  const seen = [];
  const a = (x) => seen.push(`a${x}`);
  e.on('x', a);
  e.once('x', (x) => seen.push(`once${x}`));
  e._emit('x', 1);
  e._emit('x', 2);
  e.off('x', a);
  e._emit('x', 3);
  assert.deepEqual(seen, ['a1', 'once1', 'a2']);

  // The bug is rethrown from a timer of its own (uncaught, visible), not into the client's frame handling.
  const scheduled = [];
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = (fn) => scheduled.push(fn);
  try {
    e.on('y', () => { throw new Error('listener bug'); });
    e.on('y', () => seen.push('after'));
    e._emit('y');
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(seen.at(-1), 'after');
  assert.equal(scheduled.length, 1);
  assert.throws(scheduled[0], /listener bug/);
});

test('errors are Error subclasses with a code', () => {
  const e = new ChatError('forbidden', 'no', { type: 'error', code: 'forbidden' });
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'forbidden');
  assert.equal(e.frame.code, 'forbidden');
  const big = new FrameTooLargeError(70000, 65536);
  assert.ok(big instanceof ChatError);
  assert.equal(big.code, 'frame_too_large');
  assert.equal(big.size, 70000);
});

test('options are checked when the client is made', () => {
  const url = 'ws://127.0.0.1:1/ws';
  assert.throws(() => new Client('', { WebSocket }), TypeError);
  assert.throws(() => new Client(url, { WebSocket, timeout: -1 }), RangeError);
  assert.throws(() => new Client(url, { WebSocket, minReconnectDelay: 1000, maxReconnectDelay: 10 }), RangeError);
  assert.throws(() => new Client(url, { WebSocket, maxFrameBytes: 0 }), RangeError);
  assert.throws(() => new Client(url, { WebSocket, token: 42 }), TypeError);
  assert.throws(() => new Client(url, { WebSocket, pongTimeout: 0 }), RangeError);
  const c = new Client(url, { WebSocket, token: 't' });
  assert.equal(c.state, 'disconnected');
  assert.throws(() => c.room(''), TypeError);
});
