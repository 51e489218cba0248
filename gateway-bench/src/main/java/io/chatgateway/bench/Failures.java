package io.chatgateway.bench;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.util.Locale;

/**
 * Names why a connection failed, in a few stable words (failures are counted by reason), and says what to do
 * when the cause is a limit of this machine rather than of the gateway.
 */
final class Failures {
    static final String FD_LIMIT = "fd limit (too many open files)";
    static final String PORTS = "no free local port (ephemeral ports exhausted)";

    private Failures() {
    }

    static String reason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage() == null ? "" : c.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("too many open files")) {
                return FD_LIMIT;
            }
            if (m.contains("cannot assign requested address") || m.contains("address already in use")) {
                return PORTS;
            }
            if (c instanceof ConnectTimeoutException || m.contains("timed out")) {
                return "connect timeout";
            }
            if (m.contains("connection refused")) {
                return "connection refused";
            }
            if (m.contains("connection reset")) {
                return "connection reset";
            }
            if (c instanceof WebSocketClientHandshakeException) {
                return "websocket handshake failed: " + shorten(c.getMessage());
            }
            if (c instanceof NoRouteToHostException) {
                return "no route to host";
            }
            if (c instanceof ConnectException) {
                return "connect failed: " + shorten(c.getMessage());
            }
        }
        return t.getClass().getSimpleName() + ": " + shorten(t.getMessage());
    }

    /** What to do about a failure that is a limit of the machine, or {@code null}. */
    static String hint(String reason, long fdLimit) {
        if (FD_LIMIT.equals(reason)) {
            return "the bench hit its file-descriptor limit (ulimit -n = " + fdLimit + "). Each connection needs one;"
                    + " run more processes (--processes N) or raise the limit. If the failures are on the gateway's"
                    + " side, its own limit is the same number per process.";
        }
        if (PORTS.equals(reason)) {
            return "no local port was free for a new connection. Spread sockets over more source addresses"
                    + " (--source-addresses 16) or widen net.ipv4.ip_local_port_range.";
        }
        return null;
    }

    private static String shorten(String m) {
        if (m == null) {
            return "";
        }
        m = m.replaceAll("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+:[0-9]+", "ADDR").replaceAll(":[0-9]{2,5}", ":PORT");
        return m.length() > 80 ? m.substring(0, 80) : m;
    }
}
