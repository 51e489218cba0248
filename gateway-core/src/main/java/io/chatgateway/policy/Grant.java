package io.chatgateway.policy;

import java.util.Objects;

/**
 * How a connection came to be in a room, and with which right. The source decides what a token {@code refresh}
 * may take away: only rooms joined under a claim of the old token.
 *
 * @param source what granted the room
 * @param right  what the grant allows
 */
public record Grant(Source source, RoomRight right) {
    /** Every room, with publish: {@code room-access=open}. */
    public static final Grant OPEN = new Grant(Source.OPEN, RoomRight.PUBLISH);

    public Grant {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(right, "right");
    }

    /** What granted a room. */
    public enum Source {
        /** {@code room-access=open}: every room is granted. */
        OPEN,
        /** A {@code rooms} or {@code rooms_readonly} claim of the connection's token. */
        CLAIM,
        /** A room token in the {@code join} frame. */
        ROOM_TOKEN,
        /** An operator added the user to the room. */
        SERVER
    }

    /** {@code true} when the grant includes the right to publish. */
    public boolean mayPublish() {
        return right == RoomRight.PUBLISH;
    }
}
