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
 * one drain for the writes of two iterations: the iteration that made the first waiting write and the next one.
 * However many frames reach a socket in that time — replies to a batch of reads, a room's fan-out, direct messages
 * from other loops — they leave in one {@code writev}, and the loop pays two small tasks per drain, not one flush
 * task per channel.
 *
 * <p><b>Why two iterations.</b> The end of the first iteration (Netty's
 * {@link SingleThreadEventLoop#executeAfterEventLoopIteration tail tasks}, which a {@link SingleThreadIoEventLoop}
 * runs after the I/O and the tasks of every iteration) queues a task; with a task waiting, the next iteration polls
 * its sockets without blocking, handles what is ready and runs the tasks that queued, and its own end drains. So
 * what arrived while the first iteration was busy joins the same socket write. That is the common case under load:
 * four publishers of one room send at the same moment, the loop wakes on the first and spends milliseconds on its
 * fan-out (a task, since a room's frames are written in the order of its history), and the other three wait in
 * their sockets meanwhile; flushed at the end of the first iteration, each member got two or three writes per
 * round instead of one (docs/benchmarks.md, "The drain after the next poll"). The cost is one non-blocking poll and
 * the next iteration's work added to a flush's latency, bounded by that one iteration.
 *
 * <p>With {@code write-delay}, the end of the first iteration schedules the drain that long ahead instead: the
 * delay counts from the end of the iteration, so an iteration that runs longer than the delay (a large fan-out)
 * does not use it up before anything else could join.
 *
 * <p>Event loop only: {@link #add} and the drain run on {@link #loop}. One instance per loop and per
 * {@link Flushers} (one per port); other executors (tests' {@code EmbeddedEventLoop}, a {@code DefaultEventLoop})
 * drain from an ordinary task instead (or the delay after the first write), which still flushes each channel once
 * for the writes queued before it.
 */
final class LoopFlusher {
    private final EventExecutor loop;
    private final long delayNanos;
    private final boolean tailTasks;
    private final Runnable drain = this::drain;
    private final Runnable afterNextPoll = this::afterNextPoll;
    private final Runnable atNextEnd = this::atNextEnd;
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
        if (tailTasks) {
            atTail(afterNextPoll);
        } else {
            later(drain);
        }
    }

    /** At the end of the iteration that made the first waiting write: the drain waits for the next one. */
    private void afterNextPoll() {
        later(atNextEnd);
    }

    /** In the next iteration's tasks, after its poll: the drain ends that iteration. */
    private void atNextEnd() {
        atTail(drain);
    }

    /** Runs {@code step} at the end of this iteration. */
    private void atTail(Runnable step) {
        try {
            ((SingleThreadEventLoop) loop).executeAfterEventLoopIteration(step);
        } catch (RejectedExecutionException shuttingDown) {
            // The loop is going away and closes its channels; flush what waits now rather than never.
            drain();
        }
    }

    /** Runs the drain {@code write-delay} from now, or without a delay {@code step} as the loop's next task. */
    private void later(Runnable step) {
        try {
            if (delayNanos > 0) {
                loop.schedule(drain, delayNanos, TimeUnit.NANOSECONDS);
            } else {
                loop.execute(step);
            }
        } catch (RejectedExecutionException shuttingDown) {
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

        /** @param delayNanos {@code write-delay}: 0 flushes at the end of the iteration after the first write */
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
