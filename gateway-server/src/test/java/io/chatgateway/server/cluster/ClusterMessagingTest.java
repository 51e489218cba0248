package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.protocol.RawJson;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateway nodes on one Redis, in single-session mode: every protocol path between a client on one node and a
 * client on the other, over both transports.
 */
class ClusterMessagingTest {
    private static RedisServer redis;
    private static TestServer a;
    private static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
        a = ClusterFixture.node(redis, "nodeA");
        b = ClusterFixture.node(redis, "nodeB");
    }

    @AfterAll
    static void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    private static Transport other(Transport t) {
        return t == Transport.WEBSOCKET ? Transport.TCP : Transport.WEBSOCKET;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void deliversDirectMessageToAUserOnAnotherNodeAndCountsHim(Transport transport) {
        TestClient alice = a.login(transport, "x-alice-" + transport);
        TestClient bob = b.login(other(transport), "x-bob-" + transport);

        alice.sendFields("type", "send", "id", 1, "to", "x-bob-" + transport, "body", "hello from A");
        JsonNode ack = alice.expect("ack");
        assertEquals(1, ack.get("id").asInt());
        assertEquals(1, ack.get("recipients").asInt(), "the remote connection counts: " + ack);
        String mid = ack.get("mid").asText();
        assertTrue(mid.startsWith("nodeA-"), "mids carry the node id: " + mid);

        JsonNode msg = bob.expect("message");
        assertEquals(mid, msg.get("mid").asText());
        assertEquals("x-alice-" + transport, msg.get("from").asText());
        assertEquals("x-bob-" + transport, msg.get("to").asText());
        assertEquals("hello from A", msg.get("body").asText());

        bob.sendFields("type", "send", "id", "r", "to", "x-alice-" + transport, "body", List.of(1, 2));
        assertEquals(1, bob.expect("ack").get("recipients").asInt());
        assertEquals("[1,2]", alice.expect("message").get("body").toString());
    }

    @Test
    void answersUserOfflineWhenNoNodeHasTheUser() {
        TestClient alice = a.login(Transport.TCP, "offline-alice");
        alice.sendFields("type", "send", "id", 5, "to", "nobody-anywhere", "body", "x");
        assertEquals(5, alice.expectError("user_offline").get("id").asInt());
    }

    @Test
    void welcomeMeansEveryNodeCanReachTheConnection() throws Exception {
        TestClient alice = a.login(Transport.TCP, "reach-alice");
        for (int i = 0; i < 15; i++) {
            TestClient bob = b.login(i % 2 == 0 ? Transport.WEBSOCKET : Transport.TCP, "reach-bob-" + i);
            // No wait between the welcome and the send from the other node.
            alice.sendFields("type", "send", "id", i, "to", "reach-bob-" + i, "body", i);
            assertEquals(1, alice.expect("ack").get("recipients").asInt(), "login " + i);
            assertEquals(i, bob.expect("message").get("body").asInt());
            bob.close();
        }
    }

    @Test
    void keepsTheOrderOfOneSendersMessagesAcrossNodes() {
        TestClient alice = a.login(Transport.WEBSOCKET, "order-alice");
        TestClient bob = b.login(Transport.TCP, "order-bob");
        int n = 200;
        for (int i = 0; i < n; i++) {
            alice.sendFields("type", "send", "to", "order-bob", "body", i);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, bob.expect("message").get("body").asInt());
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aLoginOnAnotherNodeReplacesTheSession(Transport transport) {
        String user = "single-" + transport;
        TestClient first = a.login(transport, user);
        TestClient second = b.login(other(transport), user);
        JsonNode kicked = first.expect("kicked");
        assertEquals("replaced", kicked.get("reason").asText());
        first.awaitClose(TestClient.WAIT);

        TestClient carol = a.login(Transport.TCP, "single-carol-" + transport);
        carol.sendFields("type", "send", "id", 1, "to", user, "body", "still there?");
        assertEquals(1, carol.expect("ack").get("recipients").asInt(), "only the new session remains");
        assertEquals("still there?", second.expect("message").get("body").asText());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void publishesToRoomMembersOnEveryNodeAndAnnouncesJoinsAndLeaves(Transport transport) throws Exception {
        String room = "lobby-" + transport;
        TestClient alice = a.login(transport, "room-alice-" + transport);
        TestClient bob = b.login(other(transport), "room-bob-" + transport);
        TestClient carol = a.login(other(transport), "room-carol-" + transport);

        alice.sendFields("type", "join", "id", 1, "room", room);
        alice.expect("ack");
        bob.sendFields("type", "join", "id", 2, "room", room);
        bob.expect("ack");
        JsonNode joined = alice.expect("joined");
        assertEquals(room, joined.get("room").asText());
        assertEquals("room-bob-" + transport, joined.get("user").asText());

        carol.sendFields("type", "join", "id", 3, "room", room);
        carol.expect("ack");
        assertEquals("room-carol-" + transport, alice.expect("joined").get("user").asText());
        assertEquals("room-carol-" + transport, bob.expect("joined").get("user").asText());

        alice.sendFields("type", "publish", "id", 4, "room", room, "body", "to all");
        JsonNode ack = alice.expect("ack");
        assertEquals(2, ack.get("recipients").asInt(), "carol here and bob there: " + ack);
        for (TestClient c : List.of(bob, carol)) {
            JsonNode m = c.expect("message");
            assertEquals(room, m.get("room").asText());
            assertEquals("room-alice-" + transport, m.get("from").asText());
            assertEquals(ack.get("mid").asText(), m.get("mid").asText());
        }

        bob.sendFields("type", "leave", "id", 5, "room", room);
        bob.expect("ack");
        for (TestClient c : List.of(alice, carol)) {
            JsonNode left = c.expect("left");
            assertEquals("room-bob-" + transport, left.get("user").asText());
        }
        alice.sendFields("type", "publish", "id", 6, "room", room, "body", "bob is gone");
        assertEquals(1, alice.expect("ack").get("recipients").asInt());
        assertEquals("bob is gone", carol.expect("message").get("body").asText());
        bob.expectNothing(Duration.ofMillis(200));

        carol.close();
        assertEquals("room-carol-" + transport, alice.expect("left").get("user").asText());
    }

    @Test
    void theAckToJoinMeansPublishesFromEveryNodeArrive() throws Exception {
        TestClient alice = a.login(Transport.TCP, "joinack-alice");
        alice.sendFields("type", "join", "id", 0, "room", "joinack");
        alice.expect("ack");
        for (int i = 0; i < 10; i++) {
            TestClient bob = b.login(Transport.WEBSOCKET, "joinack-bob-" + i);
            bob.sendFields("type", "join", "id", i, "room", "joinack");
            bob.expect("ack");
            assertEquals("joinack-bob-" + i, alice.expect("joined").get("user").asText());
            alice.sendFields("type", "publish", "id", i, "room", "joinack", "body", i);
            assertEquals(1, alice.expect("ack").get("recipients").asInt(), "round " + i);
            assertEquals(i, bob.expect("message").get("body").asInt());
            bob.close();
            assertEquals("joinack-bob-" + i, alice.expect("left").get("user").asText());
        }
    }

    @Test
    void keepsTheOrderOfOneSendersRoomMessagesAcrossNodes() {
        TestClient alice = a.login(Transport.TCP, "rorder-alice");
        TestClient bob = b.login(Transport.TCP, "rorder-bob");
        alice.sendFields("type", "join", "id", 1, "room", "rorder");
        alice.expect("ack");
        bob.sendFields("type", "join", "id", 2, "room", "rorder");
        bob.expect("ack");
        alice.expect("joined");
        for (int i = 0; i < 200; i++) {
            alice.sendFields("type", "publish", "room", "rorder", "body", i);
        }
        for (int i = 0; i < 200; i++) {
            assertEquals(i, bob.expect("message").get("body").asInt());
        }
    }

    @Test
    void onlyNodesWithMembersSubscribeToARoom() throws Exception {
        TestClient alice = a.login(Transport.TCP, "sub-alice");
        TestClient bob = b.login(Transport.TCP, "sub-bob");
        assertEquals(0L, subscribers("gw:room:sub-room"));
        alice.sendFields("type", "join", "id", 1, "room", "sub-room");
        alice.expect("ack");
        assertEquals(1L, subscribers("gw:room:sub-room"), "node A only");

        long receivedByB = ClusterFixture.status(b).messagesReceived();
        for (int i = 0; i < 5; i++) {
            alice.sendFields("type", "publish", "id", 2, "room", "sub-room", "body", i);
            assertEquals(0, alice.expect("ack").get("recipients").asInt());
        }
        bob.sendFields("type", "join", "id", 3, "room", "sub-room");
        bob.expect("ack");
        assertEquals(2L, subscribers("gw:room:sub-room"));
        assertEquals("sub-bob", alice.expect("joined").get("user").asText());
        // Node B heard nothing of the room before it had a member (its lag probes aside).
        assertTrue(ClusterFixture.status(b).messagesReceived() - receivedByB <= 3,
                "node B received room traffic it does not serve");

        bob.sendFields("type", "leave", "id", 4, "room", "sub-room");
        bob.expect("ack");
        TestServer.await("node B unsubscribed", () -> subscribers("gw:room:sub-room") == 1L);
        alice.sendFields("type", "leave", "id", 5, "room", "sub-room");
        alice.until("ack");
        TestServer.await("node A unsubscribed", () -> subscribers("gw:room:sub-room") == 0L);
    }

    private static long subscribers(String channel) {
        try {
            List<?> reply = (List<?>) redis.command("PUBSUB", "NUMSUB", channel);
            return (Long) reply.get(1);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void answersPresenceWithUsersOfEveryNode() throws Exception {
        TestClient alice = a.login(Transport.TCP, "pres-alice");
        TestClient bob = b.login(Transport.WEBSOCKET, "pres-bob");
        alice.sendFields("type", "join", "id", 1, "room", "pres");
        alice.expect("ack");
        bob.sendFields("type", "join", "id", 2, "room", "pres");
        bob.expect("ack");
        alice.expect("joined");

        bob.sendFields("type", "presence", "id", 3, "room", "pres");
        JsonNode p = bob.expect("presence");
        assertEquals(Set.of("pres-alice", "pres-bob"), users(p));
        assertEquals("pres", p.get("room").asText());

        alice.sendFields("type", "presence", "id", 4);
        Set<String> online = users(alice.expect("presence"));
        assertTrue(online.containsAll(Set.of("pres-alice", "pres-bob")), "online: " + online);

        bob.close();
        TestServer.await("bob gone from the room's presence on node A", () -> {
            alice.sendFields("type", "presence", "id", 5, "room", "pres");
            List<JsonNode> frames = alice.until("presence");
            return users(frames.get(frames.size() - 1)).equals(Set.of("pres-alice"));
        });
    }

    @Test
    void serverSideOperationsReachEveryNode() throws Exception {
        TestClient alice = a.login(Transport.TCP, "admin-alice");
        TestClient bob = b.login(Transport.WEBSOCKET, "admin-bob");
        bob.sendFields("type", "join", "id", 1, "room", "admin-room");
        bob.expect("ack");
        var engine = a.server().gateway();

        assertEquals(1, engine.sendToUser("admin-bob", RawJson.trusted("\"direct\"")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).recipients());
        JsonNode m = bob.expect("message");
        assertEquals("$server", m.get("from").asText());
        assertEquals("direct", m.get("body").asText());

        assertEquals(1, engine.publishToRoom("admin-room", RawJson.trusted("\"to room\"")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).recipients());
        assertEquals("to room", bob.expect("message").get("body").asText());

        int reached = engine.broadcast(RawJson.trusted("\"everyone\""), "admin-alice").toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertTrue(reached >= 1, "bob at least: " + reached);
        assertEquals("everyone", bob.expect("message").get("body").asText());
        alice.expectNothing(Duration.ofMillis(200));

        var stats = a.server().cluster().statistics().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertTrue(stats.complete());
        assertEquals(Set.of("nodeA", "nodeB"), nodeIds(stats));
        assertTrue(stats.nodes().get(0).self());
        assertEquals(stats.nodes().stream().mapToInt(n -> n.statistics().connections()).sum(),
                stats.total().connections());

        assertEquals(1, engine.disconnectUser("admin-bob").toCompletableFuture().get(5, TimeUnit.SECONDS));
        List<JsonNode> frames = bob.until("kicked");
        assertEquals("admin", frames.get(frames.size() - 1).get("reason").asText());
    }

    private static Set<String> nodeIds(ClusterStatistics stats) {
        Set<String> ids = new TreeSet<>();
        stats.nodes().forEach(n -> ids.add(n.nodeId()));
        return ids;
    }

    static Set<String> users(JsonNode presence) {
        Set<String> users = new TreeSet<>();
        presence.get("users").forEach(u -> users.add(u.asText()));
        assertFalse(presence.path("truncated").asBoolean(false), "not truncated: " + presence);
        return users;
    }

    static List<String> list(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
