package io.chatgateway.routing;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Message ids ({@code mid}) unique across a cluster: the node id, a dash, and a per-node sequence in base 36.
 * Node ids are unique per cluster and per start (the server generates a random one unless configured), so ids do
 * not repeat across nodes or restarts.
 */
public final class MessageIds {
    private final String prefix;
    private final AtomicLong sequence = new AtomicLong();

    public MessageIds(String nodeId) {
        this.prefix = nodeId + "-";
    }

    /** The next id. */
    public String next() {
        return prefix + Long.toString(sequence.incrementAndGet(), 36);
    }
}
