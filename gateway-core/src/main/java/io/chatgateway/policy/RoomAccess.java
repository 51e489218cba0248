package io.chatgateway.policy;

import java.util.Locale;

/** Who may join which room ({@code room-access}). */
public enum RoomAccess {
    /** A connection joins only the rooms it is granted: by its token's claims, a room token, or the server. */
    GRANTED,
    /** Every room is granted to everyone, with publish (protocol v1 behaviour). */
    OPEN;

    /** {@code granted} or {@code open}, case-insensitive. */
    public static RoomAccess parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "granted": return GRANTED;
            case "open": return OPEN;
            default: throw new IllegalArgumentException("room access: " + s + " (expected: granted or open)");
        }
    }

    /** The name as configured, e.g. {@code granted}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
