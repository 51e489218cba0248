package io.chatgateway.policy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Which web origins may open a WebSocket ({@code allowed-origins}): the decision behind a handshake's HTTP 403.
 *
 * <p>Entries are exact origins ({@code scheme://host[:port]}, compared after normalisation: scheme and host in
 * lower case, the scheme's default port dropped), {@code *} for any origin, {@code self} for the gateway's own, and
 * {@code null} for the opaque origin that sandboxed frames and {@code file:} pages send.
 *
 * <ul>
 *   <li>A handshake without {@code Origin} comes from a non-browser client and is always allowed: browsers always
 *       send one, and anything else could send whatever it likes.</li>
 *   <li>{@code self} matches when the origin's host and port equal the request's {@code Host} header (case-
 *       insensitive, default ports normalised: a {@code Host} without a port means the origin scheme's default).
 *       On a TLS port only {@code https} origins are the gateway's own.</li>
 *   <li>{@code Origin: null} is refused unless {@code null} (or {@code *}) is listed: it stands for any sandboxed
 *       or local page, so {@code self} never covers it.</li>
 *   <li>An {@code Origin} that is not a valid origin is refused (unless {@code *}).</li>
 * </ul>
 *
 * <p>Immutable and thread-safe; no I/O.
 */
public final class OriginPolicy {
    public static final String ANY = "*";
    public static final String SELF = "self";
    public static final String NULL = "null";

    private final List<String> entries;
    private final boolean any;
    private final boolean self;
    private final boolean opaque;
    private final Set<String> exact;

    private OriginPolicy(List<String> entries, boolean any, boolean self, boolean opaque, Set<String> exact) {
        this.entries = entries;
        this.any = any;
        this.self = self;
        this.opaque = opaque;
        this.exact = exact;
    }

    /**
     * @param entries origins, {@code *}, {@code self} or {@code null}; not empty
     * @throws IllegalArgumentException naming the first entry that is none of these
     */
    public static OriginPolicy of(List<String> entries) {
        Objects.requireNonNull(entries, "entries");
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("allowedOrigins: empty (expected: origins, self or *)");
        }
        boolean any = false;
        boolean self = false;
        boolean opaque = false;
        Set<String> exact = new LinkedHashSet<>();
        List<String> kept = new ArrayList<>();
        for (String raw : entries) {
            String e = raw == null ? "" : raw.trim();
            kept.add(e);
            if (e.equals(ANY)) {
                any = true;
            } else if (e.equalsIgnoreCase(SELF)) {
                self = true;
            } else if (e.equalsIgnoreCase(NULL)) {
                opaque = true;
            } else {
                // A trailing slash is a common slip in configuration ("https://chat.example.com/"); browsers never send it.
                Origin o = Origin.parse(e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
                if (o == null) {
                    throw new IllegalArgumentException("allowedOrigins: " + e
                            + " (expected: scheme://host[:port], self, null or *)");
                }
                exact.add(o.serialised());
            }
        }
        return new OriginPolicy(List.copyOf(kept), any, self, opaque, Set.copyOf(exact));
    }

    /**
     * @param origin         the handshake's {@code Origin} header, or {@code null} when it has none
     * @param host           the handshake's {@code Host} header, or {@code null}
     * @param secureTransport {@code true} when the connection is TLS
     * @return whether the handshake may go on
     */
    public boolean allows(String origin, String host, boolean secureTransport) {
        if (origin == null || any) {
            return true;
        }
        String o = origin.trim();
        if (o.equalsIgnoreCase(NULL)) {
            return opaque;
        }
        Origin parsed = Origin.parse(o);
        if (parsed == null) {
            return false;
        }
        if (exact.contains(parsed.serialised())) {
            return true;
        }
        return self && isSelf(parsed, host, secureTransport);
    }

    private static boolean isSelf(Origin origin, String host, boolean secureTransport) {
        if (host == null || origin.defaultPort < 0) {
            return false;
        }
        if (secureTransport && !origin.scheme.equals("https")) {
            return false;
        }
        HostPort h = HostPort.parse(host.trim());
        if (h == null) {
            return false;
        }
        int hostPort = h.port < 0 ? origin.defaultPort : h.port;
        return h.host.equals(origin.host) && hostPort == origin.port;
    }

    /** {@code true} when every origin is allowed. */
    public boolean allowsAny() {
        return any;
    }

    /** The entries as configured. */
    public List<String> entries() {
        return entries;
    }

    @Override
    public String toString() {
        return String.join(",", entries);
    }

    /** A parsed origin: scheme, host and the effective port ({@code -1} for a scheme without a default). */
    private static final class Origin {
        final String scheme;
        final String host;
        final int port;
        final int defaultPort;

        private Origin(String scheme, String host, int port, int defaultPort) {
            this.scheme = scheme;
            this.host = host;
            this.port = port;
            this.defaultPort = defaultPort;
        }

        /** {@code scheme://host[:port]} with nothing after it, or {@code null}. */
        static Origin parse(String s) {
            int sep = s.indexOf("://");
            if (sep <= 0 || !isScheme(s, sep)) {
                return null;
            }
            String scheme = s.substring(0, sep).toLowerCase(Locale.ROOT);
            HostPort hp = HostPort.parse(s.substring(sep + 3));
            if (hp == null) {
                return null;
            }
            int defaultPort = defaultPort(scheme);
            return new Origin(scheme, hp.host, hp.port < 0 ? defaultPort : hp.port, defaultPort);
        }

        String serialised() {
            return port < 0 || port == defaultPort ? scheme + "://" + host : scheme + "://" + host + ":" + port;
        }

        private static boolean isScheme(String s, int end) {
            char first = s.charAt(0);
            if (!(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z')) {
                return false;
            }
            for (int i = 1; i < end; i++) {
                char c = s.charAt(i);
                if (!(Character.isLetterOrDigit(c) && c < 128 || c == '+' || c == '-' || c == '.')) {
                    return false;
                }
            }
            return true;
        }

        private static int defaultPort(String scheme) {
            switch (scheme) {
                case "http":
                case "ws":
                    return 80;
                case "https":
                case "wss":
                    return 443;
                default:
                    return -1;
            }
        }
    }

    /** {@code host[:port]}, host lower-cased, IPv6 literals in brackets; port {@code -1} when absent. */
    private static final class HostPort {
        final String host;
        final int port;

        private HostPort(String host, int port) {
            this.host = host;
            this.port = port;
        }

        static HostPort parse(String s) {
            if (s.isEmpty() || s.length() > 300) {
                return null;
            }
            String host;
            String rest;
            if (s.charAt(0) == '[') {
                int close = s.indexOf(']');
                if (close < 2) {
                    return null;
                }
                host = s.substring(0, close + 1);
                for (int i = 1; i < close; i++) {
                    char c = s.charAt(i);
                    if (!(Character.digit(c, 16) >= 0 && c < 128 || c == ':' || c == '.')) {
                        return null;
                    }
                }
                rest = s.substring(close + 1);
            } else {
                int colon = s.indexOf(':');
                host = colon < 0 ? s : s.substring(0, colon);
                rest = colon < 0 ? "" : s.substring(colon);
                if (host.isEmpty()) {
                    return null;
                }
                for (int i = 0; i < host.length(); i++) {
                    char c = host.charAt(i);
                    if (!(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '.' || c == '_')) {
                        return null;
                    }
                }
            }
            int port = -1;
            if (!rest.isEmpty()) {
                if (rest.charAt(0) != ':' || rest.length() < 2 || rest.length() > 6) {
                    return null;
                }
                port = 0;
                for (int i = 1; i < rest.length(); i++) {
                    char c = rest.charAt(i);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                    port = port * 10 + (c - '0');
                }
                if (port > 65535) {
                    return null;
                }
            }
            return new HostPort(host.toLowerCase(Locale.ROOT), port);
        }
    }
}
