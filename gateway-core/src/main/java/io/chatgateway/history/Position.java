package io.chatgateway.history;

import java.util.Objects;

/**
 * A place in a room's history or a user's inbox: the epoch (an opaque string that changes whenever the history was
 * lost) and an offset in it (1 for the first message of an epoch, 0 for "before the first").
 *
 * @param epoch  the epoch
 * @param offset the offset, {@code >= 0}
 */
public record Position(String epoch, long offset) {
    /** Longest epoch accepted from a client. */
    public static final int MAX_EPOCH_LENGTH = 64;

    public Position {
        Objects.requireNonNull(epoch, "epoch");
        if (offset < 0) {
            throw new IllegalArgumentException("offset: " + offset + " (expected: >= 0)");
        }
    }
}
