package io.chatgateway.history;

/**
 * What a history holds and has dropped.
 *
 * @param bytes     bytes held, frames and bookkeeping, counted against {@code history-max-bytes}
 * @param entries   messages held
 * @param streams   rooms and inboxes with a history record
 * @param trimmed   messages dropped because their room or inbox held its maximum count
 * @param expired   messages dropped for their age
 * @param evicted   messages dropped for the memory budget, oldest first
 */
public record HistoryStats(long bytes, long entries, long streams, long trimmed, long expired, long evicted) {
    /** For a history that cannot tell. */
    public static final HistoryStats UNKNOWN = new HistoryStats(-1, -1, -1, -1, -1, -1);
}
