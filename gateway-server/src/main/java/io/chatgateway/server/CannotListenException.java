package io.chatgateway.server;

import java.net.InetSocketAddress;

/**
 * A listening socket could not be opened: the port is taken, the address is not one of this host's, or a low port
 * needs a privilege the process lacks. This is expected in operation, not a fault of the gateway, so the message
 * says everything (address, port, which listener, why) and {@link Main} logs it as one line without a stack trace:
 * {@code Cannot listen on 0.0.0.0:8080 for HTTP/WebSocket: address already in use}.
 */
public final class CannotListenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient InetSocketAddress address;
    private final String listener;

    CannotListenException(InetSocketAddress address, String listener, Throwable cause) {
        super("Cannot listen on " + hostAndPort(address) + " for " + listener + ": " + reason(cause), cause);
        this.address = address;
        this.listener = listener;
    }

    /** The address and port that could not be bound. */
    public InetSocketAddress address() {
        return address;
    }

    /** {@code HTTP/WebSocket} or {@code TCP}. */
    public String listener() {
        return listener;
    }

    private static String hostAndPort(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /**
     * The operating system's words: NIO says {@code Address already in use}, native epoll puts
     * {@code bind(..) failed with error(-98): } before the same words.
     */
    static String reason(Throwable cause) {
        String m = cause.getMessage();
        if (m == null || m.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        m = m.replaceFirst("^bind\\(\\.\\.\\) failed[^:]*: ", "");
        return Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
