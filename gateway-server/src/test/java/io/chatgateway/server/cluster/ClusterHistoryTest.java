package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Protocol 1.1 across two nodes on a real {@code redis-server}: one order of offsets for every member on every node
 * (the publishing node's included), recovery on whichever node the client comes back to, rooms and inboxes, a
 * Redis that lost everything giving a new epoch, and server-side membership and revocation across nodes.
 */
@Timeout(90)
class ClusterHistoryTest {
    private static final String SECRET = "cluster-history-test-secret-0123456789abcdef";
    private static final String ADMIN = "cluster-history-admin-token-0123456789";
    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        Map<Setting, String> production = Map.of(Setting.JWT_SECRET, SECRET, Setting.ADMIN_TOKEN, ADMIN,
                Setting.SESSIONS, "multi", Setting.MAX_CONNECTIONS_PER_IP, "0", Setting.CONNECT_RATE_PER_IP, "0",
                Setting.RATE_LIMIT_PER_SECOND, "0");
        a = ClusterFixture.node(redis, "histA", production);
        b = ClusterFixture.node(redis, "histB", production);
    }

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a, b);
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

    @Test
    void everyMemberOnEveryNodeSeesTheSameOffsetsInTheSameOrder() {
        TestClient pubA = login(a, Transport.TCP, "pub-a");
        TestClient pubB = login(b, Transport.WEBSOCKET, "pub-b");
        TestClient onA = login(a, Transport.WEBSOCKET, "member-a");
        TestClient onB = login(b, Transport.TCP, "member-b");
        for (TestClient c : List.of(pubA, pubB, onA, onB)) {
            c.sendFields("type", "join", "room", "order", "id", "j");
            c.until("ack");
        }
        for (int i = 0; i < 20; i++) {
            TestClient from = i % 2 == 0 ? pubA : pubB;
            from.sendFields("type", "publish", "room", "order", "body", "m" + i, "id", i);
        }
        List<String> seenA = new ArrayList<>();
        List<String> seenB = new ArrayList<>();
        while (seenA.size() < 20) {
            JsonNode n = onA.next();
            if ("message".equals(n.path("type").asText())) {
                seenA.add(n.get("offset").asLong() + ":" + n.get("body").asText());
            }
        }
        while (seenB.size() < 20) {
            JsonNode n = onB.next();
            if ("message".equals(n.path("type").asText())) {
                seenB.add(n.get("offset").asLong() + ":" + n.get("body").asText());
            }
        }
        assertEquals(seenA, seenB, "one order for every member, whichever node it is on");
        for (int i = 0; i < 20; i++) {
            assertTrue(seenA.get(i).startsWith((i + 1) + ":"), "offsets 1..20 without a gap: " + seenA);
        }
        // A publisher is a member too: it gets the other's messages, at the same offsets, in the same order.
        List<String> pubASeen = new ArrayList<>();
        while (pubASeen.size() < 10) {
            JsonNode n = pubA.next();
            if ("message".equals(n.path("type").asText())) {
                pubASeen.add(n.get("offset").asLong() + ":" + n.get("body").asText());
            }
        }
        List<String> fromB = new ArrayList<>();
        for (String s : seenA) {
            if (Integer.parseInt(s.substring(s.indexOf(":m") + 2)) % 2 == 1) {
                fromB.add(s);
            }
        }
        assertEquals(fromB, pubASeen);
    }

    @Test
    void aClientRecoversARoomOnTheOtherNode() {
        TestClient publisher = login(a, Transport.TCP, "rec-pub");
        publisher.sendFields("type", "join", "room", "roam", "id", "j");
        String epoch = lastOf(publisher.until("ack")).get("epoch").asText();
        TestClient reader = login(a, Transport.WEBSOCKET, "rec-reader");
        reader.sendFields("type", "join", "room", "roam", "id", "j");
        reader.until("ack");
        publisher.sendFields("type", "publish", "room", "roam", "body", "m1", "id", 1);
        assertEquals(1, lastOf(reader.until("message")).get("offset").asLong());
        reader.close();
        for (int i = 2; i <= 4; i++) {
            publisher.sendFields("type", "publish", "room", "roam", "body", "m" + i, "id", i);
            publisher.until("ack");
        }

        TestClient back = login(b, Transport.TCP, "rec-reader");
        back.send(TestClient.obj("type", "join", "room", "roam", "id", "j",
                "since", TestClient.obj("epoch", epoch, "offset", 1)).toString());
        List<JsonNode> frames = back.until("ack");
        JsonNode ack = lastOf(frames);
        assertTrue(ack.get("recovered").asBoolean(), ack::toString);
        assertEquals(epoch, ack.get("epoch").asText(), "one epoch for the room on every node");
        List<String> replay = new ArrayList<>();
        frames.subList(0, frames.size() - 1).forEach(m -> replay.add(m.get("body").asText()));
        assertEquals(List.of("m2", "m3", "m4"), replay);
        publisher.sendFields("type", "publish", "room", "roam", "body", "m5", "id", 5);
        JsonNode live = lastOf(back.until("message"));
        assertEquals("m5", live.get("body").asText());
        assertEquals(5, live.get("offset").asLong());
    }

    @Test
    void aClientRecoversItsInboxOnTheOtherNode() {
        TestClient sender = login(b, Transport.WEBSOCKET, "inbox-sender");
        TestClient carol = a.connect(Transport.TCP);
        String epoch = carol.auth(token("carol", null)).get("inbox").get("epoch").asText();
        sender.sendFields("type", "send", "to", "carol", "body", "d1", "id", 1);
        assertEquals(1, sender.expect("ack").get("recipients").asInt());
        assertEquals(1, carol.expect("message").get("offset").asLong());
        carol.close();
        TestServer.await("carol is gone from the cluster", () -> {
            try {
                return Long.valueOf(0).equals(redis.command("HEXISTS", "gw:n:histA:users", "carol"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        sender.sendFields("type", "send", "to", "carol", "body", "d-late", "id", 2);
        JsonNode ack = lastOf(sender.until("ack"));
        assertTrue(ack.get("stored").asBoolean(), ack::toString);

        TestClient back = b.connect(Transport.WEBSOCKET);
        back.send(TestClient.obj("type", "auth", "token", token("carol", null),
                "since", TestClient.obj("epoch", epoch, "offset", 1)).toString());
        List<JsonNode> frames = back.until("welcome");
        JsonNode welcome = lastOf(frames);
        assertTrue(welcome.get("recovered").asBoolean(), welcome::toString);
        List<String> replay = new ArrayList<>();
        frames.subList(0, frames.size() - 1).forEach(m -> replay.add(m.get("body").asText()));
        assertEquals(List.of("d-late"), replay, "the stored message comes back");
    }

    @Test
    void aRedisThatLostEverythingGivesANewEpoch() {
        TestClient c = login(a, Transport.WEBSOCKET, "epoch-user");
        c.sendFields("type", "join", "room", "fragile", "id", "j");
        String before = lastOf(c.until("ack")).get("epoch").asText();
        c.sendFields("type", "publish", "room", "fragile", "body", "x", "id", 1);
        c.until("ack");
        redis.kill();
        redis.restart();
        TestServer.await("both nodes are back", () -> ClusterFixture.status(a).isBrokerAvailable()
                && ClusterFixture.status(b).isBrokerAvailable());
        TestClient d = login(b, Transport.TCP, "epoch-other");
        d.send(TestClient.obj("type", "join", "room", "fragile", "id", "j",
                "since", TestClient.obj("epoch", before, "offset", 1)).toString());
        JsonNode ack = lastOf(d.until("ack"));
        assertNotEquals(before, ack.get("epoch").asText(), "the history was lost: another epoch");
        assertFalse(ack.get("recovered").asBoolean());
    }

    @Test
    void theServerAddsAndRemovesMembersOnEveryNode() {
        HttpTestClient adminA = new HttpTestClient(a.httpPort());
        TestClient onB = b.connect(Transport.WEBSOCKET);
        onB.auth(token("roamer", null));
        TestClient alsoOnA = a.connect(Transport.TCP);
        alsoOnA.auth(token("roamer", null));
        HttpResponse<String> added = adminA.method("PUT", "/api/rooms/staff/members/roamer",
                "Authorization", "Bearer " + ADMIN);
        assertEquals(200, added.statusCode(), added.body());
        assertEquals(2, HttpTestClient.json(added).get("connections").asInt());
        for (TestClient c : List.of(onB, alsoOnA)) {
            JsonNode joined = c.expect("joined");
            assertEquals("staff", joined.get("room").asText());
            assertEquals("roamer", joined.get("user").asText());
        }
        TestServer.await("the remote connection is in the room",
                () -> b.server().gateway().rooms().get("staff") != null);
        onB.sendFields("type", "publish", "room", "staff", "body", "hello", "id", 1);
        assertEquals("ack", onB.next().path("type").asText());
        assertEquals("hello", alsoOnA.expect("message").get("body").asText());

        HttpResponse<String> removed = adminA.method("DELETE", "/api/rooms/staff/members/roamer",
                "Authorization", "Bearer " + ADMIN);
        assertEquals(200, removed.statusCode(), removed.body());
        for (TestClient c : List.of(onB, alsoOnA)) {
            JsonNode left = lastOf(c.until("left"));
            assertEquals("removed", left.get("reason").asText());
            assertEquals("roamer", left.get("user").asText());
        }
    }

    @Test
    void aRefreshOnOneNodeRevokesARoomForTheMembersOfEveryNode() {
        TestClient watcher = login(b, Transport.TCP, "revoke-watcher");
        watcher.sendFields("type", "join", "room", "claimed", "id", "j");
        watcher.until("ack");
        TestClient c = a.connect(Transport.WEBSOCKET);
        c.auth(token("revokee", List.of("claimed")));
        c.sendFields("type", "join", "room", "claimed", "id", "j");
        c.until("ack");
        assertEquals("joined", lastOf(watcher.until("joined")).path("type").asText());
        c.sendFields("type", "refresh", "token", token("revokee", List.of("elsewhere")), "id", "r");
        List<JsonNode> frames = new ArrayList<>(c.until("ack"));
        if (frames.stream().noneMatch(n -> "left".equals(n.path("type").asText()))) {
            frames.addAll(c.until("left"));
        }
        assertTrue(frames.stream().anyMatch(n -> "left".equals(n.path("type").asText())
                && "revoked".equals(n.path("reason").asText())), frames::toString);
        JsonNode left = lastOf(watcher.until("left"));
        assertEquals("revokee", left.get("user").asText());
        assertEquals("revoked", left.get("reason").asText());
    }
}
