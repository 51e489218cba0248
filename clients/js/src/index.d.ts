// TypeScript declarations of the chat gateway client (src/index.js). Protocol: PROTOCOL.md, version 1.1.

/** A position in a stream of kept messages (a room, or the user's inbox). */
export interface Position {
  epoch: string;
  offset: number;
}

/** Any JSON value: what `body` may be. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type State = 'disconnected' | 'connecting' | 'connected';
export type RoomState = 'unjoined' | 'joining' | 'joined';

export declare const State: {
  readonly DISCONNECTED: 'disconnected';
  readonly CONNECTING: 'connecting';
  readonly CONNECTED: 'connected';
};

export declare const RoomState: {
  readonly UNJOINED: 'unjoined';
  readonly JOINING: 'joining';
  readonly JOINED: 'joined';
};

/** Codes of errors raised by the client itself. */
export declare const LocalErrorCode: {
  readonly DISCONNECTED: 'disconnected';
  readonly TIMEOUT: 'timeout';
  readonly FRAME_TOO_LARGE: 'frame_too_large';
  readonly QUEUE_FULL: 'queue_full';
  readonly TOKEN_UNAVAILABLE: 'token_unavailable';
  readonly CANCELLED: 'cancelled';
};

export type LocalCode = (typeof LocalErrorCode)[keyof typeof LocalErrorCode];

/** The gateway's error codes (PROTOCOL.md), open to codes a later version adds. */
export type GatewayCode =
  | 'bad_request' | 'unknown_type' | 'unauthenticated' | 'unauthorized' | 'user_offline' | 'not_in_room'
  | 'rate_limited' | 'frame_too_large' | 'unsupported' | 'server_busy' | 'unavailable' | 'internal' | 'forbidden'
  | (string & {});

export interface ErrorFrame {
  type: 'error';
  id?: string | number;
  code: string;
  message?: string;
  [field: string]: unknown;
}

/** Every rejected call and every `error` event. `frame` is the gateway's `error` frame, when there was one. */
export declare class ChatError extends Error {
  constructor(code: string, message?: string, frame?: ErrorFrame);
  readonly code: GatewayCode | LocalCode;
  readonly frame?: ErrorFrame;
}

/** A frame larger than `maxFrameBytes`: not sent (the gateway would close the connection). */
export declare class FrameTooLargeError extends ChatError {
  constructor(size: number, limit: number);
  readonly code: 'frame_too_large';
  /** Bytes of the encoded frame. */
  readonly size: number;
  /** `maxFrameBytes`. */
  readonly limit: number;
}

export interface MessageFrame {
  type: 'message';
  mid: string;
  from: string;
  /** Direct messages. */
  to?: string;
  /** Room messages. */
  room?: string;
  body: Json;
  /** Epoch milliseconds when the gateway accepted it. */
  ts: number;
  /** 1.1: the message's place in the room or inbox, when it was kept. */
  offset?: number;
  [field: string]: unknown;
}

export interface WelcomeFrame {
  type: 'welcome';
  user: string;
  conn: string;
  heartbeat: number;
  /** 1.1, production mode: the token's `exp` (epoch seconds). */
  expires?: number;
  /** 1.1, history on: the inbox's latest position. */
  inbox?: Position;
  /** 1.1: when `auth` carried `since`. */
  recovered?: boolean;
  [field: string]: unknown;
}

export interface AckFrame {
  type: 'ack';
  id: string | number;
  recipients?: number;
  mid?: string;
  /** 1.1: a `send` kept for a recipient with no connection. */
  stored?: boolean;
  /** 1.1: the `ack` to `refresh`. */
  expires?: number;
  /** 1.1: the `ack` to `join`. */
  epoch?: string;
  offset?: number;
  events?: boolean;
  recovered?: boolean;
  [field: string]: unknown;
}

export interface PresenceFrame {
  type: 'presence';
  id: string | number;
  room?: string;
  users: string[];
  truncated?: boolean;
}

export interface HistoryFrame {
  type: 'history';
  id: string | number;
  room: string;
  epoch: string;
  offset: number;
  messages: MessageFrame[];
  recovered?: boolean;
}

/** `token`: a string, or a function giving one (or a promise of one). */
export type TokenSource = string | ((context: TokenContext) => string | Promise<string>);

export interface TokenContext {
  /** Why a token is asked for: the first connect, a refresh, or after `kicked expired` / `unauthorized`. */
  reason: 'connect' | 'refresh' | 'expired' | 'unauthorized';
}

export type RoomTokenSource = string | ((context: { room: string }) => string | Promise<string>);

/** A WebSocket constructor: the browser's, Node 22's, or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
};

export interface ClientOptions {
  /** The user's token, or a function that gives one. */
  token?: TokenSource;
  /** The WebSocket constructor; default: `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Default per-call timeout (ms). Default 10000. */
  timeout?: number;
  /** How long a connection may take to get its `welcome` (ms). Default 10000. */
  connectTimeout?: number;
  /** Backoff bounds (ms): the n-th retry waits a random time below min(maxReconnectDelay, minReconnectDelay * 2^n). */
  minReconnectDelay?: number;
  maxReconnectDelay?: number;
  /** How long a ping may go unanswered (ms). Default min(10000, the ping interval). */
  pongTimeout?: number;
  /** Refresh this long before `expires` (ms), at most half the remaining lifetime. Default 30000. */
  refreshMargin?: number;
  /** Plus a random 0..refreshJitter ms earlier. Default 10000. */
  refreshJitter?: number;
  /** After `unauthorized`, how many more tokens to ask the token function for. Default 3. */
  maxTokenRetries?: number;
  /** Calls made while connecting wait for the connection, up to this many (0: rejected at once). Default 0. */
  offlineQueue?: number;
  /** The gateway's `max-frame-bytes` (GET /client-config `maxFrameBytes`). Default 65536. */
  maxFrameBytes?: number;
  /** Inbox position to recover from on the first connect (a saved `client.inbox`). */
  since?: Position;
}

export interface CallOptions {
  /** ms; default the client's `timeout`. */
  timeout?: number;
  /** false: reject at once while not connected even when the offline queue is on. */
  queue?: boolean;
}

export interface SendOptions extends CallOptions {
  /** 1.1: deliver, but do not keep in history (typing indicators and the like). */
  ephemeral?: boolean;
}

export interface HistoryOptions extends CallOptions {
  limit?: number;
  since?: Position;
}

export interface RoomOptions {
  /** A room token (`join.token`), or a function giving one; asked for on every join and rejoin. */
  token?: RoomTokenSource;
  /** Position to recover from on the first join (a saved `room.position`). */
  since?: Position;
}

export interface DisconnectInfo {
  /** client: disconnect(); transport: the socket closed; heartbeat: no answer in time; timeout: no welcome or
   * join answer in time; kicked: see `kicked`; unauthorized: the token was refused and no other one came. */
  reason: 'client' | 'transport' | 'heartbeat' | 'timeout' | 'kicked' | 'unauthorized' | 'error' | 'frame_too_large';
  /** The kick's reason, for reason `kicked`. */
  kicked?: string;
  /** The WebSocket close status, for reason `transport`. */
  code?: number;
  message?: string;
  error?: ChatError;
  /** Whether the client reconnects by itself. */
  reconnect: boolean;
  /** When it does: ms until the next attempt. */
  delay?: number;
}

export interface RecoveredInfo {
  since: Position;
  epoch: string;
  offset: number;
  /** Messages that came back with the recovery. */
  count: number;
}

export interface GapInfo {
  /** What was asked for. */
  since: Position;
  /** Where the stream is now: messages after `since` up to here were not recovered. */
  epoch: string;
  offset: number;
}

export interface MemberEvent {
  room: string;
  user: string;
  /** This connection itself (moved by the server: joined, or left with `removed` / `revoked`). */
  self: boolean;
  /** `left` only (1.1): leave, disconnect, removed, revoked. */
  reason?: string;
}

export declare class Emitter<Events extends Record<string, unknown>> {
  on<E extends keyof Events>(event: E, listener: (arg: Events[E]) => void): this;
  once<E extends keyof Events>(event: E, listener: (arg: Events[E]) => void): this;
  off<E extends keyof Events>(event?: E, listener?: (arg: Events[E]) => void): this;
}

export interface ClientEvents {
  [event: string]: unknown;
  state: { state: State; previous: State };
  connect: WelcomeFrame;
  disconnect: DisconnectInfo;
  kicked: { reason: string; reconnect: boolean };
  error: ChatError;
  /** Direct messages and server broadcasts. */
  message: MessageFrame;
  /** The inbox came back after a reconnect. */
  recovered: RecoveredInfo;
  /** The inbox could not be recovered: fetch what was missed from the application. */
  gap: GapInfo;
  refresh: { expires: number };
  /** A room the server put this connection in, created by the library. */
  room: Room;
}

export interface RoomEvents {
  [event: string]: unknown;
  state: { state: RoomState; previous: RoomState };
  message: MessageFrame;
  joined: MemberEvent;
  left: MemberEvent;
  recovered: RecoveredInfo & { room: string };
  gap: GapInfo & { room: string };
  error: ChatError;
}

export declare class Room extends Emitter<RoomEvents> {
  readonly client: Client;
  readonly name: string;
  readonly state: RoomState;
  /** The last message seen (or the join's), to save and pass as `since` later; null before the first join. */
  readonly position: Position | null;
  join(options?: { timeout?: number; token?: RoomTokenSource }): Promise<AckFrame | null>;
  leave(options?: { timeout?: number }): Promise<AckFrame | null>;
  publish(body: Json, options?: SendOptions): Promise<AckFrame>;
  presence(options?: CallOptions): Promise<PresenceFrame>;
  history(options?: HistoryOptions): Promise<HistoryFrame>;
}

export declare class Client extends Emitter<ClientEvents> {
  constructor(url: string, options?: ClientOptions);
  readonly url: string;
  readonly state: State;
  readonly user: string | null;
  readonly conn: string | null;
  readonly heartbeat: number | null;
  readonly expires: number | null;
  /** The inbox position of the direct messages seen, to save and pass as `since` later. */
  readonly inbox: Position | null;
  connect(): this;
  disconnect(): this;
  ready(timeout?: number): Promise<void>;
  room(name: string, options?: RoomOptions): Room;
  rooms(): Room[];
  send(to: string, body: Json, options?: SendOptions): Promise<AckFrame>;
  presence(options?: CallOptions): Promise<PresenceFrame>;
}

export declare function backoffDelay(attempt: number, base: number, max: number, random?: () => number): number;
export declare function utf8Length(text: string): number;

export default Client;
