package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateway nodes on a real three-primary Redis Cluster ({@code redis-cluster://}): every key of a room or user in
 * its own slot, sharded pub/sub, and the protocol's paths across nodes, with rooms whose slots lie on different
 * shards.
 */
@Timeout(120)
class RedisClusterShardedTest {
    private static RedisClusterServer redis;
    private static TestServer a;
    private static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisClusterServer.start(3);
        a = node(redis, "shA", Map.of());
        b = node(redis, "shB", Map.of());
    }

    @AfterAll
    static void stop() {
        RedisClusterServer.close(redis, a, b);
    }

    static TestServer node(RedisClusterServer redis, String nodeId, Map<Setting, String> extra) {
        Map<Setting, String> s = new EnumMap<>(Setting.class);
        s.put(Setting.REDIS_URI, redis.uri());
        s.put(Setting.NODE_ID, nodeId);
        s.put(Setting.CLUSTER_LEASE_MS, Integer.toString(ClusterFixture.LEASE_MS));
        s.put(Setting.CLUSTER_TIMEOUT_MS, Integer.toString(ClusterFixture.TIMEOUT_MS));
        s.putAll(extra);
        TestServer node = TestServer.start(s);
        TestServer.await("node " + nodeId + " joined the Redis Cluster",
                () -> node.server().cluster().status().isBrokerAvailable());
        return node;
    }

    /** Room names (with this prefix) whose slots are owned by as many different shards as there are. */
    static List<String> roomsOnEveryShard(RedisClusterServer redis, String prefix) {
        List<String> rooms = new ArrayList<>();
        Set<Integer> owners = new HashSet<>();
        for (int i = 0; owners.size() < redis.shards(); i++) {
            String room = prefix + i;
            if (owners.add(redis.ownerOf("gw:r:{" + room + "}"))) {
                rooms.add(room);
            }
        }
        return rooms;
    }

    @Test
    void deliversDirectMessagesBothWaysAndCountsTheRemoteConnection() {
        TestClient alice = a.login(Transport.TCP, "sh-alice");
        TestClient bob = b.login(Transport.WEBSOCKET, "sh-bob");
        alice.sendFields("type", "send", "id", 1, "to", "sh-bob", "body", "hello from A");
        JsonNode ack = alice.expect("ack");
        assertEquals(1, ack.get("recipients").asInt(), ack::toString);
        JsonNode msg = bob.expect("message");
        assertEquals("hello from A", msg.get("body").asText());
        assertEquals(1, msg.get("offset").asLong(), "the inbox lives on the user's shard: " + msg);
        bob.sendFields("type", "send", "id", 2, "to", "sh-alice", "body", "hello from B");
        assertEquals(1, bob.expect("ack").get("recipients").asInt());
        assertEquals("hello from B", alice.expect("message").get("body").asText());

        alice.sendFields("type", "send", "id", 3, "to", "sh-nobody", "body", "x");
        alice.expectError("user_offline");
    }

    @Test
    void welcomeMeansEveryNodeCanReachTheConnection() {
        TestClient alice = a.login(Transport.TCP, "shreach-alice");
        for (int i = 0; i < 10; i++) {
            TestClient bob = b.login(Transport.TCP, "shreach-bob-" + i);
            alice.sendFields("type", "send", "id", i, "to", "shreach-bob-" + i, "body", i);
            assertEquals(1, alice.expect("ack").get("recipients").asInt(), "login " + i);
            assertEquals(i, bob.expect("message").get("body").asInt());
            bob.close();
        }
    }

    @Test
    void keepsOneSendersOrderAndOneInboxOrder() {
        TestClient alice = a.login(Transport.WEBSOCKET, "shorder-alice");
        TestClient bob = b.login(Transport.TCP, "shorder-bob");
        int n = 200;
        for (int i = 0; i < n; i++) {
            alice.sendFields("type", "send", "to", "shorder-bob", "body", i);
        }
        for (int i = 0; i < n; i++) {
            JsonNode m = bob.expect("message");
            assertEquals(i, m.get("body").asInt());
            assertEquals(i + 1, m.get("offset").asLong());
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
        }
    }

    @Test
    void roomsOnDifferentShardsCarryMessagesEventsAndExactCounts() {
        List<String> rooms = roomsOnEveryShard(redis, "shroom-");
        assertEquals(3, rooms.size());
        TestClient alice = a.login(Transport.TCP, "shr-alice");
        TestClient bob = b.login(Transport.WEBSOCKET, "shr-bob");
        TestClient carol = b.login(Transport.TCP, "shr-carol");
        for (String room : rooms) {
            alice.sendFields("type", "join", "id", "ja", "room", room);
            JsonNode ack = alice.expect("ack");
            assertEquals(0, ack.get("offset").asLong(), ack::toString);
            bob.sendFields("type", "join", "id", "jb", "room", room);
            bob.expect("ack");
            JsonNode joined = alice.expect("joined");
            assertEquals("shr-bob", joined.get("user").asText());
            assertEquals(room, joined.get("room").asText());
            carol.sendFields("type", "join", "id", "jc", "room", room);
            carol.expect("ack");
            assertEquals("shr-carol", alice.expect("joined").get("user").asText());
            assertEquals("shr-carol", bob.expect("joined").get("user").asText());
        }
        for (String room : rooms) {
            alice.sendFields("type", "publish", "id", "p", "room", room, "body", "to " + room);
            JsonNode ack = alice.expect("ack");
            assertEquals(2, ack.get("recipients").asInt(), "both members on B count: " + ack);
            for (TestClient c : List.of(bob, carol)) {
                JsonNode m = c.expect("message");
                assertEquals(room, m.get("room").asText());
                assertEquals("to " + room, m.get("body").asText());
                assertEquals(1, m.get("offset").asLong());
            }
        }
        String room = rooms.get(1);
        alice.sendFields("type", "presence", "id", "pr", "room", room);
        assertEquals(Set.of("shr-alice", "shr-bob", "shr-carol"), ClusterMessagingTest.users(alice.expect("presence")));

        bob.sendFields("type", "leave", "id", "l", "room", room);
        bob.expect("ack");
        JsonNode left = alice.expect("left");
        assertEquals("shr-bob", left.get("user").asText());
        assertEquals(room, left.get("room").asText());
        assertEquals("shr-bob", carol.expect("left").get("user").asText());
        alice.sendFields("type", "publish", "id", "p2", "room", room, "body", "after");
        assertEquals(1, alice.expect("ack").get("recipients").asInt());
        assertEquals(2, carol.expect("message").get("offset").asLong());
    }

    @Test
    void presenceOfEveryoneMergesTheOtherNodesUsers() {
        TestClient alice = a.login(Transport.TCP, "shp-alice");
        TestClient bob = b.login(Transport.TCP, "shp-bob");
        alice.sendFields("type", "presence", "id", 1);
        Set<String> users = ClusterMessagingTest.users(alice.expect("presence"));
        assertTrue(users.contains("shp-alice") && users.contains("shp-bob"), users::toString);
        bob.close();
        TestServer.await("bob leaves presence", () -> {
            alice.sendFields("type", "presence", "id", 2);
            return !ClusterMessagingTest.users(alice.expect("presence")).contains("shp-bob");
        });
    }

    @Test
    void aClientRecoversARoomAndItsInboxOnTheOtherNode() {
        String room = roomsOnEveryShard(redis, "shrec-").get(2);
        TestClient alice = a.login(Transport.TCP, "shrec-alice");
        TestClient bob = a.login(Transport.TCP, "shrec-bob");
        bob.sendFields("type", "join", "id", "j", "room", room);
        JsonNode ack = bob.expect("ack");
        String epoch = ack.get("epoch").asText();
        alice.sendFields("type", "join", "id", "j", "room", room);
        alice.expect("ack");
        bob.expect("joined");
        alice.sendFields("type", "publish", "id", "p1", "room", room, "body", "one");
        alice.expect("ack");
        assertEquals(1, bob.expect("message").get("offset").asLong());
        JsonNode welcome;
        bob.close();
        assertEquals("shrec-bob", alice.expect("left").get("user").asText());
        alice.sendFields("type", "publish", "id", "p2", "room", room, "body", "two");
        alice.expect("ack");
        alice.sendFields("type", "publish", "id", "p3", "room", room, "body", "three");
        alice.expect("ack");
        alice.sendFields("type", "send", "id", "s", "to", "shrec-bob", "body", "while you were away");
        JsonNode kept = alice.expect("ack");
        assertTrue(kept.get("stored").asBoolean(), kept::toString);

        // Back on the other node: the inbox with auth, the room with join.
        TestClient again = b.connect(Transport.WEBSOCKET);
        again.sendFields("type", "auth", "token", "shrec-bob", "since",
                TestClient.obj("epoch", "x-unknown", "offset", 0));
        welcome = again.expect("welcome");
        assertFalse(welcome.get("recovered").asBoolean(), "an unknown epoch is not recovered: " + welcome);
        JsonNode inbox = welcome.get("inbox");
        assertEquals(1, inbox.get("offset").asLong(), welcome::toString);
        again.sendFields("type", "join", "id", "rj", "room", room, "since", TestClient.obj("epoch", epoch, "offset", 1));
        List<JsonNode> frames = again.until("ack");
        assertEquals(3, frames.size(), frames::toString);
        assertEquals("two", frames.get(0).get("body").asText());
        assertEquals(2, frames.get(0).get("offset").asLong());
        assertEquals("three", frames.get(1).get("body").asText());
        JsonNode rejoined = frames.get(2);
        assertTrue(rejoined.get("recovered").asBoolean(), rejoined::toString);
        assertEquals(3, rejoined.get("offset").asLong());

        again.sendFields("type", "history", "id", "h", "room", room);
        JsonNode history = again.expect("history");
        assertEquals(3, history.get("messages").size(), history::toString);
    }

    @Test
    void aLoginOnAnotherNodeReplacesTheSession() {
        TestClient first = a.login(Transport.TCP, "shsingle");
        TestClient second = b.login(Transport.TCP, "shsingle");
        assertEquals("replaced", first.expect("kicked").get("reason").asText());
        first.awaitClose(TestClient.WAIT);
        TestClient carol = a.login(Transport.TCP, "shsingle-carol");
        carol.sendFields("type", "send", "id", 1, "to", "shsingle", "body", "x");
        assertEquals(1, carol.expect("ack").get("recipients").asInt());
        assertEquals("x", second.expect("message").get("body").asText());
    }

    @Test
    void keysOfARoomAndOfAUserShareTheirSlot() {
        String room = "shkeys-room";
        TestClient alice = a.login(Transport.TCP, "shkeys-alice");
        alice.sendFields("type", "join", "id", 1, "room", room);
        alice.expect("ack");
        alice.sendFields("type", "publish", "id", 2, "room", room, "body", "x");
        alice.expect("ack");
        List<String> keys = redis.keys();
        assertTrue(keys.contains("gw:r:{" + room + "}:u"), keys::toString);
        assertTrue(keys.contains("gw:r:{" + room + "}:n"), keys::toString);
        assertTrue(keys.contains("gw:r:{" + room + "}:h"), keys::toString);
        assertTrue(keys.contains("gw:r:{" + room + "}:hl"), keys::toString);
        assertTrue(keys.contains("gw:u:{shkeys-alice}"), keys::toString);
        assertTrue(keys.contains("gw:u:{shkeys-alice}:i"), keys::toString);
        assertTrue(keys.contains("gw:n:{shA}:users") && keys.contains("gw:n:{shA}:rooms"), keys::toString);
        assertTrue(keys.contains("{gw}:nodes"), keys::toString);
    }
}
