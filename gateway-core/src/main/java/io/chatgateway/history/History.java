package io.chatgateway.history;

import java.util.concurrent.CompletionStage;

/**
 * The read side of room history, the seam beside the {@link io.chatgateway.routing.Router}: each router brings
 * the history it writes ({@link MemoryHistory} on a single node, the broker's in a cluster), and the
 * {@code history} frame, the admin API and the metrics read it through here.
 *
 * <p>Writing is the router's part: it assigns offsets as it delivers, so that a member's delivery order, its
 * offsets and the history's order are one order.
 */
public interface History {
    /**
     * A page of a room's history. Without {@code since}: its latest {@code limit} messages. With {@code since}: when
     * every message after it is still held (same epoch, nothing expired or evicted), the first {@code limit} of
     * them and {@code recovered == true}; otherwise none and {@code recovered == false}. Messages come oldest
     * first, each exactly the {@code message} frame that was delivered.
     */
    CompletionStage<HistoryPage> read(String room, Position since, int limit);

    /** What is held, for metrics; fields a history cannot tell are {@code -1}. */
    HistoryStats stats();
}
