package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.chatgateway.server.http.HttpTestClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin API over real HTTP against a running gateway with real WebSocket and TCP clients. */
class AdminApiTest {
    private static final String TOKEN = "admin-test-token-5b7c1e0f9d2a4c6e8b0d1f3a5c7e9b1d";
    private static TestServer gateway;
    private static HttpTestClient http;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.ADMIN_TOKEN, TOKEN, Setting.MAX_FRAME_BYTES, "2048"));
        http = new HttpTestClient(gateway.httpPort());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static HttpResponse<String> get(String path) {
        return http.get(path, "Authorization", "Bearer " + TOKEN);
    }

    private static HttpResponse<String> post(String path, String body) {
        return http.post(path, body, "Authorization", "Bearer " + TOKEN, "Content-Type", "application/json");
    }

    private static JsonNode expect(int status, HttpResponse<String> res) {
        assertEquals(status, res.statusCode(), () -> "body: " + res.body());
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("application/json"),
                () -> "JSON answer expected: " + res.headers().map());
        return json(res);
    }

    private static void expectError(int status, String code, HttpResponse<String> res) {
        JsonNode doc = expect(status, res);
        assertEquals(code, doc.path("error").asText(), doc::toString);
        assertFalse(doc.path("message").asText().isEmpty(), "errors explain themselves: " + doc);
    }

    private static JsonNode last(List<JsonNode> frames) {
        return frames.get(frames.size() - 1);
    }

    // ---- authentication

    @Test
    void answers401WithBearerChallengeWithoutToken() {
        HttpResponse<String> res = http.get("/api/stats");
        expectError(401, "unauthorized", res);
        assertEquals("Bearer realm=\"gateway-admin\"", res.headers().firstValue("www-authenticate").orElse(null));
        expectError(401, "unauthorized", http.get("/api/stats", "Authorization", "Basic YWRtaW46YWRtaW4="));
        expectError(401, "unauthorized", http.get("/api/nothing-here"));
    }

    @Test
    void answers403ForAWrongToken() {
        expectError(403, "forbidden", http.get("/api/stats", "Authorization", "Bearer not-the-token"));
        expectError(403, "forbidden", http.get("/api/stats", "Authorization", "Bearer " + TOKEN + "x"));
        expectError(403, "forbidden", http.get("/api/stats", "Authorization", "Bearer " + TOKEN.substring(1)));
    }

    @Test
    void acceptsTheBearerSchemeInAnyCase() {
        expect(200, http.get("/api/stats", "Authorization", "bearer " + TOKEN));
    }

    // ---- routing errors

    @Test
    void answers404ForUnknownEndpointsAnd405ForWrongMethods() {
        expectError(404, "not_found", get("/api/nope"));
        expectError(404, "not_found", get("/api/users/a/b/c"));
        HttpResponse<String> res = post("/api/stats", "{}");
        expectError(405, "method_not_allowed", res);
        assertEquals("GET, HEAD", res.headers().firstValue("allow").orElse(null));
        HttpResponse<String> get = get("/api/broadcast");
        expectError(405, "method_not_allowed", get);
        assertEquals("POST", get.headers().firstValue("allow").orElse(null));
        expectError(405, "method_not_allowed",
                http.method("DELETE", "/api/users/someone", "Authorization", "Bearer " + TOKEN));
    }

    // ---- stats

    @Test
    void statsReportConnectionsUsersAndRoomsByTransport() throws Exception {
        TestClient ws = gateway.login(Transport.WEBSOCKET, "stats-ws");
        TestClient tcp = gateway.login(Transport.TCP, "stats-tcp");
        ws.sendFields("type", "join", "id", 1, "room", "stats-room");
        ws.expect("ack");
        JsonNode stats = expect(200, get("/api/stats"));
        assertTrue(stats.path("connections").asInt() >= 2, stats::toString);
        assertTrue(stats.path("connectionsByTransport").path("websocket").asInt() >= 1, stats::toString);
        assertTrue(stats.path("connectionsByTransport").path("tcp").asInt() >= 1, stats::toString);
        assertTrue(stats.path("users").asInt() >= 2, stats::toString);
        assertTrue(stats.path("rooms").asInt() >= 1, stats::toString);
        assertEquals("ready", stats.path("state").asText());
        assertEquals(gateway.server().gateway().config().nodeId(), stats.path("node").asText());
        assertTrue(stats.path("kicks").has("slow_consumer"), stats::toString);
        assertTrue(stats.path("errors").has("user_offline"), stats::toString);
        tcp.close();
        ws.close();
    }

    @Test
    void historyHasOneRatePointPerSecond() {
        TestServer.await("two samples taken", () -> gateway.server().metrics().messageRates().history(10).size() >= 1);
        JsonNode doc = expect(200, get("/api/stats/history?seconds=10"));
        assertEquals(1, doc.path("intervalSeconds").asInt());
        assertTrue(doc.path("points").size() >= 1 && doc.path("points").size() <= 10, doc::toString);
        JsonNode p = doc.path("points").get(0);
        assertTrue(p.has("t") && p.has("received") && p.has("delivered") && p.has("connections"), p::toString);
        expectError(400, "bad_request", get("/api/stats/history?seconds=0"));
        expectError(400, "bad_request", get("/api/stats/history?seconds=abc"));
    }

    // ---- users

    @Test
    void pagesOnlineUsersInOrderWithACursor() {
        List<String> names = List.of("page-e", "page-a", "page-c", "page-b", "page-d");
        for (String n : names) {
            gateway.login(Transport.WEBSOCKET, n);
        }
        List<String> seen = new ArrayList<>();
        String after = "page-";
        int pages = 0;
        while (after != null) {
            JsonNode doc = expect(200, get("/api/users?limit=2&after=" + after));
            doc.path("users").forEach(u -> {
                if (u.asText().startsWith("page-")) {
                    seen.add(u.asText());
                }
            });
            assertTrue(doc.path("count").asInt() <= 2, doc::toString);
            assertTrue(doc.path("total").asInt() >= names.size(), doc::toString);
            after = doc.path("next").isNull() ? null : doc.path("next").asText();
            if (after != null && !after.startsWith("page-")) {
                break;
            }
            assertTrue(++pages < 10, "paging must end");
        }
        assertEquals(List.of("page-a", "page-b", "page-c", "page-d", "page-e"), seen);
        expectError(400, "bad_request", get("/api/users?limit=0"));
        expectError(400, "bad_request", get("/api/users?limit=1001"));
    }

    @Test
    void findsUsersByPrefixAndPagesThroughThem() {
        for (String n : List.of("pfx-carol", "pfx-alice", "pfx-bob", "pfxnot-dave", "other-pfx-erin")) {
            gateway.login(Transport.TCP, n);
        }
        JsonNode first = expect(200, get("/api/users?prefix=pfx-&limit=2"));
        assertEquals("[\"pfx-alice\",\"pfx-bob\"]", first.path("users").toString());
        assertEquals(2, first.path("count").asInt());
        assertEquals(3, first.path("total").asInt(), "total counts the matching users only: " + first);
        assertEquals("pfx-bob", first.path("next").asText());
        JsonNode second = expect(200, get("/api/users?prefix=pfx-&limit=2&after=pfx-bob"));
        assertEquals("[\"pfx-carol\"]", second.path("users").toString());
        assertTrue(second.path("next").isNull(), second::toString);
        // Matching is a prefix of the id, case-sensitive, and percent-decoded like every parameter.
        assertEquals("[\"pfxnot-dave\"]", expect(200, get("/api/users?prefix=pfxn")).path("users").toString());
        assertEquals(0, expect(200, get("/api/users?prefix=PFX-")).path("count").asInt());
        assertEquals("[\"other-pfx-erin\"]",
                expect(200, get("/api/users?prefix=other%2Dpfx")).path("users").toString());
        // An empty prefix is no prefix.
        assertTrue(expect(200, get("/api/users?prefix=&limit=1000")).path("total").asInt() >= 5);
        expectError(400, "bad_request", get("/api/users?prefix=" + "p".repeat(129)));
        expectError(400, "bad_request", get("/api/users?prefix=a%01"));
    }

    @Test
    void showsOneUsersConnectionsWithTheirCounters() {
        TestClient c = gateway.login(Transport.TCP, "detail-user");
        c.sendFields("type", "join", "id", 1, "room", "detail-room");
        c.expect("ack");
        JsonNode doc = expect(200, get("/api/users/detail-user"));
        assertEquals("detail-user", doc.path("user").asText());
        assertEquals(1, doc.path("connections").size());
        JsonNode conn = doc.path("connections").get(0);
        assertEquals("tcp", conn.path("transport").asText());
        assertEquals("authenticated", conn.path("state").asText());
        assertTrue(conn.path("remoteAddress").asText().startsWith("127.0.0.1:"), conn::toString);
        assertTrue(conn.path("createdAt").asLong() > 0 && conn.path("lastActiveAt").asLong() >= conn.path("createdAt").asLong());
        assertTrue(conn.path("bytesIn").asLong() > 0 && conn.path("bytesOut").asLong() > 0, conn::toString);
        assertEquals(2, conn.path("messagesIn").asLong(), conn::toString);
        assertTrue(conn.path("messagesOut").asLong() >= 2, conn::toString);
        assertEquals("detail-room", conn.path("rooms").get(0).asText());
        expectError(404, "not_found", get("/api/users/nobody-is-called-this"));
    }

    @Test
    void decodesPercentEncodedUserIdsAndRejectsBadOnes() throws Exception {
        TestClient c = gateway.login(Transport.WEBSOCKET, "slash/user+plus é");
        JsonNode doc = expect(200, get("/api/users/slash%2Fuser+plus%20%C3%A9"));
        assertEquals("slash/user+plus é", doc.path("user").asText());
        String raw = http.raw("/api/users/bad%zz", "Authorization", "Bearer " + TOKEN);
        assertEquals(400, HttpTestClient.rawStatus(raw), raw);
        assertTrue(raw.contains("\"error\":\"bad_request\""), raw);
        expectError(400, "bad_request", get("/api/users/%C3%28"));
        expectError(400, "bad_request", get("/api/users/%24server"));
        expectError(400, "bad_request", get("/api/users/ctl%01"));
        c.close();
    }

    @Test
    void sendsToAUserAndAnswersWithRecipients() {
        TestClient ws = gateway.login(Transport.WEBSOCKET, "admin-dm");
        JsonNode doc = expect(200, post("/api/users/admin-dm/messages", "{\"body\":{\"text\":\"hello\",\"n\":[1,2]}}"));
        assertEquals(1, doc.path("recipients").asInt());
        JsonNode msg = ws.expect("message");
        assertEquals("$server", msg.path("from").asText());
        assertEquals("admin-dm", msg.path("to").asText());
        assertEquals("{\"text\":\"hello\",\"n\":[1,2]}", msg.path("body").toString());
        assertFalse(msg.path("mid").asText().isEmpty());

        assertEquals(0, expect(200, post("/api/users/offline-person/messages", "{\"body\":1}"))
                .path("recipients").asInt());
    }

    @Test
    void rejectsMalformedMessageRequests() {
        expectError(400, "bad_request", post("/api/users/x/messages", ""));
        expectError(400, "bad_request", post("/api/users/x/messages", "{\"body\":"));
        expectError(400, "bad_request", post("/api/users/x/messages", "[1,2]"));
        expectError(400, "bad_request", post("/api/users/x/messages", "{\"text\":\"no body field\"}"));
        expectError(400, "bad_request", post("/api/users/x/messages", "{\"body\":1,\"body\":2}"));
        expectError(400, "bad_request", post("/api/users/x/messages", "{\"body\":1} trailing"));
        expectError(400, "bad_request", post("/api/users/x/messages",
                "{\"body\":" + "[".repeat(200) + "]".repeat(200) + "}"));
        expectError(415, "unsupported_media_type", http.post("/api/users/x/messages", "{\"body\":1}",
                "Authorization", "Bearer " + TOKEN, "Content-Type", "application/x-www-form-urlencoded"));
        // The gateway runs with max-frame-bytes=2048: a bigger message body could never be a frame.
        String big = "{\"body\":\"" + "x".repeat(2100) + "\"}";
        expectError(413, "payload_too_large", post("/api/users/x/messages", big));
        String huge = "{\"body\":\"" + "x".repeat(4000) + "\"}";
        expectError(413, "payload_too_large", post("/api/users/x/messages", huge));
    }

    @Test
    void disconnectsAUserWithKickedAdmin() {
        TestClient ws = gateway.login(Transport.WEBSOCKET, "to-kick");
        TestClient tcp = gateway.login(Transport.TCP, "to-kick-tcp");
        JsonNode doc = expect(200, post("/api/users/to-kick/disconnect", null));
        assertEquals(1, doc.path("kicked").asInt());
        assertEquals("to-kick", doc.path("user").asText());
        assertEquals("admin", ws.expect("kicked").path("reason").asText());
        ws.awaitClose(TestClient.WAIT);
        TestServer.await("user gone", () -> !gateway.server().gateway().connections().isOnline("to-kick"));
        assertTrue(tcp.isOpen(), "other users stay connected");
        assertEquals(0, expect(200, post("/api/users/to-kick/disconnect", null)).path("kicked").asInt());
    }

    // ---- rooms

    @Test
    void listsRoomsByNameAndBySizeAndShowsMembers() {
        TestClient a = gateway.login(Transport.WEBSOCKET, "rooms-a");
        TestClient b = gateway.login(Transport.TCP, "rooms-b");
        for (TestClient c : List.of(a, b)) {
            c.sendFields("type", "join", "id", 1, "room", "zz-big room");
            c.until("ack");
        }
        a.sendFields("type", "join", "id", 2, "room", "zz-small");
        a.until("ack");

        JsonNode bySize = expect(200, get("/api/rooms?sort=size&limit=1"));
        assertEquals(1, bySize.path("rooms").size());
        JsonNode top = bySize.path("rooms").get(0);
        assertTrue(top.path("connections").asInt() >= 2, bySize::toString);

        JsonNode byName = expect(200, get("/api/rooms?after=zz-&limit=1"));
        assertEquals("zz-big room", byName.path("rooms").get(0).path("name").asText());
        assertEquals("zz-big room", byName.path("next").asText());
        JsonNode second = expect(200, get("/api/rooms?after=zz-big%20room&limit=5"));
        assertEquals("zz-small", second.path("rooms").get(0).path("name").asText());
        expectError(400, "bad_request", get("/api/rooms?sort=age"));

        JsonNode members = expect(200, get("/api/rooms/zz-big%20room"));
        assertEquals("zz-big room", members.path("room").asText());
        assertEquals("[\"rooms-a\",\"rooms-b\"]", members.path("users").toString());
        assertEquals(2, members.path("localConnections").asInt());
        expectError(404, "not_found", get("/api/rooms/no-such-room"));
    }

    @Test
    void publishesToARoomAndAnswersWithRecipients() {
        TestClient a = gateway.login(Transport.WEBSOCKET, "pub-a");
        TestClient b = gateway.login(Transport.TCP, "pub-b");
        for (TestClient c : List.of(a, b)) {
            c.sendFields("type", "join", "id", 1, "room", "announcements");
            c.until("ack");
        }
        a.until("joined");
        JsonNode doc = expect(200, post("/api/rooms/announcements/messages", "{\"body\":\"maintenance at 5\"}"));
        assertEquals(2, doc.path("recipients").asInt());
        for (TestClient c : List.of(a, b)) {
            JsonNode msg = last(c.until("message"));
            assertEquals("$server", msg.path("from").asText());
            assertEquals("announcements", msg.path("room").asText());
            assertEquals("maintenance at 5", msg.path("body").asText());
        }
        assertEquals(0, expect(200, post("/api/rooms/empty-room/messages", "{\"body\":null}")).path("recipients").asInt());
    }

    @Test
    void broadcastsToEveryoneExceptTheExcludedUser() {
        TestClient a = gateway.login(Transport.WEBSOCKET, "bc-a");
        TestClient b = gateway.login(Transport.TCP, "bc-b");
        int online = gateway.server().gateway().connections().authenticatedCount();
        JsonNode doc = expect(200, post("/api/broadcast", "{\"body\":{\"alert\":true},\"exclude\":\"bc-b\"}"));
        int recipients = doc.path("recipients").asInt();
        // Everyone but bc-b: at least bc-a, at most every other authenticated connection.
        assertTrue(recipients >= 1 && recipients <= online - 1, "recipients " + recipients + " of " + online);
        JsonNode msg = last(a.until("message"));
        assertEquals("{\"alert\":true}", msg.path("body").toString());
        assertFalse(msg.has("to") || msg.has("room"), msg::toString);
        b.expectNothing(java.time.Duration.ofMillis(200));
        expectError(400, "bad_request", post("/api/broadcast", "{\"body\":1,\"exclude\":5}"));
    }
}
