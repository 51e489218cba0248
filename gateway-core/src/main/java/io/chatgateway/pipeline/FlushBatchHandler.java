package io.chatgateway.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Turns the writes of one channel into one flush per event-loop iteration: a write only puts the channel on its
 * loop's {@link LoopFlusher} list (once), and the list is flushed at the end of the iteration, or
 * {@code write-delay} after the first waiting write. In place of Netty's {@code FlushConsolidationHandler}, which
 * schedules a flush task per channel outside a read.
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
 * <p>Stateful: one instance per channel, on that channel's event loop.
 */
final class FlushBatchHandler extends ChannelDuplexHandler {
    /** As Netty's {@code FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES}. */
    static final int EXPLICIT_FLUSH_AFTER = 256;

    private final LoopFlusher.Flushers flushers;
    private LoopFlusher flusher;
    private ChannelHandlerContext ctx;
    /** Writes since the last real flush. */
    private int pendingWrites;
    /** On the flusher's list (it flushes this channel once when it drains). */
    private boolean queued;

    FlushBatchHandler(LoopFlusher.Flushers flushers) {
        this.flushers = flushers;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.flusher = flushers.of(ctx.executor());
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
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
        flushIfPending();
    }
}
