package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoomTest {
    private static final Duration QUIET = Duration.ofMillis(200);
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static void join(TestClient c, String room) {
        c.sendFields("type", "join", "room", room, "id", "join-" + room);
        assertEquals("join-" + room, c.expect("ack").get("id").asText());
    }

    private static List<String> users(JsonNode presence) {
        List<String> users = new ArrayList<>();
        presence.get("users").forEach(u -> users.add(u.asText()));
        users.sort(null);
        return users;
    }

    @Test
    void membersAcrossTransportsSeeJoinsMessagesAndLeavesWithExactRecipients() {
        TestClient ann = gateway.login(Transport.WEBSOCKET, "r-ann");
        TestClient ben = gateway.login(Transport.TCP, "r-ben");
        TestClient cat = gateway.login(Transport.WEBSOCKET, "r-cat");

        join(ann, "general");
        join(ben, "general");
        assertEquals("r-ben", ann.expect("joined").get("user").asText());
        join(cat, "general");
        assertEquals("r-cat", ann.expect("joined").get("user").asText());
        JsonNode joined = ben.expect("joined");
        assertEquals("general", joined.get("room").asText());
        assertEquals("r-cat", joined.get("user").asText());

        ben.sendFields("type", "publish", "room", "general", "body", List.of("hi", 1), "id", 10);
        JsonNode ack = ben.expect("ack");
        assertEquals(10, ack.get("id").asInt());
        assertEquals(2, ack.get("recipients").asInt());
        for (TestClient member : List.of(ann, cat)) {
            JsonNode m = member.expect("message");
            assertEquals("r-ben", m.get("from").asText());
            assertEquals("general", m.get("room").asText());
            assertEquals("[\"hi\",1]", m.get("body").toString());
            assertEquals(ack.get("mid").asText(), m.get("mid").asText());
            assertFalse(m.has("to"));
        }
        ben.expectNothing(QUIET);

        cat.sendFields("type", "presence", "room", "general", "id", 11);
        JsonNode presence = cat.expect("presence");
        assertEquals(List.of("r-ann", "r-ben", "r-cat"), users(presence));
        assertEquals("general", presence.get("room").asText());

        cat.sendFields("type", "leave", "room", "general", "id", 12);
        cat.expect("ack");
        for (TestClient member : List.of(ann, ben)) {
            JsonNode left = member.expect("left");
            assertEquals("r-cat", left.get("user").asText());
            assertEquals("general", left.get("room").asText());
        }
        ann.sendFields("type", "publish", "room", "general", "body", "after", "id", 13);
        assertEquals(1, ann.expect("ack").get("recipients").asInt());
        assertEquals("after", ben.expect("message").get("body").asText());
        cat.expectNothing(QUIET);
    }

    @Test
    void publishToAnEmptyRoomIsAcceptedWithZeroRecipients() {
        TestClient solo = gateway.login(Transport.TCP, "r-solo");
        join(solo, "echo-chamber");
        solo.sendFields("type", "publish", "room", "echo-chamber", "body", 1, "id", 1);
        assertEquals(0, solo.expect("ack").get("recipients").asInt());
    }

    @Test
    void refusesLeaveAndPublishForRoomsNotJoined() {
        TestClient c = gateway.login(Transport.WEBSOCKET, "r-stranger");
        c.sendFields("type", "leave", "room", "nowhere", "id", 1);
        assertEquals(1, c.expectError("not_in_room").get("id").asInt());
        c.sendFields("type", "publish", "room", "nowhere", "body", "x", "id", 2);
        assertEquals(2, c.expectError("not_in_room").get("id").asInt());
    }

    @Test
    void closingAConnectionLeavesItsRooms() {
        TestClient stay = gateway.login(Transport.TCP, "r-stay");
        TestClient go = gateway.login(Transport.WEBSOCKET, "r-go");
        join(stay, "closing");
        join(go, "closing");
        stay.expect("joined");
        go.close();
        JsonNode left = stay.expect("left");
        assertEquals("r-go", left.get("user").asText());
        stay.sendFields("type", "presence", "room", "closing");
        assertEquals(List.of("r-stay"), users(stay.expect("presence")));
    }

    @Test
    void presenceWithoutRoomListsOnlineUsers() {
        TestClient a = gateway.login(Transport.TCP, "p-online-a");
        gateway.login(Transport.WEBSOCKET, "p-online-b");
        a.sendFields("type", "presence", "id", "all");
        JsonNode presence = a.expect("presence");
        List<String> users = users(presence);
        assertTrue(users.containsAll(List.of("p-online-a", "p-online-b")), users::toString);
        assertFalse(presence.has("room"));
        a.sendFields("type", "presence", "room", "no-such-room");
        assertEquals(0, a.expect("presence").get("users").size());
    }
}
