/*
 * JavaScript client of the chat gateway, wire protocol 1.1 (PROTOCOL.md).
 *
 * One ES module, no runtime dependencies: browsers and Node 20+ (pass the `ws` package's WebSocket where there
 * is no global one). The README beside this folder documents the API and the decisions behind it.
 */

/** Codes of errors raised by the client itself, never sent by the gateway. */
export const LocalErrorCode = Object.freeze({
  /** The call needs a connection and there is none (or it was lost before the answer came). */
  DISCONNECTED: 'disconnected',
  /** No answer within the call's timeout. */
  TIMEOUT: 'timeout',
  /** The encoded frame is larger than `maxFrameBytes`; it was not sent. */
  FRAME_TOO_LARGE: 'frame_too_large',
  /** The offline queue is full. */
  QUEUE_FULL: 'queue_full',
  /** The token function failed or gave nothing. */
  TOKEN_UNAVAILABLE: 'token_unavailable',
  /** `leave()` was called while the join was still under way. */
  CANCELLED: 'cancelled',
});

/** Client states. */
export const State = Object.freeze({
  DISCONNECTED: 'disconnected',
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
});

/** Room states. */
export const RoomState = Object.freeze({
  UNJOINED: 'unjoined',
  JOINING: 'joining',
  JOINED: 'joined',
});

/**
 * Every rejected call and every `error` event carries a ChatError: `code` is the gateway's error code (`error`
 * frame) or one of {@link LocalErrorCode}; `frame` is the gateway's `error` frame when there was one.
 */
export class ChatError extends Error {
  constructor(code, message, frame) {
    super(message || code);
    this.name = 'ChatError';
    this.code = code;
    this.frame = frame;
  }
}

/** A frame that would be larger than the gateway accepts (`size` > `limit` bytes of UTF-8 JSON). */
export class FrameTooLargeError extends ChatError {
  constructor(size, limit) {
    super(LocalErrorCode.FRAME_TOO_LARGE,
      `frame of ${size} bytes is larger than maxFrameBytes (${limit}); not sent`);
    this.name = 'FrameTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from [0, min(max, base * 2^attempt)).
 * `attempt` counts from 0.
 */
export function backoffDelay(attempt, base, max, random = Math.random) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Bytes of `text` in UTF-8, without encoding it. (JSON.stringify never leaves lone surrogates.) */
export function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++; } else n += 3;
    } else n += 3;
  }
  return n;
}

/** A small event emitter: `on`, `once`, `off`. A listener that throws does not break the client. */
export class Emitter {
  constructor() {
    this._listeners = new Map();
  }

  on(event, listener) {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    let set = this._listeners.get(event);
    if (!set) this._listeners.set(event, set = new Set());
    set.add(listener);
    return this;
  }

  once(event, listener) {
    const wrapper = (arg) => {
      this.off(event, wrapper);
      listener.call(this, arg);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  /** `off(event, listener)` removes one listener, `off(event)` all of an event, `off()` all. */
  off(event, listener) {
    if (event === undefined) {
      this._listeners.clear();
      return this;
    }
    const set = this._listeners.get(event);
    if (!set) return this;
    if (listener === undefined) {
      this._listeners.delete(event);
      return this;
    }
    for (const l of set) {
      if (l === listener || l.listener === listener) set.delete(l);
    }
    if (set.size === 0) this._listeners.delete(event);
    return this;
  }

  _emit(event, arg) {
    const set = this._listeners.get(event);
    if (!set) return false;
    for (const listener of [...set]) {
      try {
        listener.call(this, arg);
      } catch (e) {
        // The application's bug: surface it (uncaught) without leaving the client half way through a frame.
        setTimeout(() => { throw e; }, 0);
      }
    }
    return true;
  }
}

const DEFAULTS = Object.freeze({
  timeout: 10000,
  connectTimeout: 10000,
  minReconnectDelay: 500,
  maxReconnectDelay: 20000,
  pongTimeout: undefined,
  refreshMargin: 30000,
  refreshJitter: 10000,
  maxTokenRetries: 3,
  offlineQueue: 0,
  maxFrameBytes: 65536,
});

// Kicks after which coming back would be wrong: another login took our place, or an operator removed us.
const FINAL_KICKS = new Set(['replaced', 'admin']);
// The gateway's close statuses for its kicks (docs/protocol.md), for a close whose `kicked` frame did not arrive.
const KICK_BY_CLOSE_CODE = new Map([[4000, 'replaced'], [4001, 'admin'], [4002, 'idle'], [4003, 'slow_consumer'],
  [1001, 'shutdown']]);
const RECENT_MIDS = 1000;
// Refusals of a join that say nothing about the room itself: try again later instead of giving the room up.
const TRANSIENT_CODES = new Set(['rate_limited', 'unavailable', 'internal', 'server_busy']);

function noop() {}

function isPosition(p) {
  return p !== null && typeof p === 'object' && typeof p.epoch === 'string' && Number.isFinite(p.offset);
}

function copyPosition(p) {
  return p ? { epoch: p.epoch, offset: p.offset } : null;
}

/** Insertion-ordered set that forgets its oldest entries past `limit`. */
class RecentSet {
  constructor(limit) {
    this.limit = limit;
    this.set = new Set();
  }

  add(value) {
    if (value === undefined || value === null) return;
    this.set.delete(value);
    this.set.add(value);
    if (this.set.size > this.limit) this.set.delete(this.set.values().next().value);
  }

  has(value) {
    return this.set.has(value);
  }
}

/**
 * Where a stream of kept messages (a room, or the user's inbox) has been read up to, and the duplicate filter.
 * Offsets are not checked for gaps: this connection's own sends take offsets too, and the gateway never echoes
 * them back, so holes are normal; the gateway's `recovered: false` is what reports a gap.
 */
class Stream {
  constructor(since) {
    this.position = isPosition(since) ? copyPosition(since) : null;
    this.recovering = null; // the `since` of a recovery under way
    this.recoveredCount = 0;
    this.seen = new RecentSet(256);
  }

  /** True when the message is new and should be delivered; advances the position. */
  accept(f, ownMids) {
    if (f.mid !== undefined && this.seen.has(f.mid)) return false;
    const hasOffset = Number.isFinite(f.offset);
    if (hasOffset && this.position) {
      if (f.offset <= this.position.offset) {
        // While recovering, these are messages we already had. Live, a lower offset can only mean the stream
        // started a new epoch under us: deliver it and keep the old epoch, so the next recovery reports a gap.
        if (this.recovering) return false;
      }
      this.position.offset = f.offset;
    }
    this.seen.add(f.mid);
    if (this.recovering && hasOffset) this.recoveredCount++;
    // Our own messages only come back by recovery; the app already has them from the ack.
    if (f.mid !== undefined && ownMids.has(f.mid)) return false;
    return true;
  }

  startRecovery() {
    this.recovering = this.position ? copyPosition(this.position) : null;
    this.recoveredCount = 0;
    return this.recovering;
  }

  /**
   * Settles the position from the gateway's answer (`join` ack or `welcome`): `latest` is its {epoch, offset}.
   * Returns {gap} or {recovered} or nothing.
   */
  finishRecovery(latest, recovered) {
    const since = this.recovering;
    this.recovering = null;
    if (!isPosition(latest)) return {};
    const same = this.position && this.position.epoch === latest.epoch;
    const offset = same && recovered !== false ? Math.max(this.position.offset, latest.offset) : latest.offset;
    this.position = { epoch: latest.epoch, offset };
    if (!since) return {};
    if (recovered === true) return { recovered: { since, epoch: latest.epoch, offset, count: this.recoveredCount } };
    if (recovered === false) return { gap: { since, epoch: latest.epoch, offset: latest.offset } };
    return {};
  }
}

/**
 * A room of the gateway, got from `client.room(name, options)`. Events: `state`, `message`, `joined`, `left`,
 * `recovered`, `gap`, `error`.
 */
export class Room extends Emitter {
  constructor(client, name, options = {}) {
    super();
    this.client = client;
    this.name = name;
    this.state = RoomState.UNJOINED;
    this._token = options.token;
    this._stream = new Stream(options.since);
    this._wanted = false;
    this._waiters = [];
    this._joinInFlight = false;
    this._joinRetries = 0;
    this._retryTimer = null;
    this._lastAck = null;
  }

  /** {epoch, offset} of the last message seen (or of the join), to persist and pass as `since` later. */
  get position() {
    return copyPosition(this._stream.position);
  }

  /**
   * Joins the room, now or as soon as the client is connected, and keeps it joined across reconnects (rejoining
   * with `since`). Resolves with the gateway's `ack`.
   */
  join(options = {}) {
    if (options.token !== undefined) this._token = options.token;
    if (this.state === RoomState.JOINED && this._wanted) return Promise.resolve(this._lastAck);
    this._wanted = true;
    return new Promise((resolve, reject) => {
      this._waiters.push({ resolve, reject });
      if (this.client.state === State.CONNECTED) {
        if (!this._joinInFlight) this._sendJoin(options.timeout);
      } else {
        this._setState(this.client.state === State.CONNECTING ? RoomState.JOINING : RoomState.UNJOINED);
      }
    });
  }

  /** Leaves the room and stops rejoining it. Resolves with the `ack`, or `null` when there was nothing to leave. */
  leave(options = {}) {
    const member = this.state !== RoomState.UNJOINED || this._joinInFlight;
    this._wanted = false;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._stream = new Stream(null);
    this._failWaiters(new ChatError(LocalErrorCode.CANCELLED, 'leave() was called before the join completed'));
    this._setState(RoomState.UNJOINED);
    if (!member || this.client.state !== State.CONNECTED) return Promise.resolve(null);
    return this.client._call({ type: 'leave', room: this.name }, { timeout: options.timeout, queue: false })
      .catch((e) => {
        if (e.code === 'not_in_room') return null; // already out: what was asked for
        throw e;
      });
  }

  /** Publishes to the room. Resolves with the `ack` (`recipients`, `mid`). Options: timeout, ephemeral, queue. */
  publish(body, options = {}) {
    const frame = { type: 'publish', room: this.name, body };
    if (options.ephemeral) frame.ephemeral = true;
    return this.client._call(frame, { ...options, onReply: (ack) => ack && this.client._ownMids.add(ack.mid) });
  }

  /** The room's members: resolves with the `presence` frame (`users`, `truncated`). */
  presence(options = {}) {
    return this.client._call({ type: 'presence', room: this.name }, options);
  }

  /** The room's kept messages: resolves with the `history` frame (`messages`, `epoch`, `offset`, `recovered`). */
  history(options = {}) {
    const frame = { type: 'history', room: this.name };
    if (options.limit !== undefined) frame.limit = options.limit;
    if (options.since !== undefined) frame.since = copyPosition(options.since);
    return this.client._call(frame, options);
  }

  _setState(state) {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    this._emit('state', { state, previous });
  }

  _failWaiters(error) {
    const waiters = this._waiters;
    this._waiters = [];
    for (const w of waiters) w.reject(error);
  }

  async _sendJoin(timeout) {
    const client = this.client;
    const generation = client._generation;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._joinInFlight = true;
    this._setState(RoomState.JOINING);
    let token = this._token;
    if (typeof token === 'function') {
      try {
        token = await token({ room: this.name });
      } catch (e) {
        token = undefined;
        if (generation === client._generation && this._wanted) {
          this._joinInFlight = false;
          this._joinFailed(new ChatError(LocalErrorCode.TOKEN_UNAVAILABLE,
            `the room token function failed: ${e && e.message ? e.message : e}`));
        }
        return;
      }
    }
    if (generation !== client._generation || client.state !== State.CONNECTED || !this._wanted) {
      this._joinInFlight = false;
      return;
    }
    const frame = { type: 'join', room: this.name };
    if (token !== undefined && token !== null && token !== '') frame.token = token;
    const since = this._stream.startRecovery();
    if (since) frame.since = since;
    // The ack is handled as it is read (onReply), not a microtask later: messages right behind it in the same
    // read must already find the room joined at the ack's offset.
    const onReply = (ack, error) => {
      this._joinInFlight = false;
      if (error) {
        this._stream.recovering = null;
        if (generation !== client._generation || !this._wanted) return;
        if (TRANSIENT_CODES.has(error.code)) this._retryJoin(error, generation);
        else this._joinFailed(error);
        return;
      }
      if (!this._wanted) return;
      this._joinRetries = 0;
      this._lastAck = ack;
      const latest = typeof ack.epoch === 'string' ? { epoch: ack.epoch, offset: ack.offset } : null;
      const outcome = this._stream.finishRecovery(latest, ack.recovered);
      this._setState(RoomState.JOINED);
      const waiters = this._waiters;
      this._waiters = [];
      for (const w of waiters) w.resolve(ack);
      if (outcome.recovered) this._emit('recovered', { room: this.name, ...outcome.recovered });
      if (outcome.gap) this._emit('gap', { room: this.name, ...outcome.gap });
    };
    client._call(frame, { timeout, queue: false, onReply }).catch((error) => {
      if (error.frame !== undefined) return; // the gateway's answer: handled by onReply
      if (generation !== client._generation || !this._wanted) return; // the connection went: rejoin later
      this._joinInFlight = false;
      this._stream.recovering = null;
      if (error.code === LocalErrorCode.TIMEOUT) {
        // The gateway answers every frame; no answer means the connection is not working. Recycle it.
        this._failWaiters(error);
        this._emit('error', error);
        client._drop({ reason: 'timeout' });
        return;
      }
      if (error.code !== LocalErrorCode.DISCONNECTED) this._joinFailed(error);
    });
  }

  /** A refusal that may pass (rate limit, broker down): the room stays wanted and is asked for again. */
  _retryJoin(error, generation) {
    this._failWaiters(error);
    this._emit('error', error);
    const o = this.client.options;
    const delay = backoffDelay(this._joinRetries++, o.minReconnectDelay, o.maxReconnectDelay);
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (generation === this.client._generation && this._wanted && !this._joinInFlight
          && this.client.state === State.CONNECTED) this._sendJoin();
    }, delay);
  }

  _joinFailed(error) {
    this._wanted = false;
    this._setState(RoomState.UNJOINED);
    this._failWaiters(error);
    this._emit('error', error);
  }

  _onConnectionLost(final) {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._joinInFlight = false;
    this._stream.recovering = null;
    if (!this._wanted) {
      this._setState(RoomState.UNJOINED);
      return;
    }
    if (final) {
      this._failWaiters(new ChatError(LocalErrorCode.DISCONNECTED, 'the client is disconnected'));
      this._setState(RoomState.UNJOINED);
    } else {
      this._setState(RoomState.JOINING);
    }
  }

  _onMessage(f) {
    if (this._stream.accept(f, this.client._ownMids)) this._emit('message', f);
  }

  /** The server put this connection into the room (`joined` with our own user). */
  _onServerJoined() {
    this._wanted = true;
    this._setState(RoomState.JOINED);
    const waiters = this._waiters;
    this._waiters = [];
    for (const w of waiters) w.resolve(null);
  }

  /** The server took this connection out of the room (`left` with our own user: removed, revoked). */
  _onServerLeft() {
    this._wanted = false;
    this._stream = new Stream(null);
    this._setState(RoomState.UNJOINED);
  }
}

/**
 * The connection to the gateway. Events: `state`, `connect`, `disconnect`, `kicked`, `error`, `message` (direct
 * messages and broadcasts), `recovered` and `gap` (the inbox), `refresh`, `room` (a room the server put us in).
 */
export class Client extends Emitter {
  constructor(url, options = {}) {
    super();
    if (typeof url !== 'string' || url === '') throw new TypeError('url: expected a ws:// or wss:// URL');
    const o = { ...DEFAULTS };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) o[k] = v;
    for (const k of ['timeout', 'connectTimeout', 'minReconnectDelay', 'maxReconnectDelay', 'refreshMargin',
      'refreshJitter', 'maxTokenRetries', 'offlineQueue', 'maxFrameBytes']) {
      if (!Number.isFinite(o[k]) || o[k] < 0) throw new RangeError(`${k}: ${o[k]} (expected: a number >= 0)`);
    }
    if (o.pongTimeout !== undefined && !(Number.isFinite(o.pongTimeout) && o.pongTimeout > 0)) {
      throw new RangeError(`pongTimeout: ${o.pongTimeout} (expected: a number > 0)`);
    }
    if (o.maxReconnectDelay < o.minReconnectDelay) {
      throw new RangeError(`maxReconnectDelay: ${o.maxReconnectDelay} (expected: >= minReconnectDelay ${o.minReconnectDelay})`);
    }
    if (o.maxFrameBytes < 1) throw new RangeError(`maxFrameBytes: ${o.maxFrameBytes} (expected: > 0)`);
    const WebSocketImpl = o.WebSocket || globalThis.WebSocket;
    if (typeof WebSocketImpl !== 'function') {
      throw new TypeError('no WebSocket: pass one as the WebSocket option (on Node 20: import { WebSocket } from "ws")');
    }
    if (o.token !== undefined && typeof o.token !== 'string' && typeof o.token !== 'function') {
      throw new TypeError('token: expected a string or a function returning one (or a promise of one)');
    }
    this.url = url;
    this.options = o;
    this._WebSocket = WebSocketImpl;
    this._token = o.token;
    this.state = State.DISCONNECTED;
    /** From the last `welcome`: user id, connection id, heartbeat seconds, token expiry (epoch seconds). */
    this.user = null;
    this.conn = null;
    this.heartbeat = null;
    this.expires = null;
    this._inbox = new Stream(o.since);
    this._rooms = new Map();
    this._pending = new Map();
    this._queue = [];
    this._ownMids = new RecentSet(RECENT_MIDS);
    this._nextId = 1;
    this._attempt = 0;
    this._tokenRetries = 0;
    this._cachedToken = null;
    this._cachedTokenExpires = null;
    this._needFreshToken = false;
    this._generation = 0; // one per connection attempt: late callbacks of an old one are ignored
    this._ws = null;
    this._authId = null;
    this._lastReceived = 0;
    this._timers = { reconnect: null, connect: null, ping: null, pong: null, refresh: null };
  }

  /** The inbox position ({epoch, offset}) of the direct messages seen, to persist and pass as `since` later. */
  get inbox() {
    return copyPosition(this._inbox.position);
  }

  /** Starts connecting (and reconnecting) until `disconnect()` or a final event. */
  connect() {
    if (this.state !== State.DISCONNECTED) return this;
    this._attempt = 0;
    this._tokenRetries = 0;
    this._setState(State.CONNECTING);
    for (const room of this._rooms.values()) if (room._wanted) room._setState(RoomState.JOINING);
    this._open();
    return this;
  }

  /** Closes the connection and stops reconnecting. Pending and queued calls are rejected with `disconnected`. */
  disconnect() {
    if (this.state === State.DISCONNECTED) return this;
    this._end({ reason: 'client' }, true);
    return this;
  }

  /** Resolves when connected (at once if already), rejects when the client stops first or after `timeout` ms. */
  ready(timeout) {
    if (this.state === State.CONNECTED) return Promise.resolve();
    if (this.state === State.DISCONNECTED) {
      return Promise.reject(new ChatError(LocalErrorCode.DISCONNECTED, 'the client is not connecting'));
    }
    return new Promise((resolve, reject) => {
      let timer = null;
      const done = () => {
        this.off('connect', onConnect);
        this.off('state', onState);
        if (timer) clearTimeout(timer);
      };
      const onConnect = () => { done(); resolve(); };
      const onState = ({ state }) => {
        if (state === State.DISCONNECTED) {
          done();
          reject(new ChatError(LocalErrorCode.DISCONNECTED, 'the client stopped before it connected'));
        }
      };
      this.on('connect', onConnect);
      this.on('state', onState);
      if (timeout !== undefined) {
        timer = setTimeout(() => { done(); reject(new ChatError(LocalErrorCode.TIMEOUT, 'not connected in time')); },
          timeout);
      }
    });
  }

  /** The room object for `name` (one per name). Options: `token` (string or async function), `since`. */
  room(name, options) {
    if (typeof name !== 'string' || name === '') throw new TypeError('room name: expected a non-empty string');
    let room = this._rooms.get(name);
    if (!room) {
      room = new Room(this, name, options || {});
      this._rooms.set(name, room);
    } else if (options && options.token !== undefined) {
      room._token = options.token;
    }
    return room;
  }

  /** The rooms asked for so far. */
  rooms() {
    return [...this._rooms.values()];
  }

  /**
   * Direct message to every connection of user `to`. Resolves with the `ack` (`recipients`, `mid`, `stored`).
   * Options: timeout, ephemeral, queue.
   */
  send(to, body, options = {}) {
    const frame = { type: 'send', to, body };
    if (options.ephemeral) frame.ephemeral = true;
    return this._call(frame, { ...options, onReply: (ack) => ack && this._ownMids.add(ack.mid) });
  }

  /** Who is online on the gateway: resolves with the `presence` frame (`users`, `truncated`). */
  presence(options = {}) {
    return this._call({ type: 'presence' }, options);
  }

  // ---- connection

  _setState(state) {
    if (this.state === state) return;
    const previous = this.state;
    this.state = state;
    this._emit('state', { state, previous });
  }

  async _connectToken() {
    if (typeof this._token !== 'function') return this._token;
    const margin = this.options.refreshMargin;
    const stale = this._cachedTokenExpires !== null && this._cachedTokenExpires * 1000 - Date.now() < margin;
    if (this._cachedToken !== null && !this._needFreshToken && !stale) return this._cachedToken;
    const reason = this._needFreshToken ? this._needFreshToken : (this._cachedToken === null ? 'connect' : 'expired');
    const token = await this._token({ reason });
    this._needFreshToken = false;
    this._cachedToken = token;
    this._cachedTokenExpires = null;
    return token;
  }

  async _open() {
    const generation = ++this._generation;
    let token;
    try {
      token = await this._connectToken();
    } catch (e) {
      if (generation !== this._generation || this.state !== State.CONNECTING) return;
      this._emit('error', new ChatError(LocalErrorCode.TOKEN_UNAVAILABLE,
        `the token function failed: ${e && e.message ? e.message : e}`));
      this._retry();
      return;
    }
    if (generation !== this._generation || this.state !== State.CONNECTING) return;
    if (typeof token !== 'string' || token === '') {
      const error = new ChatError(LocalErrorCode.TOKEN_UNAVAILABLE, 'no token to connect with');
      this._emit('error', error);
      this._end({ reason: 'unauthorized', error }, true);
      return;
    }
    let ws;
    try {
      ws = new this._WebSocket(this.url);
    } catch (e) {
      this._emit('error', new ChatError(LocalErrorCode.DISCONNECTED, `cannot open ${this.url}: ${e && e.message}`));
      this._retry();
      return;
    }
    this._ws = ws;
    this._authId = null;
    this._timers.connect = setTimeout(() => {
      this._timers.connect = null;
      if (ws === this._ws && this.state === State.CONNECTING) this._drop({ reason: 'timeout' });
    }, this.options.connectTimeout);
    ws.onopen = () => {
      if (ws !== this._ws) return;
      const id = this._nextId++;
      const frame = { type: 'auth', id, token };
      const since = this._inbox.startRecovery();
      if (since) frame.since = since;
      const text = JSON.stringify(frame);
      const size = utf8Length(text);
      if (size > this.options.maxFrameBytes) {
        const error = new FrameTooLargeError(size, this.options.maxFrameBytes);
        this._emit('error', error);
        this._drop({ reason: 'frame_too_large', error }, true);
        return;
      }
      this._authId = id;
      this._write(text);
    };
    ws.onmessage = (event) => {
      if (ws !== this._ws) return;
      this._lastReceived = Date.now();
      this._onData(event.data);
    };
    ws.onclose = (event) => {
      if (ws !== this._ws) return;
      this._onSocketClosed(event && event.code, event && event.reason);
    };
    ws.onerror = noop; // a close event follows
  }

  _write(text) {
    try {
      this._ws.send(text);
      return true;
    } catch (e) {
      this._drop({ reason: 'transport' });
      return false;
    }
  }

  _onData(data) {
    if (typeof data !== 'string') return; // the protocol has text frames only
    let f;
    try {
      f = JSON.parse(data);
    } catch (e) {
      this._emit('error', new ChatError('bad_frame', 'the gateway sent something that is not JSON'));
      return;
    }
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return;
    this._onFrame(f);
  }

  _onFrame(f) {
    switch (f.type) {
      case 'welcome': this._onWelcome(f); return;
      case 'message': this._onMessage(f); return;
      case 'joined':
      case 'left': this._onMembership(f); return;
      case 'kicked': this._onKicked(f); return;
      case 'error':
        if (this.state === State.CONNECTING && this._authId !== null && f.id === this._authId) {
          this._onAuthRejected(f);
          return;
        }
        if (f.id !== undefined && this._pending.has(f.id)) {
          this._settle(f.id, null, new ChatError(f.code, f.message, f));
          return;
        }
        this._emit('error', new ChatError(f.code, f.message, f));
        return;
      default:
        // ack, pong, presence, history, and what a later protocol version may add
        if (f.id !== undefined && this._pending.has(f.id)) this._settle(f.id, f, null);
    }
  }

  _settle(id, frame, error) {
    const p = this._pending.get(id);
    this._pending.delete(id);
    clearTimeout(p.timer);
    if (p.onReply) p.onReply(frame, error);
    if (error) p.reject(error); else p.resolve(frame);
  }

  _onWelcome(f) {
    if (this.state !== State.CONNECTING || this._authId === null) return;
    clearTimeout(this._timers.connect);
    this._timers.connect = null;
    this.user = f.user;
    this.conn = f.conn;
    this.heartbeat = Number.isFinite(f.heartbeat) ? f.heartbeat : null;
    this.expires = Number.isFinite(f.expires) ? f.expires : null;
    this._cachedTokenExpires = this.expires;
    this._attempt = 0;
    this._tokenRetries = 0;
    const inbox = this._inbox.finishRecovery(isPosition(f.inbox) ? f.inbox : null, f.recovered);
    this._setState(State.CONNECTED);
    this._startHeartbeat();
    this._scheduleRefresh();
    this._emit('connect', f);
    if (inbox.recovered) this._emit('recovered', inbox.recovered);
    if (inbox.gap) this._emit('gap', inbox.gap);
    for (const room of this._rooms.values()) {
      if (room._wanted && this.state === State.CONNECTED && !room._joinInFlight) room._sendJoin();
    }
    const queue = this._queue;
    this._queue = [];
    for (const q of queue) {
      if (this.state !== State.CONNECTED) {
        clearTimeout(q.timer);
        q.reject(new ChatError(LocalErrorCode.DISCONNECTED, 'the connection was lost before the call was sent'));
        continue;
      }
      this._pending.set(q.id, q);
      this._write(q.text);
    }
  }

  _onMessage(f) {
    if (typeof f.room === 'string') {
      const room = this._rooms.get(f.room);
      // Not a room of ours, or a late message of a room we left.
      if (!room || room.state === RoomState.UNJOINED) return;
      room._onMessage(f);
      return;
    }
    if (f.to !== undefined && !this._inbox.accept(f, this._ownMids)) return;
    this._emit('message', f);
  }

  _onMembership(f) {
    if (typeof f.room !== 'string') return;
    const self = this.user !== null && f.user === this.user;
    let room = this._rooms.get(f.room);
    let created = false;
    if (f.type === 'joined' && self && (!room || room.state !== RoomState.JOINED)) {
      // The server put this connection into the room.
      if (!room) {
        room = this.room(f.room);
        created = true;
      }
      if (created) this._emit('room', room);
      room._onServerJoined();
    }
    if (!room) return;
    if (f.type === 'left' && self && (f.reason === 'removed' || f.reason === 'revoked')) room._onServerLeft();
    const info = { room: f.room, user: f.user, self };
    if (f.reason !== undefined) info.reason = f.reason;
    room._emit(f.type, info);
  }

  _onKicked(f) {
    const reason = typeof f.reason === 'string' ? f.reason : 'unknown';
    this._kick(reason);
  }

  /** What a kick means, by reason (from the `kicked` frame or the close status). */
  _kick(reason) {
    let reconnect = !FINAL_KICKS.has(reason);
    if (reason === 'expired') {
      if (typeof this._token === 'function') this._needFreshToken = 'expired';
      else reconnect = false;
    }
    // idle, slow_consumer, or a reason from a later version: not straight back at the shortest step.
    if (reason !== 'shutdown' && reason !== 'expired') this._attempt = Math.max(this._attempt, 1);
    this._emit('kicked', { reason, reconnect });
    this._drop({ reason: 'kicked', kicked: reason }, !reconnect);
  }

  _onAuthRejected(f) {
    const error = new ChatError(f.code, f.message, f);
    this._emit('error', error);
    if (f.code === 'unauthorized' && typeof this._token === 'function'
        && this._tokenRetries < this.options.maxTokenRetries) {
      this._tokenRetries++;
      this._needFreshToken = 'unauthorized';
      this._drop({ reason: 'unauthorized', error });
      return;
    }
    const final = f.code === 'unauthorized';
    this._drop({ reason: final ? 'unauthorized' : 'error', error }, final);
  }

  _onSocketClosed(code, reason) {
    const kicked = KICK_BY_CLOSE_CODE.get(code);
    if (kicked !== undefined && this.state === State.CONNECTED) {
      this._kick(kicked);
      return;
    }
    this._detach();
    this._lost({ reason: 'transport', code, message: reason || undefined }, false);
  }

  _detach() {
    const ws = this._ws;
    this._ws = null;
    if (!ws) return null;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = noop; // some implementations (ws) throw on an 'error' nobody listens to
    return ws;
  }

  /** Ends the current connection from our side, then reconnects unless `final`. */
  _drop(info, final = false) {
    const ws = this._detach();
    if (ws) {
      try {
        if (typeof ws.terminate === 'function') ws.terminate(); // ws: no closing handshake with a dead peer
        else ws.close();
      } catch (e) { /* already closing */ }
    }
    this._lost(info, final);
  }

  _clearConnectionTimers() {
    for (const name of ['connect', 'ping', 'pong', 'refresh']) {
      clearTimeout(this._timers[name]);
      clearInterval(this._timers[name]);
      this._timers[name] = null;
    }
  }

  _failPending(message) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new ChatError(LocalErrorCode.DISCONNECTED, message));
    }
  }

  _lost(info, final) {
    this._generation++;
    this._authId = null;
    this._clearConnectionTimers();
    this._inbox.recovering = null;
    const wasConnected = this.state === State.CONNECTED;
    this._failPending('the connection was lost before the answer came');
    if (final) {
      this._end(info, false);
      return;
    }
    for (const room of this._rooms.values()) room._onConnectionLost(false);
    this._setState(State.CONNECTING);
    const delay = this._retry();
    if (wasConnected) this._emit('disconnect', { ...info, reconnect: true, delay });
  }

  /** Schedules the next attempt; returns its delay. */
  _retry() {
    clearTimeout(this._timers.reconnect);
    const delay = backoffDelay(this._attempt, this.options.minReconnectDelay, this.options.maxReconnectDelay);
    this._attempt++;
    this._timers.reconnect = setTimeout(() => {
      this._timers.reconnect = null;
      if (this.state === State.CONNECTING) this._open();
    }, delay);
    return delay;
  }

  /** Stops for good: no reconnect until `connect()`. */
  _end(info, closeSocket) {
    if (closeSocket) {
      const ws = this._detach();
      if (ws) {
        try { ws.close(1000); } catch (e) { /* already closing */ }
      }
    }
    this._generation++;
    clearTimeout(this._timers.reconnect);
    this._timers.reconnect = null;
    this._clearConnectionTimers();
    this._failPending('the client disconnected before the answer came');
    const queue = this._queue;
    this._queue = [];
    for (const q of queue) {
      clearTimeout(q.timer);
      q.reject(new ChatError(LocalErrorCode.DISCONNECTED, 'the client disconnected before the call was sent'));
    }
    for (const room of this._rooms.values()) room._onConnectionLost(true);
    this._setState(State.DISCONNECTED);
    this._emit('disconnect', { ...info, reconnect: false });
  }

  // ---- heartbeat and token refresh

  _startHeartbeat() {
    if (!this.heartbeat || this.heartbeat <= 0) return;
    const interval = (this.heartbeat * 1000) / 2;
    const pongTimeout = this.options.pongTimeout !== undefined ? this.options.pongTimeout : Math.min(10000, interval);
    this._timers.ping = setInterval(() => {
      if (this.state !== State.CONNECTED || !this._ws) return;
      const sentAt = Date.now();
      this._write('{"type":"ping"}');
      if (this._timers.pong === null) {
        this._timers.pong = setTimeout(() => {
          this._timers.pong = null;
          // Anything received since the ping proves the connection alive, not only the pong.
          if (this.state === State.CONNECTED && this._lastReceived < sentAt) this._drop({ reason: 'heartbeat' });
        }, pongTimeout);
      }
    }, interval);
  }

  _scheduleRefresh(delayOverride) {
    clearTimeout(this._timers.refresh);
    this._timers.refresh = null;
    if (this.expires === null || typeof this._token !== 'function') return;
    const remaining = this.expires * 1000 - Date.now();
    let delay = delayOverride;
    if (delay === undefined) {
      const lead = Math.min(this.options.refreshMargin + Math.random() * this.options.refreshJitter, remaining / 2);
      delay = Math.max(0, remaining - lead);
    }
    this._timers.refresh = setTimeout(() => {
      this._timers.refresh = null;
      this._refresh();
    }, delay);
  }

  async _refresh() {
    const generation = this._generation;
    const retryLater = () => {
      if (generation !== this._generation || this.state !== State.CONNECTED) return;
      const remaining = this.expires * 1000 - Date.now();
      if (remaining > 1000) this._scheduleRefresh(Math.max(500, Math.min(5000, remaining / 4)));
    };
    let token;
    try {
      token = await this._token({ reason: 'refresh' });
    } catch (e) {
      this._emit('error', new ChatError(LocalErrorCode.TOKEN_UNAVAILABLE,
        `the token function failed: ${e && e.message ? e.message : e}`));
      retryLater();
      return;
    }
    if (generation !== this._generation || this.state !== State.CONNECTED) return;
    if (typeof token !== 'string' || token === '') {
      this._emit('error', new ChatError(LocalErrorCode.TOKEN_UNAVAILABLE, 'the token function gave no token'));
      retryLater();
      return;
    }
    this._call({ type: 'refresh', token }, { queue: false }).then((ack) => {
      this._cachedToken = token;
      if (Number.isFinite(ack.expires)) this.expires = ack.expires;
      this._cachedTokenExpires = this.expires;
      this._emit('refresh', { expires: this.expires });
      if (generation === this._generation) this._scheduleRefresh();
    }, (error) => {
      if (error.code === LocalErrorCode.DISCONNECTED) return;
      this._emit('error', error);
      retryLater();
    });
  }

  // ---- calls

  /**
   * Sends `frame` with a fresh id and settles with the reply carrying it. Options: timeout (ms), queue (false:
   * reject at once while not connected even when the offline queue is on).
   */
  _call(frame, options = {}) {
    return new Promise((resolve, reject) => {
      const timeout = options.timeout !== undefined ? options.timeout : this.options.timeout;
      const id = this._nextId++;
      const text = JSON.stringify({ ...frame, id });
      const size = utf8Length(text);
      if (size > this.options.maxFrameBytes) {
        reject(new FrameTooLargeError(size, this.options.maxFrameBytes));
        return;
      }
      const entry = { id, text, resolve, reject, timer: null, onReply: options.onReply };
      if (this.state !== State.CONNECTED || !this._ws) {
        const queueAllowed = options.queue !== false && this.options.offlineQueue > 0
          && this.state === State.CONNECTING;
        if (!queueAllowed) {
          reject(new ChatError(LocalErrorCode.DISCONNECTED, `not connected (${this.state})`));
          return;
        }
        if (this._queue.length >= this.options.offlineQueue) {
          reject(new ChatError(LocalErrorCode.QUEUE_FULL,
            `the offline queue is full (${this.options.offlineQueue} calls)`));
          return;
        }
        this._queue.push(entry);
      } else {
        this._pending.set(id, entry);
      }
      entry.timer = setTimeout(() => {
        this._pending.delete(id);
        const i = this._queue.indexOf(entry);
        if (i >= 0) this._queue.splice(i, 1);
        reject(new ChatError(LocalErrorCode.TIMEOUT, `no answer to '${frame.type}' within ${timeout} ms`));
      }, timeout);
      if (this._pending.has(id)) this._write(text);
    });
  }
}

export default Client;
