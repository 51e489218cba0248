package io.chatgateway.protocol;

/**
 * The frame types a client may send. Lookup by wire name is allocation-free.
 */
public enum FrameType {
    AUTH("auth"),
    PING("ping"),
    SEND("send"),
    JOIN("join"),
    LEAVE("leave"),
    PUBLISH("publish"),
    PRESENCE("presence"),
    /** Replaces the connection's token before it expires (1.1). */
    REFRESH("refresh"),
    /** A room's recent messages (1.1). */
    HISTORY("history");

    private static final FrameType[] VALUES = values();

    private final String wireName;

    FrameType(String wireName) {
        this.wireName = wireName;
    }

    /** The type as written on the wire, e.g. {@code "publish"}. */
    public String wireName() {
        return wireName;
    }

    /** The type with this wire name, or {@code null} when there is none. */
    public static FrameType of(String wireName) {
        for (FrameType t : VALUES) {
            if (t.wireName.equals(wireName)) {
                return t;
            }
        }
        return null;
    }
}
