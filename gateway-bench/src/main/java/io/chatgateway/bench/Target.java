package io.chatgateway.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the bench connects: a WebSocket URI ({@code ws://host:port/ws}) or a TCP address ({@code tcp://host:port}),
 * or a socket.io 4 server speaking the gateway's frames as {@code "m"} events ({@code sio://host:port}: WebSocket
 * to {@code /socket.io/?EIO=4&transport=websocket}; see gateway-bench/peers/).
 *
 * @param transport {@code ws} or {@code tcp} ({@code ws} for socket.io too)
 * @param uri       the WebSocket URI (path and all) for {@code ws}; {@code tcp://host:port} for {@code tcp}
 * @param socketIo  frames go in socket.io packets ({@link SocketIoFraming})
 */
public record Target(String transport, String host, int port, URI uri, boolean socketIo) {
    public static final String WS = "ws";
    public static final String TCP = "tcp";
    static final String SIO = "sio";

    /**
     * @param target    {@code ws://host:port/path}, {@code tcp://host:port} or {@code host:port}
     * @param transport {@code ws}, {@code tcp} or {@code null} to take it from the target's scheme
     */
    public static Target parse(String target, String transport) throws Options.UsageException {
        String t = transport == null ? null : transport.toLowerCase(Locale.ROOT);
        if (t != null && !t.equals(WS) && !t.equals(TCP)) {
            throw new Options.UsageException("--transport: " + transport + " (expected: ws or tcp)");
        }
        String s = target.trim();
        if (!s.contains("://")) {
            s = (t == null ? WS : t) + "://" + s;
        }
        URI uri;
        try {
            uri = URI.create(s);
        } catch (IllegalArgumentException e) {
            throw new Options.UsageException("--target: " + target + " (expected: ws://host:port/ws or tcp://host:port)");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals(SIO) && (t == null || t.equals(WS)) && uri.getHost() != null && uri.getPort() > 0) {
            String path = uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/") ? "/socket.io/"
                    : uri.getPath();
            return new Target(WS, uri.getHost(), uri.getPort(), URI.create("ws://" + uri.getHost() + ":" + uri.getPort()
                    + path + "?EIO=4&transport=websocket"), true);
        }
        if (!scheme.equals(WS) && !scheme.equals(TCP)) {
            throw new Options.UsageException("--target: " + target + " (scheme must be ws or tcp; wss is not supported)");
        }
        if (t != null && !t.equals(scheme)) {
            throw new Options.UsageException("--transport " + t + " does not match --target " + target);
        }
        if (uri.getHost() == null || uri.getPort() <= 0) {
            throw new Options.UsageException("--target: " + target + " (expected a host and a port)");
        }
        if (scheme.equals(WS) && (uri.getPath() == null || uri.getPath().isEmpty())) {
            uri = URI.create("ws://" + uri.getHost() + ":" + uri.getPort() + "/ws");
        }
        return new Target(scheme, uri.getHost(), uri.getPort(), uri, false);
    }

    /**
     * Parses {@code --target}: one address, or several separated by commas (gateway nodes of one cluster), all of one
     * transport. Connection {@code i} goes to {@code targets.get(i % targets.size())}.
     */
    public static List<Target> parseList(String targets, String transport) throws Options.UsageException {
        List<Target> out = new ArrayList<>();
        for (String t : targets.split(",")) {
            if (t.isBlank()) {
                throw new Options.UsageException("--target: " + targets + " (an empty address in the list)");
            }
            Target parsed = parse(t, transport);
            if (!out.isEmpty() && !out.get(0).transport().equals(parsed.transport())) {
                throw new Options.UsageException("--target: " + targets + " (every address must use the same transport)");
            }
            out.add(parsed);
        }
        return List.copyOf(out);
    }

    /** The target of connection {@code index}: connections go round the list, so consecutive ones differ. */
    public static Target of(List<Target> targets, int index) {
        return targets.get(Math.floorMod(index, targets.size()));
    }

    public boolean isSocketIo() {
        return socketIo;
    }

    public boolean isWebSocket() {
        return WS.equals(transport);
    }

    /** {@code true} for a loopback host, where the bench can spread its sockets over 127.0.0.x source addresses. */
    public boolean isLoopback() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
