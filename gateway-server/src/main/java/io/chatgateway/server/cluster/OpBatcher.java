package io.chatgateway.server.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Collects operations from every event loop and sends them to Redis in batches, one {@code ops.lua} call per batch,
 * in the order they were submitted. Batches are pipelined: a batch does not wait for the previous one's reply.
 *
 * <p>A flush is scheduled when the first operation arrives and runs after the tasks already queued on the executor,
 * so an idle node sends each operation at once while a busy one sends what accumulated meanwhile in one call.
 */
final class OpBatcher {
    /** Operations per call: bounds how long one script holds Redis. */
    static final int MAX_OPS = 256;
    /** Argument bytes per call. */
    static final int MAX_BYTES = 1 << 20;

    private final Queue<Op> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Executor executor;
    private final Function<List<Op>, CompletionStage<?>> sender;

    /**
     * @param sender sends one batch; it completes (or fails) every operation of the batch
     */
    OpBatcher(Executor executor, Function<List<Op>, CompletionStage<?>> sender) {
        this.executor = executor;
        this.sender = sender;
    }

    /** Queues an operation; its {@link Op#result} completes when the batch is answered. */
    void submit(Op op) {
        queue.add(op);
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            executor.execute(this::flush);
        }
    }

    /** Operations queued and not yet sent. */
    int queued() {
        return queue.size();
    }

    private void flush() {
        scheduled.set(false);
        List<Op> batch = new ArrayList<>();
        int bytes = 0;
        Op op;
        while ((op = queue.poll()) != null) {
            batch.add(op);
            bytes += op.size();
            if (batch.size() >= MAX_OPS || bytes >= MAX_BYTES) {
                sender.apply(batch);
                batch = new ArrayList<>();
                bytes = 0;
            }
        }
        if (!batch.isEmpty()) {
            sender.apply(batch);
        }
    }
}
