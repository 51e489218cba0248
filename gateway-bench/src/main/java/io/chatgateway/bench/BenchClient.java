package io.chatgateway.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One bench client: its current connection, whose last handler ({@link #newLink()}, after the transport's framing)
 * authenticates when the transport is ready, reads every frame with the event loop's {@link FrameScanner} and
 * tells the scenario's {@link ClientListener}. It also keeps the connection alive the way a client should: a
 * {@code ping} when it has sent nothing for half the heartbeat the gateway announced in {@code welcome}.
 *
 * <p>A client outlives its connections: when it {@linkplain #drop drops} one and connects again (the reconnect
 * runs of {@code room} and {@code direct}), the new connection gets a new handler on the same event loop, and
 * whatever the old one still reports is ignored. Its mutable fields belong to that event loop.
 */
final class BenchClient {
    enum State { NEW, CONNECTING, AUTHENTICATING, READY, FAILED, CLOSED }

    private static final FastThreadLocal<FrameScanner> SCANNER = new FastThreadLocal<>() {
        @Override
        protected FrameScanner initialValue() {
            return new FrameScanner();
        }
    };

    private static final AtomicIntegerFieldUpdater<BenchClient> RESOLVED =
            AtomicIntegerFieldUpdater.newUpdater(BenchClient.class, "resolved");

    final int index;
    final String user;
    private final String token;
    private final boolean authByFrame;
    private final ClientListener listener;

    volatile State state = State.NEW;
    volatile Channel channel;
    /** The handler of the current connection; events of any other are stale. */
    private volatile Link link;
    /** When this connection was meant to start (open-loop connects) or did start; connect latency counts from it. */
    long connectFromNanos;
    volatile long lastWriteNanos;
    volatile long heartbeatNanos = Long.MAX_VALUE;

    private volatile int resolved;
    /** The join this connection waits for before it counts as ready, or {@code null}. */
    volatile String awaitingJoin;

    /** The scenario's per-connection data: the frame prefix to send, the receiving checker. */
    byte[] sendPrefix;
    long nextSeq;
    SequenceChecker checker;
    private java.util.ArrayDeque<long[]> pendingPublishes;
    /** Reconnect runs: what this client keeps across its connections; {@code null} otherwise. */
    Resume resume;

    BenchClient(int index, String user, String token, boolean authByFrame, ClientListener listener) {
        this.index = index;
        this.user = user;
        this.token = token;
        this.authByFrame = authByFrame;
        this.listener = listener;
    }

    /** Marks the end of connecting (ready or failed); {@code true} only for the first call. */
    boolean resolve() {
        return RESOLVED.compareAndSet(this, 0, 1);
    }

    /** Capacity: this publisher's messages awaiting their ack, oldest first ({sequence, intended time}). */
    java.util.ArrayDeque<long[]> pendingPublishes() {
        if (pendingPublishes == null) {
            pendingPublishes = new java.util.ArrayDeque<>();
        }
        return pendingPublishes;
    }

    java.util.ArrayDeque<long[]> pendingPublishesOrNull() {
        return pendingPublishes;
    }

    String token() {
        return token;
    }

    boolean isReady() {
        return state == State.READY;
    }

    /** Writes one frame payload and flushes; drops it (released) when the connection is gone. */
    boolean write(ByteBuf payload) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            payload.release();
            return false;
        }
        lastWriteNanos = System.nanoTime();
        ch.writeAndFlush(payload, ch.voidPromise());
        return true;
    }

    /** Sends a ping when the connection has been silent for half the heartbeat interval. */
    void keepAlive(long nowNanos) {
        Channel ch = channel;
        if (state == State.READY && ch != null && nowNanos - lastWriteNanos > heartbeatNanos / 2) {
            write(Frames.ping(ch.alloc()));
        }
    }

    void close() {
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    /** The handler for a new connection of this client; from now on only its events count. */
    ChannelHandler newLink() {
        Link l = new Link();
        link = l;
        return l;
    }

    /**
     * Drops the current connection the way a network does, without a goodbye: no WebSocket close frame, the socket
     * closed at once (a FIN, or with {@code reset} a TCP reset). Nothing its connection still reports counts.
     * On the event loop.
     *
     * @return the channel dropped, or {@code null} when there was none
     */
    Channel drop(boolean reset) {
        Channel ch = channel;
        link = null;
        channel = null;
        state = State.NEW;
        heartbeatNanos = Long.MAX_VALUE;
        if (ch == null) {
            return null;
        }
        if (reset) {
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        // From the pipeline's first handler, so that no WebSocket handler sends a close frame on the way out.
        ChannelHandlerContext first = ch.pipeline().firstContext();
        if (first != null) {
            first.close();
        } else {
            ch.close();
        }
        return ch;
    }

    /** The pipeline end of one connection of this client. */
    private final class Link extends ChannelInboundHandlerAdapter {
        private boolean current() {
            return link == this;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (!current()) {
                ctx.fireChannelActive();
                return;
            }
            if (!(ctx.pipeline().get(WebSocketClientProtocolHandler.class) != null)) {
                transportReady(ctx); // TCP: ready as soon as connected
            }
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!current()) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                transportReady(ctx);
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                fail("websocket handshake timeout");
                ctx.close();
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void transportReady(ChannelHandlerContext ctx) {
            state = State.AUTHENTICATING;
            if (authByFrame) {
                lastWriteNanos = System.nanoTime();
                Resume r = resume;
                ByteBuf auth = r != null && r.inbox != null && r.inbox.isStarted()
                        ? Frames.auth(ctx.alloc(), token, r.inbox.sinceEpoch(), r.inbox.since())
                        : Frames.auth(ctx.alloc(), token);
                if (r != null && r.inbox != null && r.inbox.isStarted()) {
                    r.inbox.beginResume();
                }
                ctx.writeAndFlush(auth, ctx.voidPromise());
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!current()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!(msg instanceof ByteBuf)) {
                ReferenceCountUtil.release(msg);
                listener.onUnexpected(BenchClient.this, "non-text frame");
                return;
            }
            ByteBuf buf = (ByteBuf) msg;
            try {
                long now = System.nanoTime();
                FrameScanner f = SCANNER.get();
                if (!f.scan(buf)) {
                    listener.onUnexpected(BenchClient.this,
                            f.invalidUtf8() ? "frame not valid UTF-8" : "malformed frame");
                    return;
                }
                switch (f.type()) {
                    case MESSAGE:
                        listener.onMessage(BenchClient.this, f, now);
                        break;
                    case ACK:
                        listener.onAck(BenchClient.this, f, now);
                        break;
                    case WELCOME:
                        if (state == State.AUTHENTICATING) {
                            state = State.READY;
                            if (f.heartbeat() > 0) {
                                heartbeatNanos = f.heartbeat() * 1_000_000_000L;
                            }
                            listener.onWelcome(BenchClient.this, f, now);
                        } else {
                            listener.onUnexpected(BenchClient.this, "welcome in state " + state);
                        }
                        break;
                    case ERROR:
                        if (state == State.AUTHENTICATING) {
                            fail("error " + f.code());
                        } else if (f.id() == Frames.PRESENCE_ID) {
                            listener.onPresence(BenchClient.this, f.code());
                        } else {
                            listener.onError(BenchClient.this, f.code());
                        }
                        break;
                    case KICKED:
                        listener.onKicked(BenchClient.this, f.reason());
                        break;
                    case JOINED:
                    case LEFT:
                        listener.onMembership(BenchClient.this);
                        break;
                    case HISTORY:
                        listener.onHistory(BenchClient.this, f);
                        break;
                    case PRESENCE:
                        listener.onPresence(BenchClient.this, null);
                        break;
                    case PONG:
                        break;
                    default:
                        listener.onUnexpected(BenchClient.this, "unknown frame type");
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!current()) {
                ctx.fireChannelInactive();
                return;
            }
            State s = state;
            if (s == State.READY) {
                state = State.CLOSED;
                listener.onClosed(BenchClient.this);
            } else if (s == State.CONNECTING || s == State.AUTHENTICATING) {
                fail(s == State.CONNECTING ? "closed during websocket handshake" : "closed before welcome");
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (current() && state != State.READY) {
                fail(Failures.reason(cause));
            }
            ctx.close();
        }
    }

    /** Records a failure to connect or authenticate, once. */
    void fail(String reason) {
        State s = state;
        if (s == State.READY || s == State.FAILED || s == State.CLOSED) {
            return;
        }
        state = State.FAILED;
        listener.onConnectFailed(this, reason);
        close();
    }

    @Override
    public String toString() {
        return "BenchClient(" + index + ", " + user + ", " + state + ")";
    }
}
