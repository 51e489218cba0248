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

    private String startTwoNodes() {
        redis = RedisServer.start();
        for (int i = 0; i < 2; i++) {
            TestServer node = TestServer.start(Map.of(Setting.REDIS_URI, redis.uri()));
            nodes.add(node);
            TestServer.await("node " + i + " joined the cluster",
                    () -> node.server().cluster().status().isBrokerAvailable());
        }
        return "ws://127.0.0.1:" + nodes.get(0).httpPort() + "/ws,ws://127.0.0.1:"
                + nodes.get(1).httpPort() + "/ws";
    }

    @Test
    void roomMembersDroppedOnOneNodeResumeOnTheOtherAndMissNothing() throws Exception {
        String targets = startTwoNodes();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Result r = Bench.run(List.of("room", "--target", targets, "--rooms", "2", "--members", "10",
                "--publishers", "2", "--rate", "100", "--reconnect-rate", "20", "--warmup", "0s", "--duration", "2s",
                "--connect-rate", "0", "--quiet"), out, out);
        String printed = output.toString(StandardCharsets.UTF_8);

        assertTrue(r.passed(), printed);
        long reconnects = r.counter("reconnects");
        assertTrue(reconnects >= 10, "about 20/s for 2 s, fewer when clients come back slowly: " + printed);
        assertEquals(reconnects, r.counter("room_recovered"), "history is shared through Redis: " + printed);
        assertEquals(0, r.counter("offset_lost") + r.counter("acked_lost"), printed);
        assertEquals(r.counter("acked_expected"), r.counter("acked_delivered"), printed);
        long opened = 0;
        for (TestServer node : nodes) {
            opened += node.server().gateway().metrics().opened(Transport.WEBSOCKET);
        }
        assertTrue(opened >= 20 + reconnects, "every reconnect opened a connection: " + opened + "\n" + printed);
        for (TestServer node : nodes) {
            assertTrue(node.server().gateway().metrics().opened(Transport.WEBSOCKET) > 10,
                    "attempt k of connection i goes to node (i + k) mod 2, so both nodes took reconnects");
        }
    }

    @Test
    void everyDirectMessageCrossesNodesAndIsDeliveredOnceInOrder() throws Exception {
        String targets = startTwoNodes();

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
