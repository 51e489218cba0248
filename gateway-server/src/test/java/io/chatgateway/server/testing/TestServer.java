package io.chatgateway.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.GatewayServer;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.session.Transport;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A real gateway on 127.0.0.1 with ephemeral ports, and factories for real clients of it. Closing it stops the
 * gateway and every client it made.
 */
public final class TestServer implements AutoCloseable {
    private final GatewayServer server;
    private final List<TestClient> clients = new ArrayList<>();

    private TestServer(GatewayServer server) {
        this.server = server;
    }

    /** Starts a gateway with the defaults, ephemeral ports and these overrides. */
    public static TestServer start(Map<Setting, String> overrides) {
        Map<Setting, String> settings = new EnumMap<>(Setting.class);
        settings.put(Setting.HTTP_PORT, "0");
        settings.put(Setting.TCP_PORT, "0");
        settings.put(Setting.BIND, "127.0.0.1");
        settings.put(Setting.SHUTDOWN_TIMEOUT_SECONDS, "5");
        settings.putAll(overrides);
        try {
            return new TestServer(new GatewayServer(ServerConfig.of(settings)).start());
        } catch (Exception e) {
            throw new AssertionError("gateway did not start", e);
        }
    }

    public static TestServer start() {
        return start(Map.of());
    }

    public GatewayServer server() {
        return server;
    }

    public int httpPort() {
        return server.httpPort();
    }

    public int tcpPort() {
        return server.tcpPort();
    }

    public URI wsUri(String query) {
        return URI.create("ws://127.0.0.1:" + httpPort() + "/ws" + (query == null ? "" : "?" + query));
    }

    /** A WebSocket client, not yet authenticated. */
    public WsClient ws() {
        return ws(null, Map.of());
    }

    /** A WebSocket client with a query string and handshake headers. */
    public WsClient ws(String query, Map<String, String> headers) {
        return track(WsClient.connect(wsUri(query), headers));
    }

    /** A WebSocket client authenticated by the {@code token} query parameter. */
    public WsClient wsWithToken(String token) {
        return ws("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8), Map.of());
    }

    /** A TCP client connecting from {@code localHost} (e.g. 127.0.0.5), not yet authenticated. */
    public TcpClient tcpFrom(String localHost) {
        return track(TcpClient.connectFrom(localHost, "127.0.0.1", tcpPort()));
    }

    /**
     * A raw WebSocket client from {@code localHost} (or the default), sending {@code prefix} (e.g. a PROXY header, may
     * be {@code null}) before its handshake; the answer's status is in {@link RawWsClient#status()}.
     */
    public RawWsClient rawWs(String localHost, byte[] prefix, String query, Map<String, String> headers) {
        java.net.Socket s = TcpClient.open(localHost, "127.0.0.1", httpPort(), 0);
        return track(RawWsClient.handshake(s, "/ws" + (query == null ? "" : "?" + query), headers, prefix));
    }

    /** Logs in over a raw WebSocket with this {@code Origin}; returns the first frame (the welcome, if allowed). */
    public JsonNode rawWsLogin(String origin) {
        RawWsClient c = rawWs(null, null, "token=raw-" + Integer.toHexString(origin.hashCode()),
                Map.of("Origin", origin));
        if (c.status() != 101) {
            throw new AssertionError("handshake refused: " + c.head());
        }
        return c.next();
    }

    /** A TCP client, not yet authenticated. */
    public TcpClient tcp() {
        return track(TcpClient.connect("127.0.0.1", tcpPort()));
    }

    /** A TCP client with a small receive buffer, not yet authenticated. */
    public TcpClient tcp(int receiveBufferBytes) {
        return track(TcpClient.connect("127.0.0.1", tcpPort(), receiveBufferBytes));
    }

    /** A client of this transport, not yet authenticated. */
    public TestClient connect(Transport transport) {
        return transport == Transport.WEBSOCKET ? ws() : tcp();
    }

    /** A client of this transport, authenticated as {@code user} (development mode) with its welcome consumed. */
    public TestClient login(Transport transport, String user) {
        TestClient c = connect(transport);
        JsonNode welcome = c.auth(user);
        if (!user.equals(welcome.path("user").asText())) {
            throw new AssertionError("welcome for the wrong user: " + welcome);
        }
        return c;
    }

    private <C extends TestClient> C track(C client) {
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    /**
     * Polls a condition on the gateway's state until it holds; fails after 10 s. For state that the gateway
     * updates after the client has seen its effect (e.g. removal after a close).
     */
    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TestClient.WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }

    @Override
    public void close() {
        synchronized (clients) {
            for (TestClient c : clients) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing anyway
                }
            }
        }
        server.stop();
    }
}
