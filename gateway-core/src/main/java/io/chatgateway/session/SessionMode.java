package io.chatgateway.session;

import java.util.Locale;

/**
 * How many connections one user may hold.
 */
public enum SessionMode {
    /** One connection per user: a new login replaces the old connection, which is kicked with {@code replaced}. */
    SINGLE,
    /**
     * Up to a configured number of connections (devices) per user; a login beyond that replaces the user's oldest
     * connection, which is kicked with {@code replaced}.
     */
    MULTI;

    /** Parses {@code single} or {@code multi}, case-insensitively. */
    public static SessionMode parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "single": return SINGLE;
            case "multi": return MULTI;
            default: throw new IllegalArgumentException("sessions: " + s + " (expected: single or multi)");
        }
    }
}
