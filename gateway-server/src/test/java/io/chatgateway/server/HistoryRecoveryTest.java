package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * History and recovery (protocol 1.1) over real sockets, on both transports: offsets, join and auth with
 * {@code since}, the {@code history} frame, stored direct messages, ephemeral messages, and the admin API's view.
 */
@Timeout(60)
class HistoryRecoveryTest {
    private static final String ADMIN = "history-test-admin-token-0123456789abcdef";
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        // A short history, so that "too old" is easy to reach.
        gateway = TestServer.start(Map.of(Setting.HISTORY_SIZE, "5", Setting.SESSIONS, "multi",
                Setting.ADMIN_TOKEN, ADMIN, Setting.RATE_LIMIT_PER_SECOND, "0"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static JsonNode join(TestClient c, String room, String epoch, long offset) {
        ObjectNode f = TestClient.obj("type", "join", "room", room, "id", "j");
        if (epoch != null) {
            f.set("since", TestClient.obj("epoch", epoch, "offset", offset));
        }
        c.send(f.toString());
        List<JsonNode> frames = c.until("ack");
        return frames.get(frames.size() - 1);
    }

    private static List<JsonNode> messagesUntilAck(TestClient c) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode n : c.until("ack")) {
            if ("message".equals(n.path("type").asText())) {
                out.add(n);
            }
        }
        return out;
    }

    private static void publish(TestClient c, String room, String body) {
        c.sendFields("type", "publish", "room", room, "body", body, "id", body);
        List<JsonNode> frames = c.until("ack");
        assertEquals(body, frames.get(frames.size() - 1).get("id").asText());
    }

    private static List<String> bodies(List<JsonNode> messages) {
        List<String> out = new ArrayList<>();
        messages.forEach(m -> out.add(m.get("body").asText()));
        return out;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aJoinWithSinceRecoversWhatItMissedOrSaysItCannot(Transport t) {
        String room = "recover-" + t;
        TestClient publisher = gateway.login(t, "pub-" + t);
        JsonNode first = join(publisher, room, null, 0);
        String epoch = first.get("epoch").asText();
        assertEquals(0, first.get("offset").asLong());
        assertTrue(first.get("events").asBoolean());
        TestClient reader = gateway.login(t, "reader-" + t);
        join(reader, room, null, 0);
        publish(publisher, room, "m1");
        JsonNode m1 = reader.expect("message");
        assertEquals(1, m1.get("offset").asLong());
        reader.close();

        publish(publisher, room, "m2");
        publish(publisher, room, "m3");
        TestClient back = gateway.login(t, "reader-" + t);
        back.send(TestClient.obj("type", "join", "room", room, "id", "j",
                "since", TestClient.obj("epoch", epoch, "offset", 1)).toString());
        List<JsonNode> frames = back.until("ack");
        JsonNode ack = frames.get(frames.size() - 1);
        assertTrue(ack.get("recovered").asBoolean(), ack::toString);
        assertEquals(3, ack.get("offset").asLong());
        List<JsonNode> replayed = frames.subList(0, frames.size() - 1);
        assertEquals(List.of("m2", "m3"), bodies(replayed), "replayed before the ack, in order");
        assertEquals(List.of(2L, 3L), List.of(replayed.get(0).get("offset").asLong(), replayed.get(1).get("offset")
                .asLong()));
        assertEquals(m1.get("from").asText(), replayed.get(0).get("from").asText());

        for (int i = 4; i <= 10; i++) {
            publish(publisher, room, "m" + i);
        }
        TestClient tooLate = gateway.login(t, "late-" + t);
        JsonNode stale = join(tooLate, room, epoch, 2);
        assertFalse(stale.get("recovered").asBoolean(), "only the last 5 are held");
        assertEquals(10, stale.get("offset").asLong());
        TestClient wrongEpoch = gateway.login(t, "epoch-" + t);
        assertFalse(join(wrongEpoch, room, "not-" + epoch, 9).get("recovered").asBoolean());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theHistoryFrameGivesTheLatestOrThoseAfterSince(Transport t) {
        String room = "hist-" + t;
        TestClient c = gateway.login(t, "historian-" + t);
        String epoch = join(c, room, null, 0).get("epoch").asText();
        for (String b : List.of("a", "b", "c", "d")) {
            publish(c, room, b);
        }
        c.sendFields("type", "history", "room", room, "limit", 2, "id", "h1");
        JsonNode latest = c.expect("history");
        assertEquals("h1", latest.get("id").asText());
        assertEquals(epoch, latest.get("epoch").asText());
        assertEquals(4, latest.get("offset").asLong());
        assertEquals(List.of("c", "d"), bodies(list(latest.get("messages"))));
        assertFalse(latest.has("recovered"), "recovered only answers a since");
        c.send(TestClient.obj("type", "history", "room", room, "id", "h2", "limit", 2,
                "since", TestClient.obj("epoch", epoch, "offset", 1)).toString());
        JsonNode after = c.expect("history");
        assertEquals(List.of("b", "c"), bodies(list(after.get("messages"))), "a page to go on from");
        assertTrue(after.get("recovered").asBoolean());
        c.sendFields("type", "history", "room", room, "limit", -1, "id", "h3");
        assertEquals("bad_request", c.expectError("bad_request").get("code").asText());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anAuthWithSinceGetsTheMissedDirectMessagesThenWelcome(Transport t) {
        String user = "inbox-" + t;
        TestClient sender = gateway.login(t, "sender-" + t);
        TestClient bob = gateway.connect(t);
        JsonNode welcome = bob.auth(user);
        String epoch = welcome.get("inbox").get("epoch").asText();
        sender.sendFields("type", "send", "to", user, "body", "d1", "id", 1);
        assertEquals(1, sender.expect("ack").get("recipients").asInt());
        assertEquals(1, bob.expect("message").get("offset").asLong());
        bob.close();
        TestServer.await("bob is gone", () -> !gateway.server().gateway().connections().isOnline(user));

        sender.sendFields("type", "send", "to", user, "body", "d2", "id", 2);
        JsonNode stored = sender.expect("ack");
        assertEquals(0, stored.get("recipients").asInt());
        assertTrue(stored.get("stored").asBoolean(), stored::toString);
        TestClient again = gateway.connect(t);
        again.send(TestClient.obj("type", "auth", "token", user, "since", TestClient.obj("epoch", epoch, "offset", 1))
                .toString());
        List<JsonNode> frames = again.until("welcome");
        JsonNode back = frames.get(frames.size() - 1);
        assertTrue(back.get("recovered").asBoolean());
        assertEquals(2, back.get("inbox").get("offset").asLong());
        assertEquals(List.of("d2"), bodies(frames.subList(0, frames.size() - 1)));

        sender.sendFields("type", "send", "to", "never-seen-" + t, "body", "x", "id", 3);
        sender.expectError("user_offline");
    }

    @Test
    void twoConnectionsOfOneUserShareOneInbox() {
        TestClient sender = gateway.login(Transport.TCP, "shared-sender");
        TestClient phone = gateway.connect(Transport.WEBSOCKET);
        String epoch = phone.auth("shared").get("inbox").get("epoch").asText();
        TestClient laptop = gateway.connect(Transport.TCP);
        JsonNode second = laptop.auth("shared");
        assertEquals(epoch, second.get("inbox").get("epoch").asText(), "one inbox per user");
        sender.sendFields("type", "send", "to", "shared", "body", "both", "id", 1);
        assertEquals(2, sender.expect("ack").get("recipients").asInt());
        JsonNode a = phone.expect("message");
        JsonNode b = laptop.expect("message");
        assertEquals(a.get("offset").asLong(), b.get("offset").asLong(), "the same offset on every device");
        assertEquals(a.get("mid").asText(), b.get("mid").asText());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void ephemeralMessagesAreDeliveredButNotKept(Transport t) {
        String room = "eph-" + t;
        TestClient a = gateway.login(t, "eph-a-" + t);
        TestClient b = gateway.login(t, "eph-b-" + t);
        join(a, room, null, 0);
        join(b, room, null, 0);
        a.sendFields("type", "publish", "room", room, "body", "typing", "ephemeral", true, "id", 1);
        a.until("ack");
        List<JsonNode> seen = b.until("message");
        JsonNode typing = seen.get(seen.size() - 1);
        assertFalse(typing.has("offset"), typing::toString);
        b.sendFields("type", "history", "room", room, "id", 2);
        assertEquals(0, b.expect("history").get("messages").size());
        a.sendFields("type", "send", "to", "eph-b-" + t, "body", "dm-typing", "ephemeral", true, "id", 3);
        // b's joined may still be on its way to a, from b's event loop: wait for the ack itself.
        List<JsonNode> acks = a.until("ack");
        assertEquals(1, acks.get(acks.size() - 1).get("recipients").asInt());
        assertFalse(b.expect("message").has("offset"));
        a.sendFields("type", "publish", "room", room, "body", 1, "ephemeral", "yes", "id", 4);
        List<JsonNode> error = a.until("error");
        assertTrue(error.get(error.size() - 1).get("message").asText().contains("ephemeral"));
    }

    @Test
    void serverMessagesGetOffsetsAndTheAdminApiShowsTheHistory() {
        TestClient c = gateway.login(Transport.WEBSOCKET, "admin-history");
        String epoch = join(c, "admin-room", null, 0).get("epoch").asText();
        HttpTestClient http = new HttpTestClient(gateway.httpPort());
        String auth = "Bearer " + ADMIN;
        HttpResponse<String> posted = http.post("/api/rooms/admin-room/messages", "{\"body\":\"from the server\"}",
                "Authorization", auth, "Content-Type", "application/json");
        assertEquals(200, posted.statusCode(), posted.body());
        JsonNode m = c.expect("message");
        assertEquals("$server", m.get("from").asText());
        assertEquals(1, m.get("offset").asLong(), "the server's message is numbered like any other");
        publish(c, "admin-room", "from a client");
        JsonNode history = HttpTestClient.json(http.get("/api/rooms/admin-room/history?limit=10",
                "Authorization", auth));
        assertEquals(epoch, history.get("epoch").asText());
        assertEquals(2, history.get("offset").asLong());
        assertEquals(List.of("from the server", "from a client"), bodies(list(history.get("messages"))));
        JsonNode since = HttpTestClient.json(http.get("/api/rooms/admin-room/history?epoch=" + epoch + "&offset=1",
                "Authorization", auth));
        assertEquals(List.of("from a client"), bodies(list(since.get("messages"))));
        assertTrue(since.get("recovered").asBoolean());
        assertEquals(400, http.get("/api/rooms/admin-room/history?offset=1", "Authorization", auth).statusCode(),
                "since needs both epoch and offset");
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
