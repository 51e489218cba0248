package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node killed with SIGKILL: its users leave presence and rooms within its lease, announced to the survivors,
 * and its keys leave Redis, with nobody cleaning up by hand.
 */
class ClusterNodeCrashTest {
    /** Presence and rooms must forget a dead node within this: three leases. */
    private static final long BOUND_MS = 3L * ClusterFixture.LEASE_MS;

    private RedisServer redis;
    private TestServer survivor;
    private NodeProcess doomed;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        survivor = ClusterFixture.node(redis, "survivor");
    }

    private NodeProcess startNode(String id, int leaseMs) {
        return NodeProcess.start(List.of("--redis-uri=" + redis.uri(), "--node-id=" + id,
                "--cluster-lease-ms=" + leaseMs, "--cluster-timeout-ms=" + ClusterFixture.TIMEOUT_MS));
    }

    @AfterEach
    void stop() {
        if (doomed != null) {
            doomed.close();
        }
        if (survivor != null) {
            survivor.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aKilledNodesUsersLeavePresenceAndRoomsWithinTheLease() throws Exception {
        doomed = startNode("doomed", ClusterFixture.LEASE_MS);
        TestClient alice = survivor.login(Transport.TCP, "crash-alice");
        alice.sendFields("type", "join", "id", 1, "room", "crash-room");
        alice.expect("ack");

        WsClient bob = WsClient.connect(URI.create("ws://127.0.0.1:" + doomed.httpPort() + "/ws?token=crash-bob"),
                Map.of());
        TcpClient carol = TcpClient.connect("127.0.0.1", doomed.tcpPort());
        try (bob; carol) {
            assertEquals("crash-bob", bob.expect("welcome").get("user").asText());
            carol.auth("crash-carol");
            bob.sendFields("type", "join", "id", 2, "room", "crash-room");
            bob.expect("ack");
            assertEquals("crash-bob", alice.expect("joined").get("user").asText());

            alice.sendFields("type", "send", "id", 3, "to", "crash-carol", "body", "are you there?");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertEquals("are you there?", carol.expect("message").get("body").asText());
            alice.sendFields("type", "presence", "id", 4);
            assertTrue(ClusterMessagingTest.users(alice.expect("presence")).contains("crash-carol"));
            TestServer.await("the survivor counts two live nodes", () -> ClusterFixture.status(survivor).liveNodes() == 2);

            long killedAt = System.nanoTime();
            doomed.kill();

            JsonNode left = alice.expect("left");
            long leftAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
            assertEquals("crash-bob", left.get("user").asText());
            assertEquals("crash-room", left.get("room").asText());
            assertTrue(leftAfterMs <= BOUND_MS + 1000,
                    "left announced " + leftAfterMs + " ms after the kill (lease " + ClusterFixture.LEASE_MS + " ms)");

            alice.sendFields("type", "presence", "id", 5);
            assertEquals(Set.of("crash-alice"), ClusterMessagingTest.users(alice.expect("presence")));
            alice.sendFields("type", "presence", "id", 6, "room", "crash-room");
            assertEquals(Set.of("crash-alice"), ClusterMessagingTest.users(alice.expect("presence")));
            alice.sendFields("type", "send", "id", 7, "to", "crash-carol", "body", "gone?");
            // No connection anywhere, but she had one within the inbox TTL: kept for her, reported to no one.
            JsonNode kept = alice.expect("ack");
            assertEquals(0, kept.get("recipients").asInt(), kept::toString);
            assertTrue(kept.get("stored").asBoolean(), kept::toString);
            alice.sendFields("type", "publish", "id", 8, "room", "crash-room", "body", "alone");
            assertEquals(0, alice.expect("ack").get("recipients").asInt());

            TestServer.await("the survivor counts one live node", () -> ClusterFixture.status(survivor).liveNodes() == 1);
            assertTrue(ClusterFixture.status(survivor).reapedNodes() >= 1);
            for (String key : redis.keys()) {
                assertTrue(!key.startsWith("gw:n:doomed:") || key.equals("gw:n:doomed:reaped"),
                        "the dead node's keys are gone: " + redis.keys());
            }
        }
    }

    @Test
    void aNodeRestartedUnderTheSameIdDropsWhatItsEarlierRunLeft() throws Exception {
        // A lease far longer than the test: only the restarted node itself can clean up.
        doomed = startNode("phoenix", 60_000);
        TestClient alice = survivor.login(Transport.TCP, "phoenix-alice");
        alice.sendFields("type", "join", "id", 1, "room", "phoenix-room");
        alice.expect("ack");
        try (TcpClient bob = TcpClient.connect("127.0.0.1", doomed.tcpPort())) {
            bob.auth("phoenix-bob");
            bob.sendFields("type", "join", "id", 2, "room", "phoenix-room");
            bob.expect("ack");
            assertEquals("phoenix-bob", alice.expect("joined").get("user").asText());
            doomed.kill();
        }
        doomed = startNode("phoenix", 60_000);

        assertEquals("phoenix-bob", alice.expect("left").get("user").asText());
        alice.sendFields("type", "presence", "id", 3, "room", "phoenix-room");
        assertEquals(Set.of("phoenix-alice"), ClusterMessagingTest.users(alice.expect("presence")));
        alice.sendFields("type", "send", "id", 4, "to", "phoenix-bob", "body", "x");
        JsonNode kept = alice.expect("ack");
        assertEquals(0, kept.get("recipients").asInt(), kept::toString);
        assertTrue(kept.get("stored").asBoolean(), "bob's inbox outlives his node's earlier run by its TTL");

        try (TcpClient carol = TcpClient.connect("127.0.0.1", doomed.tcpPort())) {
            carol.auth("phoenix-carol");
            alice.sendFields("type", "send", "id", 5, "to", "phoenix-carol", "body", "welcome back");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertEquals("welcome back", carol.expect("message").get("body").asText());
        }
    }
}
