package io.chatgateway.history;

import java.util.List;
import java.util.Objects;

/**
 * A page of history: the position of its room or inbox (epoch and latest offset), messages (each the serialised
 * {@code message} frame, oldest first) and, when a {@code since} was asked for, whether everything after it was
 * recovered.
 *
 * @param position  the room's or inbox's epoch and latest offset
 * @param messages  serialised frames; the arrays are shared and must not be modified
 * @param recovered {@code null} without {@code since}
 */
public record HistoryPage(Position position, List<byte[]> messages, Boolean recovered) {
    public HistoryPage {
        Objects.requireNonNull(position, "position");
        messages = List.copyOf(messages);
    }
}
