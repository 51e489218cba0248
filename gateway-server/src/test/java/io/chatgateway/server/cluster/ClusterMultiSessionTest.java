package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two nodes in multi-session mode (at most two connections per user): one user connected to both nodes at once.
 */
class ClusterMultiSessionTest {
    private static RedisServer redis;
    private static TestServer a;
    private static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
        Map<Setting, String> multi = Map.of(Setting.SESSIONS, "multi", Setting.MAX_SESSIONS_PER_USER, "2");
        a = ClusterFixture.node(redis, "multiA", multi);
        b = ClusterFixture.node(redis, "multiB", multi);
    }

    @AfterAll
    static void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    @Test
    void sendReachesEveryConnectionOfTheUserOnEveryNode() {
        TestClient alice = a.login(Transport.TCP, "m-alice");
        TestClient bobHere = a.login(Transport.WEBSOCKET, "m-bob");
        TestClient bobThere = b.login(Transport.TCP, "m-bob");

        alice.sendFields("type", "send", "id", 1, "to", "m-bob", "body", "both");
        assertEquals(2, alice.expect("ack").get("recipients").asInt());
        assertEquals("both", bobHere.expect("message").get("body").asText());
        assertEquals("both", bobThere.expect("message").get("body").asText());

        // To oneself: the other connections, wherever they are, never the sending one.
        bobHere.sendFields("type", "send", "id", 2, "to", "m-bob", "body", "note to self");
        assertEquals(1, bobHere.expect("ack").get("recipients").asInt());
        assertEquals("note to self", bobThere.expect("message").get("body").asText());
        bobHere.expectNothing(Duration.ofMillis(200));
    }

    @Test
    void joinedOnTheFirstConnectionAnywhereAndLeftOnTheLast() throws Exception {
        TestClient carol = a.login(Transport.TCP, "m-carol");
        carol.sendFields("type", "join", "id", 1, "room", "m-room");
        carol.expect("ack");

        TestClient daveHere = a.login(Transport.TCP, "m-dave");
        TestClient daveThere = b.login(Transport.WEBSOCKET, "m-dave");
        daveThere.sendFields("type", "join", "id", 2, "room", "m-room");
        daveThere.expect("ack");
        assertEquals("m-dave", carol.expect("joined").get("user").asText());

        daveHere.sendFields("type", "join", "id", 3, "room", "m-room");
        daveHere.expect("ack");
        carol.expectNothing(Duration.ofMillis(300));

        carol.sendFields("type", "presence", "id", 4, "room", "m-room");
        assertEquals(Set.of("m-carol", "m-dave"), ClusterMessagingTest.users(carol.expect("presence")));

        carol.sendFields("type", "publish", "id", 5, "room", "m-room", "body", "hi dave");
        assertEquals(2, carol.expect("ack").get("recipients").asInt(), "both of dave's connections");
        // The ack can overtake the delivery through the broker, so wait for the messages before going on.
        assertEquals("hi dave", daveHere.expect("message").get("body").asText());
        assertEquals("hi dave", daveThere.expect("message").get("body").asText());

        daveThere.sendFields("type", "leave", "id", 6, "room", "m-room");
        daveThere.expect("ack");
        carol.expectNothing(Duration.ofMillis(300));

        daveHere.close();
        JsonNode left = carol.expect("left");
        assertEquals("m-dave", left.get("user").asText());
        assertEquals("m-room", left.get("room").asText());
    }

    @Test
    void theSessionLimitDisplacesTheOldestConnectionOnAnyNode() {
        TestClient first = a.login(Transport.TCP, "m-erin");
        TestClient second = b.login(Transport.TCP, "m-erin");
        TestClient third = a.login(Transport.WEBSOCKET, "m-erin");
        assertEquals("replaced", first.expect("kicked").get("reason").asText());
        first.awaitClose(TestClient.WAIT);

        TestClient fourth = a.login(Transport.TCP, "m-erin");
        assertEquals("replaced", second.expect("kicked").get("reason").asText(), "the oldest, on the other node");
        second.awaitClose(TestClient.WAIT);

        TestClient frank = b.login(Transport.TCP, "m-frank");
        frank.sendFields("type", "send", "id", 1, "to", "m-erin", "body", "x");
        assertEquals(2, frank.expect("ack").get("recipients").asInt());
        for (TestClient c : List.of(third, fourth)) {
            assertEquals("x", c.expect("message").get("body").asText());
        }
    }
}
