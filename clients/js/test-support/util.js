// Test helpers: HS256 JWTs with node:crypto, waiting for events, clients that are always closed after a test.
import { createHmac, randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { Client } from '../src/index.js';

export { WebSocket };

export function randomSecret() {
  return randomBytes(32).toString('base64');
}

function b64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** An HS256 JWT of `claims` signed with `secret`. */
export function signJwt(claims, secret) {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  const signature = createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${signature}`;
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the next `event` of `emitter` whose argument passes `filter`; rejects after `timeout` ms. */
export function nextEvent(emitter, event, { timeout = 10000, filter = () => true } = {}) {
  const promise = new Promise((resolve, reject) => {
    const listener = (arg) => {
      if (!filter(arg)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(arg);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeout} ms`));
    }, timeout);
    emitter.on(event, listener);
  });
  // A test that failed before awaiting it must not end in an unhandled rejection; awaiting it still throws.
  promise.catch(() => {});
  return promise;
}

/** Polls `condition` until it is true; rejects after `timeout` ms with `what`. */
export async function until(condition, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Records every event of the given names on `emitter`, in order: [{event, arg}]. */
export function record(emitter, events) {
  const log = [];
  for (const event of events) emitter.on(event, (arg) => log.push({ event, arg }));
  return log;
}

/**
 * A WebSocket class that records what the client sends and how many sockets it opened. Each instance is a real
 * `ws` WebSocket.
 */
export function spyWebSocket() {
  const spy = { sent: [], opened: 0 };
  spy.WebSocket = class extends WebSocket {
    constructor(...args) {
      super(...args);
      spy.opened++;
    }

    send(data, ...rest) {
      spy.sent.push(String(data));
      return super.send(data, ...rest);
    }
  };
  spy.frames = (type) => spy.sent.map((t) => JSON.parse(t)).filter((f) => type === undefined || f.type === type);
  return spy;
}

/** Makes clients for one test file and disconnects them all in `cleanup()` (call it from afterEach). */
export function clientFactory(defaults = {}) {
  const clients = new Set();
  const make = (url, options = {}) => {
    const client = new Client(url, { WebSocket, ...defaults, ...options });
    clients.add(client);
    return client;
  };
  make.connected = async (url, options = {}) => {
    const client = make(url, options);
    client.connect();
    await client.ready(15000);
    return client;
  };
  make.cleanup = () => {
    for (const c of clients) c.disconnect();
    clients.clear();
  };
  return make;
}
