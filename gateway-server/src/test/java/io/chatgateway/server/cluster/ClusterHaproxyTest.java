package io.chatgateway.server.cluster;

import io.chatgateway.Gateway;
import io.chatgateway.server.GatewayServer;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.RawWsClient;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Connection;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository's HAProxy configuration, run for real in front of two nodes (its Docker names and ports swapped
 * for this machine's): WebSocket and TCP clients spread over both nodes through it and talk across them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterHaproxyTest {
    private static final Path CONFIG = Path.of("..", "deploy", "haproxy", "haproxy.cfg");

    private RedisServer redis;
    private final List<GatewayServer> nodes = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();
    private Process haproxy;
    private Path dir;

    @AfterEach
    void stop() throws Exception {
        for (TestClient c : clients) {
            c.close();
        }
        if (haproxy != null) {
            haproxy.destroyForcibly();
            haproxy.waitFor(10, TimeUnit.SECONDS);
        }
        for (GatewayServer n : nodes) {
            n.stop();
        }
        if (redis != null) {
            redis.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void balancesWebSocketAndTcpClientsOverTheNodesWhoTalkAcrossThem() throws Exception {
        Path binary = Path.of("/usr/sbin/haproxy");
        assertTrue(Files.isExecutable(binary), "the HAProxy test needs Debian's haproxy package "
                + "(apt-get install -y haproxy)");
        redis = RedisServer.start();
        for (String id : List.of("lbA", "lbB")) {
            nodes.add(node(id));
        }
        int ws = freePort();
        int tcp = freePort();
        int stats = freePort();
        dir = Files.createTempDirectory("gateway-haproxy-");
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, localise(Files.readString(CONFIG), ws, tcp, stats));
        haproxy = new ProcessBuilder(binary.toString(), "-db", "-f", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        await("HAProxy listens", () -> listening(ws) && listening(tcp));

        // Each client connects from an address of its own (127.0.0.10 + i), HAProxy from 127.0.0.1: the nodes must
        // see the client's address and port, which only the PROXY header that HAProxy sends can tell them.
        List<InetSocketAddress> sources = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String local = "127.0.0." + (10 + i);
            TestClient c;
            if (i % 2 == 0) {
                RawWsClient w = RawWsClient.handshake(TcpClient.open(local, "127.0.0.1", ws, 0), "/ws", Map.of(),
                        null);
                assertEquals(101, w.status(), w.head());
                sources.add(w.localAddress());
                c = w;
            } else {
                TcpClient t = TcpClient.connectFrom(local, "127.0.0.1", tcp);
                sources.add(t.localAddress());
                c = t;
            }
            clients.add(c);
            assertEquals("lb-" + i, c.auth("lb-" + i).get("user").asText(), "through HAProxy");
            c.sendFields("type", "join", "id", 1, "room", "lb-room");
            c.expect("ack");
        }
        for (GatewayServer n : nodes) {
            assertTrue(n.gateway().connections().authenticatedCount() >= 2,
                    "least connections spreads clients over both nodes");
        }
        for (int i = 0; i < 8; i++) {
            Connection c = connectionOf("lb-" + i);
            InetSocketAddress seen = (InetSocketAddress) c.remoteAddress();
            assertEquals(sources.get(i), seen, "the node sees the client, not HAProxy (" + c.channel().remoteAddress()
                    + ")");
            assertNotEquals(((InetSocketAddress) c.channel().remoteAddress()).getAddress(), seen.getAddress());
        }
        List<List<com.fasterxml.jackson.databind.JsonNode>> seen = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            TestClient from = clients.get(i);
            from.sendFields("type", "send", "id", 2, "to", "lb-" + ((i + 1) % clients.size()), "body", "from " + i);
            List<com.fasterxml.jackson.databind.JsonNode> frames = from.until("ack");
            assertEquals(1, last(frames).get("recipients").asInt());
            seen.add(new ArrayList<>(frames));
        }
        for (int i = 0; i < clients.size(); i++) {
            String expected = "from " + ((i + clients.size() - 1) % clients.size());
            List<com.fasterxml.jackson.databind.JsonNode> frames = seen.get(i);
            while (frames.stream().noneMatch(f -> f.path("type").asText().equals("message")
                    && f.path("body").asText().equals(expected))) {
                frames.add(clients.get(i).expect("message"));
            }
        }
        clients.get(0).sendFields("type", "publish", "id", 3, "room", "lb-room", "body", "all of you");
        assertEquals(7, last(clients.get(0).until("ack")).get("recipients").asInt());
    }

    private Connection connectionOf(String user) {
        for (GatewayServer n : nodes) {
            List<Connection> c = n.gateway().connections().connectionsOf(user);
            if (!c.isEmpty()) {
                return c.get(0);
            }
        }
        throw new AssertionError(user + " has no connection on any node");
    }

    /** The repository's file with this machine's addresses: what docker-compose gives it, done by hand. */
    private String localise(String cfg, int ws, int tcp, int stats) {
        GatewayServer a = nodes.get(0);
        GatewayServer b = nodes.get(1);
        String out = cfg
                .replace("maxconn 100000", "maxconn 1000")
                .replace("log stdout format raw local0 info", "")
                .replace(" resolvers docker check", " check")
                .replaceAll("(?s)resolvers docker\\n.*?hold valid 5s\\n", "")
                .replace("bind :8080", "bind 127.0.0.1:" + ws)
                .replace("bind :9090", "bind 127.0.0.1:" + tcp)
                .replace("bind :8404", "bind 127.0.0.1:" + stats)
                .replace("gateway-1:8080", "127.0.0.1:" + a.httpPort())
                .replace("gateway-2:8080", "127.0.0.1:" + b.httpPort())
                .replace("gateway-1:9090 port 8080", "127.0.0.1:" + a.tcpPort() + " port " + a.httpPort())
                .replace("gateway-2:9090 port 8080", "127.0.0.1:" + b.tcpPort() + " port " + b.httpPort())
                .replaceAll("\\n\\s*server gateway-3 [^\\n]*", "");
        assertTrue(!out.matches("(?s).*gateway-\\d:.*") && !out.contains("resolvers docker"), out);
        return out;
    }

    private GatewayServer node(String id) throws Exception {
        Map<Setting, String> s = new EnumMap<>(Setting.class);
        s.put(Setting.HTTP_PORT, "0");
        s.put(Setting.TCP_PORT, "0");
        s.put(Setting.BIND, "127.0.0.1");
        s.put(Setting.SHUTDOWN_TIMEOUT_SECONDS, "5");
        s.put(Setting.REDIS_URI, redis.uri());
        s.put(Setting.NODE_ID, id);
        s.put(Setting.CLUSTER_LEASE_MS, Integer.toString(ClusterFixture.LEASE_MS));
        s.put(Setting.PROXY_PROTOCOL, "on"); // as docker-compose.yml's cluster nodes
        ServerConfig config = ServerConfig.of(s);
        Readyz readyz = new Readyz();
        GatewayServer server = new GatewayServer(config, readyz, Gateway.builder(config.gateway()));
        readyz.ready = () -> server.cluster().status().isBrokerAvailable();
        server.start();
        TestServer.await(id + " joined", readyz.ready);
        return server;
    }

    /** What the server's /readyz will do at merge: 200 while the broker is available, 503 otherwise. */
    @ChannelHandler.Sharable
    static final class Readyz extends SimpleChannelInboundHandler<FullHttpRequest> {
        volatile BooleanSupplier ready = () -> false;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            HttpResponseStatus status = !req.uri().startsWith("/readyz") ? HttpResponseStatus.NOT_FOUND
                    : ready.getAsBoolean() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE;
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(status.reasonPhrase(), StandardCharsets.UTF_8));
            HttpUtil.setContentLength(res, res.content().readableBytes());
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode last(List<com.fasterxml.jackson.databind.JsonNode> frames) {
        return frames.get(frames.size() - 1);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        TestServer.await(what, condition);
    }
}
