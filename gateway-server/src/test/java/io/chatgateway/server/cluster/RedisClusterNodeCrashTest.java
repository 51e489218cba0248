package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node killed with SIGKILL on a three-primary Redis Cluster: its users leave presence and rooms (on every shard)
 * within its lease, the survivor that claims it walks its index to announce {@code left} and drop its entries, and
 * its keys go.
 */
@Timeout(120)
class RedisClusterNodeCrashTest {
    private static final long BOUND_MS = 3L * ClusterFixture.LEASE_MS;

    private RedisClusterServer redis;
    private TestServer survivor;
    private NodeProcess doomed;

    @BeforeEach
    void start() {
        redis = RedisClusterServer.start(3);
        survivor = RedisClusterShardedTest.node(redis, "survivor", Map.of());
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

    static void awaitReady(int httpPort) {
        TestServer.await("node on port " + httpPort + " is ready", () -> {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + httpPort + "/readyz")
                        .toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(500);
                return c.getResponseCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void aKilledNodesUsersLeavePresenceAndRoomsOnEveryShardWithinTheLease() throws Exception {
        doomed = NodeProcess.start(List.of("--redis-uri=" + redis.uri(), "--node-id=doomed",
                "--cluster-lease-ms=" + ClusterFixture.LEASE_MS, "--cluster-timeout-ms=" + ClusterFixture.TIMEOUT_MS));
        awaitReady(doomed.httpPort());
        List<String> rooms = RedisClusterShardedTest.roomsOnEveryShard(redis, "crash-");
        TestClient alice = survivor.login(Transport.TCP, "rcrash-alice");
        for (String room : rooms) {
            alice.sendFields("type", "join", "id", "j", "room", room);
            alice.expect("ack");
        }
        try (TcpClient bob = TcpClient.connect("127.0.0.1", doomed.tcpPort())) {
            bob.auth("rcrash-bob");
            for (String room : rooms) {
                bob.sendFields("type", "join", "id", "j", "room", room);
                bob.expect("ack");
                assertEquals("rcrash-bob", alice.expect("joined").get("user").asText());
            }
            alice.sendFields("type", "send", "id", 3, "to", "rcrash-bob", "body", "are you there?");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertEquals("are you there?", bob.expect("message").get("body").asText());
            alice.sendFields("type", "presence", "id", 4);
            assertTrue(ClusterMessagingTest.users(alice.expect("presence")).contains("rcrash-bob"));
            TestServer.await("the survivor counts two live nodes",
                    () -> ClusterFixture.status(survivor).liveNodes() == 2);

            long killedAt = System.nanoTime();
            doomed.kill();

            Set<String> leftRooms = new HashSet<>();
            for (int i = 0; i < rooms.size(); i++) {
                JsonNode left = alice.expect("left");
                assertEquals("rcrash-bob", left.get("user").asText());
                assertEquals("disconnect", left.get("reason").asText());
                leftRooms.add(left.get("room").asText());
            }
            long leftAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
            assertEquals(Set.copyOf(rooms), leftRooms);
            assertTrue(leftAfterMs <= BOUND_MS + 1000, "left announced " + leftAfterMs + " ms after the kill");

            alice.sendFields("type", "presence", "id", 5);
            assertEquals(Set.of("rcrash-alice"), ClusterMessagingTest.users(alice.expect("presence")));
            for (String room : rooms) {
                alice.sendFields("type", "presence", "id", 6, "room", room);
                assertEquals(Set.of("rcrash-alice"), ClusterMessagingTest.users(alice.expect("presence")));
                alice.sendFields("type", "publish", "id", 7, "room", room, "body", "alone");
                assertEquals(0, alice.expect("ack").get("recipients").asInt());
            }
            alice.sendFields("type", "send", "id", 8, "to", "rcrash-bob", "body", "gone?");
            JsonNode kept = alice.expect("ack");
            assertEquals(0, kept.get("recipients").asInt(), kept::toString);
            assertTrue(kept.get("stored").asBoolean(), kept::toString);

            TestServer.await("the survivor reaped the dead node", () -> ClusterFixture.status(survivor).reapedNodes() >= 1
                    && redis.keys().stream().noneMatch(k -> k.startsWith("gw:n:{doomed}:") && !k.endsWith(":reaped")));
            List<String> keys = redis.keys();
            assertTrue(keys.contains("gw:n:{doomed}:reaped"), keys::toString);
            assertFalse(keys.contains("gw:u:{rcrash-bob}"), "bob's registry entry is gone: " + keys);
            for (String room : rooms) {
                Object members = RedisClusterServer.command(redis.ownerOf("gw:r:{" + room + "}"),
                        "HKEYS", "gw:r:{" + room + "}:u");
                assertEquals(List.of("rcrash-alice"), members, "only alice is left in " + room);
            }
        }
    }
}
