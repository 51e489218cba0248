package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API's cluster-wide paths on a real three-primary Redis Cluster: a broadcast (one NALL per other live
 * node, on that node's inbox channel), a disconnect of a user on another node and server-side membership (envelope M
 * on the user's channel), all asked of node A for connections on node B.
 */
@Timeout(120)
class RedisClusterAdminTest {
    private static final String SECRET = "redis-cluster-admin-test-secret-0123456789ab";
    private static final String ADMIN = "redis-cluster-admin-token-0123456789";
    private static RedisClusterServer redis;
    private static TestServer a;
    private static TestServer b;

    @BeforeAll
    static void start() {
        redis = RedisClusterServer.start(3);
        Map<Setting, String> production = Map.of(Setting.JWT_SECRET, SECRET, Setting.ADMIN_TOKEN, ADMIN,
                Setting.SESSIONS, "multi", Setting.MAX_CONNECTIONS_PER_IP, "0", Setting.CONNECT_RATE_PER_IP, "0",
                Setting.RATE_LIMIT_PER_SECOND, "0");
        a = RedisClusterShardedTest.node(redis, "shadmA", production);
        b = RedisClusterShardedTest.node(redis, "shadmB", production);
    }

    @AfterAll
    static void stop() {
        RedisClusterServer.close(redis, a, b);
    }

    private static String token(String user, List<String> rooms) {
        JWTClaimsSet.Builder c = TestTokens.claims(user, Instant.now().plusSeconds(600));
        if (rooms != null) {
            c.claim("rooms", rooms);
        }
        return TestTokens.hs256(SECRET, c.build());
    }

    private static TestClient login(TestServer node, Transport t, String user) {
        TestClient c = node.connect(t);
        c.auth(token(user, List.of("*")));
        return c;
    }

    private static JsonNode lastOf(List<JsonNode> frames) {
        return frames.get(frames.size() - 1);
    }

    private static HttpResponse<String> post(TestServer node, String path, String body) {
        return new HttpTestClient(node.httpPort()).post(path, body, "Authorization", "Bearer " + ADMIN,
                "Content-Type", "application/json");
    }

    @Test
    void aBroadcastReachesEveryNodeButTheExcludedUser() {
        TestClient onA = login(a, Transport.TCP, "shbc-a");
        TestClient onB = login(b, Transport.WEBSOCKET, "shbc-b");
        TestClient excluded = login(b, Transport.TCP, "shbc-x");
        HttpResponse<String> res = post(a, "/api/broadcast", "{\"body\":{\"alert\":1},\"exclude\":\"shbc-x\"}");
        assertEquals(200, res.statusCode(), res.body());
        int recipients = HttpTestClient.json(res).path("recipients").asInt();
        assertTrue(recipients >= 2, "both nodes' connections count: " + res.body());
        for (TestClient c : List.of(onA, onB)) {
            JsonNode msg = lastOf(c.until("message"));
            assertEquals("{\"alert\":1}", msg.path("body").toString());
            assertEquals("$server", msg.path("from").asText());
        }
        excluded.expectNothing(Duration.ofMillis(300));
    }

    @Test
    void disconnectsAUserOnTheOtherNode() {
        TestClient onB = login(b, Transport.WEBSOCKET, "shkick");
        TestClient alsoOnB = login(b, Transport.TCP, "shkick");
        HttpResponse<String> res = post(a, "/api/users/shkick/disconnect", null);
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(2, HttpTestClient.json(res).path("kicked").asInt(), res.body());
        for (TestClient c : List.of(onB, alsoOnB)) {
            assertEquals("admin", lastOf(c.until("kicked")).get("reason").asText());
        }
        TestServer.await("gone from node B", () -> b.server().gateway().connections().connectionsOf("shkick")
                .isEmpty());
        // Node B's registry empties before its UNREGs reach the shards (they go out in B's next batch): until
        // then Redis still lists the closed connections, and a disconnect through A counts them.
        TestServer.await("unregistered in Redis", () -> HttpTestClient.json(post(a, "/api/users/shkick/disconnect",
                null)).path("kicked").asInt() == 0);
    }

    @Test
    void theServerAddsAndRemovesMembersOnEveryNode() {
        String room = RedisClusterShardedTest.roomsOnEveryShard(redis, "shstaff-").get(1);
        HttpTestClient adminA = new HttpTestClient(a.httpPort());
        TestClient onB = b.connect(Transport.WEBSOCKET);
        onB.auth(token("shroamer", null));
        TestClient alsoOnA = a.connect(Transport.TCP);
        alsoOnA.auth(token("shroamer", null));
        HttpResponse<String> added = adminA.method("PUT", "/api/rooms/" + room + "/members/shroamer",
                "Authorization", "Bearer " + ADMIN);
        assertEquals(200, added.statusCode(), added.body());
        assertEquals(2, HttpTestClient.json(added).get("connections").asInt(), added.body());
        for (TestClient c : List.of(onB, alsoOnA)) {
            JsonNode joined = c.expect("joined");
            assertEquals(room, joined.get("room").asText());
            assertEquals("shroamer", joined.get("user").asText());
        }
        TestServer.await("the remote connection is in the room",
                () -> b.server().gateway().rooms().get(room) != null);
        onB.sendFields("type", "publish", "room", room, "body", "hello", "id", 1);
        assertEquals("ack", onB.next().path("type").asText());
        assertEquals("hello", alsoOnA.expect("message").get("body").asText());

        HttpResponse<String> removed = adminA.method("DELETE", "/api/rooms/" + room + "/members/shroamer",
                "Authorization", "Bearer " + ADMIN);
        assertEquals(200, removed.statusCode(), removed.body());
        for (TestClient c : List.of(onB, alsoOnA)) {
            JsonNode left = lastOf(c.until("left"));
            assertEquals("removed", left.get("reason").asText());
            assertEquals("shroamer", left.get("user").asText());
        }
        TestServer.await("node B left the room", () -> b.server().gateway().rooms().get(room) == null);
        assertFalse(b.server().gateway().connections().connectionsOf("shroamer").get(0).rooms().contains(room));
    }
}
