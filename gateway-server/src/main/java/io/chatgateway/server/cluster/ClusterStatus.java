package io.chatgateway.server.cluster;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The state of this node's link to the cluster's broker, as plain getters for readiness checks and metrics.
 * Every getter is cheap and safe from any thread.
 */
public final class ClusterStatus {
    /** The broker link's state. */
    public enum BrokerState {
        /** Not connected to Redis yet since start. */
        CONNECTING,
        /** Connected and in sync: cross-node operations work. */
        AVAILABLE,
        /** Connected again after an outage, re-registering this node's users and rooms. */
        RESYNCING,
        /** Redis cannot be reached (or did not answer in time): cross-node operations answer unavailable. */
        UNAVAILABLE,
        /** The node has left the cluster. */
        STOPPED
    }

    private final String nodeId;
    private volatile BrokerState state = BrokerState.CONNECTING;
    private final AtomicLong reconnects = new AtomicLong();
    private volatile long lagNanos = -1;
    private final LongAdder unavailable = new LongAdder();
    private volatile int liveNodes;
    private final LongAdder received = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder operations = new LongAdder();
    private volatile int deferred;
    private final AtomicLong reapedNodes = new AtomicLong();

    ClusterStatus(String nodeId) {
        this.nodeId = nodeId;
    }

    public String nodeId() {
        return nodeId;
    }

    /** {@code true} when cross-node operations work; what {@code /readyz} should report. */
    public boolean isBrokerAvailable() {
        return state == BrokerState.AVAILABLE;
    }

    public BrokerState brokerState() {
        return state;
    }

    /** Times the node recovered from a broker outage (resubscribed and re-registered its state). */
    public long reconnects() {
        return reconnects.get();
    }

    /**
     * Round trip of the last probe this node published to itself through Redis pub/sub, in milliseconds: the delay
     * every cross-node delivery has on top of its own work. {@code -1} before the first probe.
     */
    public double pubSubLagMillis() {
        long n = lagNanos;
        return n < 0 ? -1 : n / 1_000_000.0;
    }

    /** Operations answered {@code unavailable} because the broker could not be reached. */
    public long unavailableAnswers() {
        return unavailable.sum();
    }

    /** Live nodes in the cluster (this one included), as of the last lease refresh. */
    public int liveNodes() {
        return liveNodes;
    }

    /** Messages received from the broker. */
    public long messagesReceived() {
        return received.sum();
    }

    /** Calls of the batched registry script, and the operations they carried. */
    public long batches() {
        return batches.sum();
    }

    public long operations() {
        return operations.sum();
    }

    /** Clean-up operations waiting for the broker to come back. */
    public int deferredOperations() {
        return deferred;
    }

    /** Dead nodes this node has reaped (dropped their users and announced their departures). */
    public long reapedNodes() {
        return reapedNodes.get();
    }

    @Override
    public String toString() {
        return "ClusterStatus{node=" + nodeId + ", broker=" + state + ", liveNodes=" + liveNodes + ", reconnects="
                + reconnects + ", pubSubLagMillis=" + pubSubLagMillis() + "}";
    }

    // ---- updates, by RedisCluster

    void state(BrokerState s) {
        state = s;
    }

    void reconnected() {
        reconnects.incrementAndGet();
    }

    void lag(long nanos) {
        lagNanos = nanos;
    }

    void unavailable() {
        unavailable.increment();
    }

    void liveNodes(int n) {
        liveNodes = n;
    }

    void received() {
        received.increment();
    }

    void batch(int ops) {
        batches.increment();
        operations.add(ops);
    }

    void deferred(int n) {
        deferred = n;
    }

    void reaped() {
        reapedNodes.incrementAndGet();
    }
}
