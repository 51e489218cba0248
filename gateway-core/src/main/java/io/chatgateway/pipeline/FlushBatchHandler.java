package io.chatgateway.pipeline;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.policy.SlowConsumerPolicy;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.AttributeKey;

import java.nio.channels.ClosedChannelException;

/**
 * Turns the writes of one channel into few flushes: a write only puts the channel on its loop's
 * {@link LoopFlusher} list (once), and the list is flushed at the end of the next event-loop iteration, or
 * {@code write-delay} after the end of this one (see {@link LoopFlusher}). In place of Netty's
 * {@code FlushConsolidationHandler}, which schedules a flush task per channel outside a read.
 *
 * <p>A write is enough: every write that reaches this handler is flushed by the drain, whether or not a
 * {@code flush} follows it, and a {@code flush} does nothing more. So a fan-out writes with {@code write} alone; a
 * {@code writeAndFlush} per recipient sends a second call down every handler above this one for nothing (A/B in
 * docs/benchmarks.md).
 *
 * <p>The outbound path stays bounded and nothing waits past a close:
 * <ul>
 *   <li>a channel that turns unwritable is flushed at once, on the write that crossed the high water mark, so the
 *       socket takes what it can before {@link SlowConsumerHandler} looks at what is left;</li>
 *   <li>every {@value #EXPLICIT_FLUSH_AFTER} writes are flushed at once, whatever the iteration holds;</li>
 *   <li>{@code close}, {@code disconnect} and removal flush what waits first, so a {@code kicked} frame or a
 *       close frame written just before the close goes out.</li>
 * </ul>
 *
 * <p><b>The short way in for a shared frame.</b> A frame written to many connections (a room's fan-out, a broadcast)
 * enters here, through {@link #writeShared}, instead of at the tail: its transport's bytes are the same for every
 * recipient ({@link SharedFrame}), so the handlers between the tail and this one have nothing to do for it but
 * pass it on, and walking a dozen handler contexts per recipient, cold in cache for each of thousands of channels,
 * was the largest part of a delivery's Java time (docs/benchmarks.md). What those handlers do for a frame is done
 * here, in the same order and with the same code:
 * <ul>
 *   <li>counting (the connection's and the gateway's bytes and frames out, as {@link MeteringHandler});</li>
 *   <li>framing (a retained duplicate of the frame's bytes for this transport, as {@link WebSocketFrameCodec} and
 *       {@link TcpFrameEncoder});</li>
 *   <li>refusing a write after the WebSocket close frame (as Netty's {@code WebSocketServerProtocolHandler}: the
 *       write fails with {@link ClosedChannelException}). On WebSocket this handler sits above the frame encoder,
 *       so every close frame of the connection passes it as a {@link CloseWebSocketFrame}; the first one closes the
 *       short way too;</li>
 *   <li>the slow-consumer policy's hard limit (as {@link SlowConsumerHandler}; its grace timer needs nothing from
 *       a write: it follows the channel's writability events).</li>
 * </ul>
 * Frames for one connection (replies, direct messages) still come down the whole pipeline.
 *
 * <p>Stateful: one instance per channel, on that channel's event loop.
 */
final class FlushBatchHandler extends ChannelDuplexHandler {
    /** As Netty's {@code FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES}. */
    static final int EXPLICIT_FLUSH_AFTER = 256;
    private static final AttributeKey<FlushBatchHandler> KEY = AttributeKey.valueOf(FlushBatchHandler.class, "front");
    /**
     * The failure of every shared frame refused after the close frame: one instance without a stack trace, as
     * Netty's own refusals, since a busy room refuses one per message until the connection is closed, and filling
     * in a stack for each cost more than the write it stands for. It says where it comes from in its message.
     */
    static final ClosedChannelException CLOSE_SENT = new ClosedChannelException() {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            return "the WebSocket close frame has been sent (FlushBatchHandler.writeShared)";
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    /** What a shared frame needs on its short way in: the transport's framing, the counters, the outbound bound. */
    static final class Front {
        final boolean webSocket;
        final GatewayMetrics metrics;
        final SlowConsumerPolicy slowConsumer;

        Front(boolean webSocket, GatewayMetrics metrics, SlowConsumerPolicy slowConsumer) {
            this.webSocket = webSocket;
            this.metrics = metrics;
            this.slowConsumer = slowConsumer;
        }
    }

    private final LoopFlusher.Flushers flushers;
    /** {@code null}: no short way in (shared frames come down the pipeline like any other write). */
    private final Front front;
    private LoopFlusher flusher;
    private ChannelHandlerContext ctx;
    /** Writes since the last real flush. */
    private int pendingWrites;
    /** On the flusher's list (it flushes this channel once when it drains). */
    private boolean queued;
    /** A WebSocket close frame has been written: nothing may follow it. */
    private boolean closeSent;
    /** The channel's connection, looked up on the first shared frame (registered before any can come). */
    private Connection connection;
    /** The promise of every shared frame written here, made on the first. */
    private SharedWritePromise sharedPromise;

    FlushBatchHandler(LoopFlusher.Flushers flushers) {
        this(flushers, null);
    }

    FlushBatchHandler(LoopFlusher.Flushers flushers, Front front) {
        this.flushers = flushers;
        this.front = front;
    }

    /**
     * The handler through which {@link #writeShared} reaches {@code ch}, or {@code null} when the channel has none
     * (not a gateway connection, or its pipeline is being taken down).
     */
    static FlushBatchHandler of(Channel ch) {
        return ch.attr(KEY).get();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.flusher = flushers.of(ctx.executor());
        if (front != null) {
            ctx.channel().attr(KEY).set(this);
        }
    }

    /**
     * Writes a frame shared by many connections from here (see the class comment); on the channel's event loop.
     * Borrows {@code frame}: the caller keeps its reference, and the write holds its own duplicate. A failure of the
     * write, now or once it reaches the socket, goes to {@code onFailure}; a success is not reported. Every such
     * write of this channel carries one {@link SharedWritePromise}, made on the first, instead of a promise each.
     * A frame refused after the WebSocket close frame fails at once, with {@link #CLOSE_SENT}.
     */
    void writeShared(SharedFrame frame, WriteFailure onFailure) {
        Channel ch = ctx.channel();
        if (closeSent) {
            onFailure.failed(ch, CLOSE_SENT);
            return;
        }
        if (connection == null) {
            connection = Connection.of(ch);
        }
        MeteringHandler.countOut(front.metrics, connection, frame.payloadBytes(), frame.frameCount());
        write(ctx, frame.framed(front.webSocket, ctx).retainedDuplicate(), promiseFor(onFailure));
        SlowConsumerHandler.kickIfOverHardLimit(front.slowConsumer, ch);
    }

    /** The channel's shared promise, or a promise of the write's own for a second, different failure handler. */
    private ChannelPromise promiseFor(WriteFailure onFailure) {
        SharedWritePromise shared = sharedPromise;
        if (shared == null) {
            shared = sharedPromise = new SharedWritePromise(ctx.channel(), onFailure);
        }
        if (shared.reportsTo(onFailure)) {
            return shared;
        }
        return ctx.newPromise().addListener(onFailure);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof CloseWebSocketFrame) {
            closeSent = true;
        }
        ctx.write(msg, promise);
        if (++pendingWrites >= EXPLICIT_FLUSH_AFTER || !ctx.channel().isWritable()) {
            // A bounded batch, or past the high water mark: the socket takes what it can now, before the
            // slow-consumer check looks at what is left.
            flushNow();
        } else if (!queued) {
            queued = true;
            flusher.add(this);
        }
    }

    /** Nothing to do: every write that reached this handler has already put the channel on the flush list. */
    @Override
    public void flush(ChannelHandlerContext ctx) {
    }

    /** From the loop's drain. */
    void flushQueued() {
        queued = false;
        if (pendingWrites > 0 && !ctx.isRemoved()) {
            flushNow();
        }
    }

    private void flushNow() {
        pendingWrites = 0;
        ctx.flush();
    }

    private void flushIfPending() {
        if (pendingWrites > 0) {
            flushNow();
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushIfPending();
        ctx.close(promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushIfPending();
        ctx.disconnect(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (front != null) {
            ctx.channel().attr(KEY).set(null);
        }
        flushIfPending();
    }
}
