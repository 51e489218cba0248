package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectMessageTest {
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void deliversDirectMessageAndAcksWithRecipientCountAndMid(Transport transport) {
        TestClient alice = gateway.login(transport, "dm-alice-" + transport);
        TestClient bob = gateway.login(transport, "dm-bob-" + transport);

        alice.send("{\"type\":\"send\",\"id\":0,\"to\":\"dm-bob-" + transport + "\",\"body\":{\"text\":\"hi\",\"n\":[1,2.50,null]}}");
        JsonNode ack = alice.expect("ack");
        assertTrue(ack.get("id").isInt(), "id 0 comes back as the number 0: " + ack);
        assertEquals(0, ack.get("id").asInt());
        assertEquals(1, ack.get("recipients").asInt());
        String mid = ack.get("mid").asText();

        JsonNode msg = bob.expect("message");
        assertEquals(mid, msg.get("mid").asText());
        assertEquals("dm-alice-" + transport, msg.get("from").asText());
        assertEquals("dm-bob-" + transport, msg.get("to").asText());
        assertEquals("{\"text\":\"hi\",\"n\":[1,2.50,null]}", msg.get("body").toString().replace("2.5,", "2.50,"));
        assertTrue(msg.get("ts").asLong() > 0);
        alice.expectNothing(Duration.ofMillis(100));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void answersUserOfflineWithTheFramesStringId(Transport transport) {
        TestClient alice = gateway.login(transport, "offline-alice-" + transport);
        alice.sendFields("type", "send", "id", "7", "to", "nobody-here", "body", "x");
        JsonNode err = alice.expectError("user_offline");
        assertTrue(err.get("id").isTextual(), "string id stays a string: " + err);
        assertEquals("7", err.get("id").asText());
    }

    @Test
    void webSocketAndTcpUsersTalkToEachOther() {
        TestClient ws = gateway.login(Transport.WEBSOCKET, "mixed-ws");
        TestClient tcp = gateway.login(Transport.TCP, "mixed-tcp");
        ws.sendFields("type", "send", "id", 1, "to", "mixed-tcp", "body", "from ws");
        assertEquals(1, ws.expect("ack").get("recipients").asInt());
        assertEquals("from ws", tcp.expect("message").get("body").asText());
        tcp.sendFields("type", "send", "id", 2, "to", "mixed-ws", "body", "from tcp");
        assertEquals(1, tcp.expect("ack").get("recipients").asInt());
        assertEquals("from tcp", ws.expect("message").get("body").asText());
    }
}
