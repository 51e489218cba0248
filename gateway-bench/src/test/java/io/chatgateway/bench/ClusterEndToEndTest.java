package io.chatgateway.bench;

import io.chatgateway.server.cluster.RedisServer;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code direct} run against two gateway nodes of one cluster (a real {@code redis-server} on a free port, started
 * and stopped by this test): with {@code --target} listing both, connection {@code i} goes to node {@code i % 2}, so
 * every message crosses the broker, and the bench's accounting must still add up.
 */
@Timeout(120)
class ClusterEndToEndTest {
    private final List<TestServer> nodes = new ArrayList<>();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private RedisServer redis;

    @AfterEach
    void stop() {
        nodes.forEach(TestServer::close);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void everyDirectMessageCrossesNodesAndIsDeliveredOnceInOrder() throws Exception {
        redis = RedisServer.start();
        for (int i = 0; i < 2; i++) {
            TestServer node = TestServer.start(Map.of(Setting.REDIS_URI, redis.uri()));
            nodes.add(node);
            TestServer.await("node " + i + " joined the cluster",
                    () -> node.server().cluster().status().isBrokerAvailable());
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
        for (TestServer node : nodes) {
            assertEquals(10, node.server().gateway().metrics().opened(Transport.WEBSOCKET),
                    "half of the connections each");
        }
        long fromBroker = nodes.get(0).server().cluster().status().messagesReceived()
                + nodes.get(1).server().cluster().status().messagesReceived();
        assertTrue(fromBroker >= sent, "every message reached its recipient's node through Redis: " + fromBroker
                + " received from the broker for " + sent + " sent");
        assertTrue(r.environment.get("target").toString().contains(","), "both targets are in the results");
    }
}
