package io.chatgateway.bench;

import io.chatgateway.server.GatewayServer;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code direct} run against two gateway nodes of one cluster (a real {@code redis-server} on a free port, started
 * and stopped by this test): with {@code --target} listing both, connection {@code i} goes to node {@code i % 2}, so
 * every message crosses the broker, and the bench's accounting must still add up.
 */
@Timeout(120)
class ClusterEndToEndTest {
    private final List<GatewayServer> nodes = new ArrayList<>();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private Process redis;
    private Path redisDir;

    @AfterEach
    void stop() throws Exception {
        nodes.forEach(GatewayServer::stop);
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
        if (redisDir != null) {
            try (var files = Files.walk(redisDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void everyDirectMessageCrossesNodesAndIsDeliveredOnceInOrder() throws Exception {
        int redisPort = startRedis();
        for (int i = 0; i < 2; i++) {
            Map<Setting, String> s = new EnumMap<>(Setting.class);
            s.put(Setting.HTTP_PORT, "0");
            s.put(Setting.TCP_PORT, "0");
            s.put(Setting.BIND, "127.0.0.1");
            s.put(Setting.SHUTDOWN_TIMEOUT_SECONDS, "5");
            s.put(Setting.REDIS_URI, "redis://127.0.0.1:" + redisPort);
            GatewayServer node = new GatewayServer(ServerConfig.of(s)).start();
            nodes.add(node);
            await("node " + i + " joined the cluster", () -> node.cluster().status().isBrokerAvailable());
        }
        String targets = "ws://127.0.0.1:" + nodes.get(0).httpPort() + "/ws,ws://127.0.0.1:"
                + nodes.get(1).httpPort() + "/ws";

        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Result r = Bench.run(List.of("direct", "--target", targets, "--connections", "20", "--rate", "400",
                "--warmup", "0s", "--duration", "1s", "--connect-rate", "0", "--quiet"), out, out);
        String printed = output.toString(StandardCharsets.UTF_8);

        assertTrue(r.passed(), printed);
        long sent = r.counter("sent");
        assertTrue(sent >= 300, "sent " + sent + "\n" + printed);
        assertEquals(sent, r.counter("ack_recipients"), printed);
        assertEquals(sent, r.counter("unique"), printed);
        assertEquals(0, r.counter("duplicates"));
        assertEquals(0, r.counter("out_of_order"));
        for (GatewayServer node : nodes) {
            assertEquals(10, node.gateway().metrics().opened(Transport.WEBSOCKET), "half of the connections each");
        }
        long fromBroker = nodes.get(0).cluster().status().messagesReceived()
                + nodes.get(1).cluster().status().messagesReceived();
        assertTrue(fromBroker >= sent, "every message reached its recipient's node through Redis: " + fromBroker
                + " received from the broker for " + sent + " sent");
        assertTrue(r.environment.get("target").toString().contains(","), "both targets are in the results");
    }

    private int startRedis() throws IOException, InterruptedException {
        Path binary = Path.of("/usr/bin/redis-server");
        assertTrue(Files.isExecutable(binary), "this test needs Debian's redis-server (apt-get install -y redis-server)");
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        redisDir = Files.createTempDirectory("bench-redis-");
        redis = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
                "--dir", redisDir.toString(), "--logfile", redisDir.resolve("redis.log").toString())
                .redirectErrorStream(true).redirectOutput(redisDir.resolve("stdout.log").toFile()).start();
        int p = port;
        await("redis-server listening on " + port, () -> {
            try (Socket s = new Socket("127.0.0.1", p)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return port;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
