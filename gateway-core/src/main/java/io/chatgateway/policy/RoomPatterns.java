package io.chatgateway.policy;

import io.chatgateway.protocol.Names;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A set of room patterns from a token's {@code rooms} or {@code rooms_readonly} claim: each is a room name
 * (matched exactly) or a prefix ending in {@code *} ({@code "public:*"}; {@code "*"} alone matches every room).
 * Immutable and thread-safe.
 */
public final class RoomPatterns {
    /** Matches nothing. */
    public static final RoomPatterns NONE = new RoomPatterns(List.of(), List.of(), false);
    /** Longest pattern list accepted from one claim. */
    public static final int MAX_PATTERNS = 1024;

    private final List<String> exact;
    private final List<String> prefixes;
    private final boolean any;

    private RoomPatterns(List<String> exact, List<String> prefixes, boolean any) {
        this.exact = exact;
        this.prefixes = prefixes;
        this.any = any;
    }

    /**
     * Parses patterns.
     *
     * @throws IllegalArgumentException naming the first pattern that is not a valid room name or prefix
     */
    public static RoomPatterns of(Collection<String> patterns) {
        if (patterns.isEmpty()) {
            return NONE;
        }
        if (patterns.size() > MAX_PATTERNS) {
            throw new IllegalArgumentException("more than " + MAX_PATTERNS + " room patterns");
        }
        List<String> exact = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        boolean any = false;
        for (String p : patterns) {
            if (p == null) {
                throw new IllegalArgumentException("a room pattern is not a string");
            }
            if (p.equals("*")) {
                any = true;
                continue;
            }
            boolean prefix = p.endsWith("*");
            String name = prefix ? p.substring(0, p.length() - 1) : p;
            String problem = Names.roomProblem(name);
            if (problem != null) {
                throw new IllegalArgumentException("room pattern " + Names.quote(p) + ": " + problem);
            }
            (prefix ? prefixes : exact).add(name);
        }
        return new RoomPatterns(List.copyOf(exact), List.copyOf(prefixes), any);
    }

    /** {@code true} when some pattern matches {@code room}. */
    public boolean matches(String room) {
        if (any) {
            return true;
        }
        for (int i = 0; i < exact.size(); i++) {
            if (exact.get(i).equals(room)) {
                return true;
            }
        }
        for (int i = 0; i < prefixes.size(); i++) {
            if (room.startsWith(prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** {@code true} when no pattern is held. */
    public boolean isEmpty() {
        return !any && exact.isEmpty() && prefixes.isEmpty();
    }

    @Override
    public String toString() {
        List<String> all = new ArrayList<>(exact);
        for (String p : prefixes) {
            all.add(p + "*");
        }
        if (any) {
            all.add("*");
        }
        return all.toString();
    }
}
