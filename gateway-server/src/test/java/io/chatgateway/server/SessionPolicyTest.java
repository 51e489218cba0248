package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SessionPolicyTest {

    @Test
    void singleSessionKicksTheOldConnectionWithReplaced() {
        try (TestServer gateway = TestServer.start(Map.of(Setting.SESSIONS, "single"))) {
            TestClient phone = gateway.login(Transport.WEBSOCKET, "solo");
            TestClient laptop = gateway.login(Transport.TCP, "solo");
            assertEquals("replaced", phone.expect("kicked").get("reason").asText());
            assertEquals(4000, phone.awaitClose(TestClient.WAIT));

            TestClient friend = gateway.login(Transport.TCP, "friend");
            friend.sendFields("type", "send", "to", "solo", "body", "hi", "id", 1);
            assertEquals(1, friend.expect("ack").get("recipients").asInt());
            assertEquals("hi", laptop.expect("message").get("body").asText());

            TestClient tablet = gateway.login(Transport.WEBSOCKET, "solo");
            assertEquals("replaced", laptop.expect("kicked").get("reason").asText());
            laptop.awaitClose(TestClient.WAIT);
            tablet.sendFields("type", "ping", "id", 2);
            tablet.expect("pong");
        }
    }

    @Test
    void multiSessionDeliversToEveryDevice() {
        try (TestServer gateway = TestServer.start(Map.of(Setting.SESSIONS, "multi",
                Setting.MAX_SESSIONS_PER_USER, "3"))) {
            List<TestClient> devices = List.of(gateway.login(Transport.WEBSOCKET, "many"),
                    gateway.login(Transport.TCP, "many"), gateway.login(Transport.WEBSOCKET, "many"));
            TestClient sender = gateway.login(Transport.TCP, "sender");
            sender.sendFields("type", "send", "to", "many", "body", "to all", "id", 1);
            JsonNode ack = sender.expect("ack");
            assertEquals(3, ack.get("recipients").asInt());
            for (TestClient d : devices) {
                JsonNode m = d.expect("message");
                assertEquals(ack.get("mid").asText(), m.get("mid").asText());
            }
            assertEquals(3, gateway.server().gateway().connections().connectionsOf("many").size());
        }
    }
}
