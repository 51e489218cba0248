package io.chatgateway.routing;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Message ids ({@code mid}) unique across a cluster and across restarts: {@code <node>-<start>-<n>}, the node id, the
 * time this process started (epoch milliseconds, base 36) and a per-process sequence (base 36). Node ids are unique
 * among live nodes; the start time keeps a node that restarts under a configured id ({@code GATEWAY_NODE_ID}) from
 * handing out its previous run's ids again, since its sequence starts over.
 */
public final class MessageIds {
    private final String prefix;
    private final AtomicLong sequence = new AtomicLong();

    public MessageIds(String nodeId) {
        this(nodeId, System.currentTimeMillis());
    }

    MessageIds(String nodeId, long startMillis) {
        this.prefix = nodeId + "-" + Long.toString(startMillis, 36) + "-";
    }

    /** The next id. */
    public String next() {
        return prefix + Long.toString(sequence.incrementAndGet(), 36);
    }
}
