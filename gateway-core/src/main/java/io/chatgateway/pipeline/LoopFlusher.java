package io.chatgateway.pipeline;

import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.EventExecutor;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The flush list of one event loop: the {@link FlushBatchHandler}s whose channels have writes waiting, flushed by
 * one drain at the end of the loop's iteration (Netty's {@link SingleThreadEventLoop#executeAfterEventLoopIteration
 * tail tasks}, which a {@link SingleThreadIoEventLoop} runs after the I/O and the tasks of every iteration), or {@code write-delay} after the first
 * waiting write when a delay is configured. However many frames reach a socket in one iteration — replies to a
 * batch of reads, a room's fan-out, direct messages from other loops — they leave in one {@code writev}, and the
 * loop pays one tail task per iteration, not one flush task per channel.
 *
 * <p>Event loop only: {@link #add} and the drain run on {@link #loop}. One instance per loop and per
 * {@link Flushers} (one per port); other executors (tests' {@code EmbeddedEventLoop}, a {@code DefaultEventLoop})
 * drain from an ordinary task instead, which still flushes each channel once for the writes queued before it.
 */
final class LoopFlusher {
    private final EventExecutor loop;
    private final long delayNanos;
    private final boolean tailTasks;
    private final Runnable drain = this::drain;
    private FlushBatchHandler[] pending = new FlushBatchHandler[16];
    private int size;
    private boolean scheduled;
    private boolean draining;

    LoopFlusher(EventExecutor loop, long delayNanos) {
        this.loop = loop;
        this.delayNanos = delayNanos;
        // Only an I/O loop runs its tail tasks every iteration (run() ends each one with runAllTasks); a
        // DefaultEventLoop never does, so it and anything else drain from an ordinary task.
        this.tailTasks = loop instanceof SingleThreadIoEventLoop;
    }

    /** Queues a handler whose channel has writes to flush; it is in the list at most once (its own flag says). */
    void add(FlushBatchHandler h) {
        if (size == pending.length) {
            pending = Arrays.copyOf(pending, size << 1);
        }
        pending[size++] = h;
        if (!scheduled && !draining) {
            schedule();
        }
    }

    private void schedule() {
        scheduled = true;
        try {
            if (delayNanos > 0) {
                loop.schedule(drain, delayNanos, TimeUnit.NANOSECONDS);
            } else if (tailTasks) {
                ((SingleThreadEventLoop) loop).executeAfterEventLoopIteration(drain);
            } else {
                loop.execute(drain);
            }
        } catch (RejectedExecutionException shuttingDown) {
            // The loop is going away and closes its channels; flush what waits now rather than never.
            drain();
        }
    }

    /** Flushes every queued channel once. A flush that queues another (a failed write closing a room member) is
     * served by the same drain. */
    void drain() {
        scheduled = false;
        draining = true;
        try {
            for (int i = 0; i < size; i++) {
                FlushBatchHandler h = pending[i];
                pending[i] = null;
                h.flushQueued();
            }
        } finally {
            size = 0;
            draining = false;
        }
    }

    /** How many handlers wait (tests). */
    int pendingCount() {
        return size;
    }

    /**
     * The flushers of one port, one per event loop, created on first use and forgotten when the loop terminates.
     */
    static final class Flushers {
        private final long delayNanos;
        private final ConcurrentMap<EventExecutor, LoopFlusher> byLoop = new ConcurrentHashMap<>();

        /** @param delayNanos {@code write-delay}: 0 flushes at the end of each iteration */
        Flushers(long delayNanos) {
            if (delayNanos < 0) {
                throw new IllegalArgumentException("delayNanos: " + delayNanos + " (expected: >= 0)");
            }
            this.delayNanos = delayNanos;
        }

        long delayNanos() {
            return delayNanos;
        }

        /** The flusher of {@code loop}; a fresh one, not kept, for executors that are not event-loop threads. */
        LoopFlusher of(EventExecutor loop) {
            if (!(loop instanceof SingleThreadEventLoop)) {
                return new LoopFlusher(loop, delayNanos);
            }
            LoopFlusher f = byLoop.get(loop);
            if (f != null) {
                return f;
            }
            LoopFlusher created = new LoopFlusher(loop, delayNanos);
            f = byLoop.putIfAbsent(loop, created);
            if (f == null) {
                loop.terminationFuture().addListener(done -> byLoop.remove(loop));
                f = created;
            }
            return f;
        }
    }
}
