package io.chatgateway.server;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Protocol 1.1's access control over real sockets, in production mode (an HS256 secret and an admin token): grants
 * from claims, room tokens and the server, {@code forbidden} for everything not granted, token refresh and
 * revocation, and the expiry kick.
 */
@Timeout(60)
class AccessControlTest {
    private static final String SECRET = randomSecret();
    private static final String ADMIN = randomSecret();
    private static TestServer gateway;
    private static HttpTestClient http;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.JWT_SECRET, SECRET, Setting.ADMIN_TOKEN, ADMIN,
                Setting.JWT_LEEWAY_SECONDS, "0", Setting.SESSIONS, "multi",
                // Loopback tests open many connections from one address.
                Setting.MAX_CONNECTIONS_PER_IP, "0", Setting.CONNECT_RATE_PER_IP, "0"));
        http = new HttpTestClient(gateway.httpPort());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    private static JWTClaimsSet.Builder claims(String user, long seconds) {
        return TestTokens.claims(user, Instant.now().plusSeconds(seconds));
    }

    private static String token(String user, List<String> rooms, List<String> readonly) {
        JWTClaimsSet.Builder c = claims(user, 600);
        if (rooms != null) {
            c.claim("rooms", rooms);
        }
        if (readonly != null) {
            c.claim("rooms_readonly", readonly);
        }
        return TestTokens.hs256(SECRET, c.build());
    }

    private static String roomToken(String user, String room, Boolean readonly) {
        JWTClaimsSet.Builder c = claims(user, 600).claim("room", room);
        if (readonly != null) {
            c.claim("readonly", readonly);
        }
        return TestTokens.hs256(SECRET, c.build());
    }

    private static TestClient login(Transport transport, String token) {
        TestClient c = gateway.connect(transport);
        c.auth(token);
        return c;
    }

    private static JsonNode send(TestClient c, Object... fields) {
        c.sendFields(fields);
        return c.next();
    }

    private static void assertForbidden(JsonNode reply, Object id) {
        assertEquals("error", reply.path("type").asText(), reply::toString);
        assertEquals("forbidden", reply.path("code").asText(), reply::toString);
        assertEquals(String.valueOf(id), reply.path("id").asText(), "the error answers the frame: " + reply);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aJoinWithoutAGrantIsForbiddenAndChangesNothing(Transport t) {
        TestClient c = login(t, token("nogrant-" + t, null, null));
        assertForbidden(send(c, "type", "join", "room", "secret", "id", 1), 1);
        assertForbidden(send(c, "type", "presence", "room", "secret", "id", 2), 2);
        assertForbidden(send(c, "type", "history", "room", "secret", "id", 3), 3);
        assertEquals("not_in_room", send(c, "type", "publish", "room", "secret", "body", 1, "id", 4).path("code")
                .asText());
        assertTrue(c.isOpen(), "forbidden is an answer, not a close");
        assertTrue(gateway.server().gateway().connections().connectionsOf("nogrant-" + t).get(0).rooms().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void claimsGrantExactNamesPrefixesAndReadOnlyRooms(Transport t) {
        String user = "claims-" + t;
        TestClient c = login(t, token(user, List.of("team:42", "public:*"), List.of("news")));
        assertEquals("ack", send(c, "type", "join", "room", "team:42", "id", 1).path("type").asText());
        assertEquals("ack", send(c, "type", "join", "room", "public:lobby-" + t, "id", 2).path("type").asText());
        assertEquals("ack", send(c, "type", "join", "room", "news", "id", 3).path("type").asText());
        assertForbidden(send(c, "type", "join", "room", "team:7", "id", 4), 4);
        assertEquals("ack", send(c, "type", "publish", "room", "public:lobby-" + t, "body", "hi", "id", 5)
                .path("type").asText());
        assertForbidden(send(c, "type", "publish", "room", "news", "body", "no", "id", 6), 6);
        // Reading a room needs membership or a claim that would grant the join.
        assertEquals("presence", send(c, "type", "presence", "room", "public:elsewhere", "id", 7).path("type")
                .asText());
        assertEquals("history", send(c, "type", "history", "room", "news", "id", 8).path("type").asText());
    }

    @Test
    void globalPresenceIsOffInProductionMode() {
        TestClient c = login(Transport.WEBSOCKET, token("global", List.of("*"), null));
        assertForbidden(send(c, "type", "presence", "id", "p"), "p");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRoomTokenGrantsThatRoomToThatUserOnly(Transport t) {
        String user = "rt-" + t;
        TestClient c = login(t, token(user, null, null));
        assertEquals("ack", send(c, "type", "join", "room", "vip-" + t, "token", roomToken(user, "vip-" + t, null),
                "id", 1).path("type").asText());
        assertEquals("ack", send(c, "type", "publish", "room", "vip-" + t, "body", 1, "id", 2).path("type").asText());
        assertForbidden(send(c, "type", "join", "room", "vip2", "token", roomToken("someone-else", "vip2", null),
                "id", 3), 3);
        assertForbidden(send(c, "type", "join", "room", "vip3", "token", roomToken(user, "other-room", null),
                "id", 4), 4);
        assertForbidden(send(c, "type", "join", "room", "vip4", "token", token(user, List.of("*"), null),
                "id", 5), 5);
        assertEquals("ack", send(c, "type", "join", "room", "ro-" + t, "token", roomToken(user, "ro-" + t, true),
                "id", 6).path("type").asText());
        assertForbidden(send(c, "type", "publish", "room", "ro-" + t, "body", 1, "id", 7), 7);
        String expired = TestTokens.hs256(SECRET, claims(user, -60).claim("room", "vip5").build());
        assertForbidden(send(c, "type", "join", "room", "vip5", "token", expired, "id", 8), 8);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRefreshReplacesTheTokenOrChangesNothing(Transport t) {
        String user = "refresh-" + t;
        TestClient c = login(t, token(user, List.of("r-" + t), null));
        long exp = Instant.now().plusSeconds(1200).getEpochSecond();
        String next = TestTokens.hs256(SECRET, TestTokens.claims(user, Instant.ofEpochSecond(exp))
                .claim("rooms", List.of("r-" + t)).build());
        JsonNode ack = send(c, "type", "refresh", "token", next, "id", 1);
        assertEquals("ack", ack.path("type").asText(), ack::toString);
        assertEquals(exp, ack.get("expires").asLong());

        JsonNode other = send(c, "type", "refresh", "token", token("someone-else", null, null), "id", 2);
        assertEquals("unauthorized", other.path("code").asText(), other::toString);
        String expired = TestTokens.hs256(SECRET, claims(user, -30).build());
        assertEquals("unauthorized", send(c, "type", "refresh", "token", expired, "id", 3).path("code").asText());
        assertEquals("unauthorized", send(c, "type", "refresh", "token", "garbage", "id", 4).path("code").asText());
        assertTrue(c.isOpen(), "a refused refresh leaves the connection as it was");
        assertEquals("ack", send(c, "type", "join", "room", "r-" + t, "id", 5).path("type").asText());
    }

    @Test
    void aRefreshRevokesClaimRoomsItNoLongerGrantsButKeepsTokenAndServerRooms() throws Exception {
        String user = "revoke-me";
        TestClient c = login(Transport.WEBSOCKET, token(user, List.of("claim-a", "claim-b"), null));
        TestClient watcher = login(Transport.TCP, token("revoke-watcher", List.of("claim-a"), null));
        send(watcher, "type", "join", "room", "claim-a", "id", 0);
        assertEquals("ack", send(c, "type", "join", "room", "claim-a", "id", 1).path("type").asText());
        assertEquals("joined", watcher.next().path("type").asText());
        assertEquals("ack", send(c, "type", "join", "room", "claim-b", "id", 2).path("type").asText());
        assertEquals("ack", send(c, "type", "join", "room", "by-token", "token", roomToken(user, "by-token", null),
                "id", 3).path("type").asText());
        HttpResponse<String> added = http.method("PUT", "/api/rooms/by-server/members/" + user,
                "Authorization", "Bearer " + ADMIN);
        assertEquals(200, added.statusCode(), added.body());
        assertEquals("joined", c.next().path("type").asText());

        c.sendFields("type", "refresh", "token", token(user, List.of("claim-b"), null), "id", 4);
        // The ack and the revocation's left come in either order: both are answers to the refresh.
        List<JsonNode> frames = new java.util.ArrayList<>(c.until("ack"));
        if (frames.stream().noneMatch(n -> "left".equals(n.path("type").asText()))) {
            frames.addAll(c.until("left"));
        }
        JsonNode left = frames.stream().filter(n -> "left".equals(n.path("type").asText())).findFirst().orElseThrow();
        assertEquals("claim-a", left.get("room").asText());
        assertEquals(user, left.get("user").asText(), "told with its own user");
        assertEquals("revoked", left.get("reason").asText());
        JsonNode seen = watcher.next();
        assertEquals("left", seen.path("type").asText(), seen::toString);
        assertEquals("revoked", seen.get("reason").asText());
        Set<String> rooms = Set.copyOf(gateway.server().gateway().connections().connectionsOf(user).get(0).rooms());
        assertEquals(Set.of("claim-b", "by-token", "by-server"), rooms);
        assertEquals("forbidden", send(c, "type", "join", "room", "claim-a", "id", 5).path("code").asText());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aConnectionWhoseTokenExpiresIsKickedWithExpired(Transport t) {
        TestClient c = login(t, TestTokens.hs256(SECRET, claims("expiring-" + t, 2).build()));
        JsonNode kicked = c.expect("kicked");
        assertEquals("expired", kicked.get("reason").asText());
        int code = c.awaitClose(Duration.ofSeconds(5));
        if (t == Transport.WEBSOCKET) {
            assertEquals(4004, code, "the expiry's close code");
        }
        assertFalse(c.isOpen());
    }

    @Test
    void aRefreshInTimeKeepsTheConnection() {
        String user = "refreshed-in-time";
        TestClient c = login(Transport.WEBSOCKET, TestTokens.hs256(SECRET, claims(user, 2).build()));
        assertEquals("ack", send(c, "type", "refresh", "token", token(user, null, null), "id", 1).path("type")
                .asText());
        c.expectNothing(Duration.ofSeconds(3));
        assertEquals("pong", send(c, "type", "ping", "id", 2).path("type").asText());
    }

    @Test
    void theServerAddsAndRemovesAUserWithTheFramesTheContractGives() {
        TestClient phone = login(Transport.WEBSOCKET, token("member", null, null));
        TestClient laptop = login(Transport.TCP, token("member", null, null));
        TestClient other = login(Transport.WEBSOCKET, token("bystander", List.of("ops"), null));
        send(other, "type", "join", "room", "ops", "id", 0);

        HttpResponse<String> added = http.method("PUT", "/api/rooms/ops/members/member", "Authorization",
                "Bearer " + ADMIN);
        assertEquals(200, added.statusCode(), added.body());
        assertEquals(2, HttpTestClient.json(added).get("connections").asInt());
        for (TestClient device : List.of(phone, laptop)) {
            JsonNode joined = device.expect("joined");
            assertEquals("ops", joined.get("room").asText());
            assertEquals("member", joined.get("user").asText(), "each is told with its own user");
        }
        assertEquals("member", other.expect("joined").get("user").asText(), "the others hear it once");
        assertEquals("ack", send(phone, "type", "publish", "room", "ops", "body", "in", "id", 1).path("type").asText());

        HttpResponse<String> removed = http.method("DELETE", "/api/rooms/ops/members/member", "Authorization",
                "Bearer " + ADMIN);
        assertEquals(200, removed.statusCode(), removed.body());
        assertEquals(2, HttpTestClient.json(removed).get("connections").asInt());
        for (TestClient device : List.of(phone, laptop)) {
            List<JsonNode> frames = device.until("left");
            JsonNode left = frames.get(frames.size() - 1);
            assertEquals("ops", left.get("room").asText());
            assertEquals("member", left.get("user").asText(), "each is told with its own user");
            assertEquals("removed", left.get("reason").asText());
        }
        List<JsonNode> bystander = other.until("left");
        JsonNode left = bystander.get(bystander.size() - 1);
        assertEquals("removed", left.get("reason").asText());
        assertEquals(Set.of("message", "left"), bystander.stream().map(n -> n.path("type").asText())
                .collect(Collectors.toSet()), "the message, then the removal");
        assertEquals("not_in_room", send(laptop, "type", "publish", "room", "ops", "body", "out", "id", 2)
                .path("code").asText());
    }
}
