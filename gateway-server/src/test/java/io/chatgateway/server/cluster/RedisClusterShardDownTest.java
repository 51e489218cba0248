package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shard of the Redis Cluster killed: what needs it answers {@code unavailable} within 2 s, and when it is back
 * (empty) the nodes register their users and rooms again by themselves.
 */
@Timeout(120)
class RedisClusterShardDownTest {
    private RedisClusterServer redis;
    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() {
        redis = RedisClusterServer.start(3);
        a = RedisClusterShardedTest.node(redis, "downA", Map.of());
        b = RedisClusterShardedTest.node(redis, "downB", Map.of());
    }

    @AfterEach
    void stop() {
        RedisClusterServer.close(redis, a, b);
    }

    private static void await(String what, Duration within, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aDeadShardIsAnsweredUnavailableWithinTwoSecondsAndRecoveredAfter() {
        List<String> rooms = RedisClusterShardedTest.roomsOnEveryShard(redis, "down-");
        String room = rooms.get(0);
        int port = redis.ownerOf("gw:r:{" + room + "}");
        int shard = redis.ports().indexOf(port);
        TestClient alice = a.login(Transport.TCP, "down-alice");
        TestClient bob = b.login(Transport.TCP, "down-bob");
        for (TestClient c : List.of(alice, bob)) {
            c.sendFields("type", "join", "id", "j", "room", room);
            c.expect("ack");
        }
        alice.expect("joined");

        redis.kill(shard);
        long sent = System.nanoTime();
        alice.sendFields("type", "publish", "id", "p", "room", room, "body", "into the void");
        JsonNode error = alice.expectError("unavailable");
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        assertEquals("p", error.get("id").asText());
        assertTrue(tookMs < 2000, "unavailable after " + tookMs + " ms");

        redis.restart(shard);
        await("both nodes are available again", Duration.ofSeconds(40), () ->
                ClusterFixture.status(a).isBrokerAvailable() && ClusterFixture.status(b).isBrokerAvailable());
        // The restarted shard came back empty: the nodes registered their users and rooms on it again.
        await("a publish reaches bob again", Duration.ofSeconds(20), () -> {
            alice.sendFields("type", "publish", "id", "again", "room", room, "body", "back");
            JsonNode r = alice.poll(Duration.ofSeconds(3));
            while (r != null && !"again".equals(r.path("id").asText())) {
                r = alice.poll(Duration.ofSeconds(3));
            }
            return r != null && "ack".equals(r.get("type").asText()) && r.get("recipients").asInt() == 1;
        });
        JsonNode m = bob.expect("message");
        while (!"back".equals(m.get("body").asText())) {
            m = bob.expect("message");
        }
        alice.sendFields("type", "send", "id", "s", "to", "down-bob", "body", "direct");
        JsonNode ack = alice.expect("ack");
        assertEquals(1, ack.get("recipients").asInt(), ack::toString);
    }
}
