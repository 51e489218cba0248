package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis killed and started again (empty), or frozen and thawed: cross-node operations answer {@code unavailable}
 * within 2 s and never hang, local delivery goes on, and the nodes recover by themselves.
 */
class ClusterBrokerOutageTest {
    /** The protocol's promise: an operation that needs the broker is answered within this. */
    private static final long UNAVAILABLE_WITHIN_MS = 2000;

    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        a = ClusterFixture.node(redis, "outA");
        b = ClusterFixture.node(redis, "outB");
    }

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    @Test
    void answersUnavailableWhileRedisIsDownAndRecoversWhenItIsBack() throws Exception {
        TestClient alice = a.login(Transport.TCP, "out-alice");
        TestClient carol = a.login(Transport.WEBSOCKET, "out-carol");
        TestClient bob = b.login(Transport.WEBSOCKET, "out-bob");
        for (TestClient c : new TestClient[] {alice, carol, bob}) {
            c.sendFields("type", "join", "id", 0, "room", "out-room");
            c.expect("ack");
        }
        alice.until("joined");
        alice.until("joined");
        carol.until("joined");

        redis.kill();
        TestServer.await("node A sees the broker down", () -> !ClusterFixture.status(a).isBrokerAvailable());

        long t0 = System.nanoTime();
        alice.sendFields("type", "send", "id", 1, "to", "out-bob", "body", "lost?");
        JsonNode err = alice.expectError("unavailable");
        assertTrue(elapsedMs(t0) < UNAVAILABLE_WITHIN_MS, "answered after " + elapsedMs(t0) + " ms");
        assertEquals(1, err.get("id").asInt());

        // Local delivery goes on: carol is on this node, and in single-session mode she cannot be elsewhere.
        alice.sendFields("type", "send", "id", 2, "to", "out-carol", "body", "local");
        assertEquals(1, alice.expect("ack").get("recipients").asInt());
        assertEquals("local", carol.expect("message").get("body").asText());

        alice.sendFields("type", "publish", "id", 3, "room", "out-room", "body", "room, locally");
        err = alice.expectError("unavailable");
        assertTrue(err.get("message").asText().contains("1 connection"), "says what was done: " + err);
        assertEquals("room, locally", carol.expect("message").get("body").asText());

        alice.sendFields("type", "join", "id", 4, "room", "another");
        alice.expectError("unavailable");
        alice.sendFields("type", "presence", "id", 5);
        alice.expectError("unavailable");

        TestClient dave = a.tcp();
        dave.sendFields("type", "auth", "id", 6, "token", "out-dave");
        dave.expectError("unavailable");
        dave.awaitClose(TestClient.WAIT);

        // Leaving works at once; in single-session mode this node's members hear of it at once too.
        carol.sendFields("type", "leave", "id", 7, "room", "out-room");
        carol.expect("ack");
        assertEquals("out-carol", alice.expect("left").get("user").asText());

        redis.restart();
        TestServer.await("both nodes recovered", () -> ClusterFixture.status(a).isBrokerAvailable()
                && ClusterFixture.status(b).isBrokerAvailable());
        assertTrue(ClusterFixture.status(a).reconnects() >= 1);
        assertTrue(ClusterFixture.status(b).reconnects() >= 1);

        // Users and rooms were registered again by the nodes themselves.
        alice.sendFields("type", "send", "id", 8, "to", "out-bob", "body", "back");
        assertEquals(1, alice.expect("ack").get("recipients").asInt());
        assertEquals("back", bob.expect("message").get("body").asText());
        bob.sendFields("type", "publish", "id", 9, "room", "out-room", "body", "still here");
        assertEquals(1, bob.expect("ack").get("recipients").asInt(), "alice only: carol left");
        assertEquals("still here", alice.expect("message").get("body").asText());
        carol.expectNothing(Duration.ofMillis(300));
        bob.sendFields("type", "presence", "id", 10, "room", "out-room");
        assertEquals(Set.of("out-alice", "out-bob"), ClusterMessagingTest.users(bob.expect("presence")));
        TestClient erin = a.login(Transport.TCP, "out-erin");
        erin.sendFields("type", "send", "id", 11, "to", "out-bob", "body", "new login works");
        assertEquals(1, erin.expect("ack").get("recipients").asInt());
    }

    @Test
    void answersUnavailableWhenRedisHangsAndCatchesUpAfter() throws Exception {
        TestClient alice = a.login(Transport.TCP, "hang-alice");
        TestClient carol = a.login(Transport.TCP, "hang-carol");
        TestClient bob = b.login(Transport.WEBSOCKET, "hang-bob");
        for (TestClient c : new TestClient[] {alice, carol, bob}) {
            c.sendFields("type", "join", "id", 0, "room", "hang-room");
            c.expect("ack");
        }
        alice.until("joined");
        alice.until("joined");
        carol.until("joined");

        redis.signal("STOP");
        try {
            long t0 = System.nanoTime();
            alice.sendFields("type", "send", "id", 1, "to", "hang-bob", "body", "never late");
            alice.expectError("unavailable");
            assertTrue(elapsedMs(t0) < UNAVAILABLE_WITHIN_MS, "answered after " + elapsedMs(t0) + " ms");
            // The answer and the node's own verdict come from the same timeout, on different event loops.
            TestServer.await("node A sees the broker down", () -> !ClusterFixture.status(a).isBrokerAvailable());

            carol.sendFields("type", "leave", "id", 2, "room", "hang-room");
            carol.expect("ack");
        } finally {
            redis.signal("CONT");
        }
        TestServer.await("both nodes caught up", () -> ClusterFixture.status(a).isBrokerAvailable()
                && ClusterFixture.status(b).isBrokerAvailable());

        // The leave that waited for the broker is announced now, everywhere.
        assertEquals("hang-carol", bob.expect("left").get("user").asText());
        assertEquals("hang-carol", alice.expect("left").get("user").asText());
        // The send answered unavailable never arrives late.
        bob.expectNothing(Duration.ofMillis(500));

        alice.sendFields("type", "send", "id", 3, "to", "hang-bob", "body", "now");
        assertEquals(1, alice.expect("ack").get("recipients").asInt());
        assertEquals("now", bob.expect("message").get("body").asText());
    }

    private static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
