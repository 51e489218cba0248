package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Messages from one sender arrive in the order the gateway accepted them, directly and in a room. */
class OrderingTest {
    private static final int MESSAGES = 500;
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.RATE_LIMIT_PER_SECOND, "0"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @ParameterizedTest
    @CsvSource({"WEBSOCKET,TCP", "TCP,WEBSOCKET", "WEBSOCKET,WEBSOCKET", "TCP,TCP"})
    void directMessagesArriveInSendOrder(Transport from, Transport to) {
        String sender = "order-from-" + from + "-" + to;
        String receiver = "order-to-" + from + "-" + to;
        TestClient a = gateway.login(from, sender);
        TestClient b = gateway.login(to, receiver);
        for (int i = 0; i < MESSAGES; i++) {
            a.sendFields("type", "send", "to", receiver, "body", i, "id", i);
        }
        for (int i = 0; i < MESSAGES; i++) {
            JsonNode ack = a.expect("ack");
            assertEquals(i, ack.get("id").asInt(), "acks come back in frame order");
            JsonNode m = b.expect("message");
            assertEquals(i, m.get("body").asInt(), "message " + i + " out of order");
            assertEquals(ack.get("mid").asText(), m.get("mid").asText());
        }
    }

    @ParameterizedTest
    @CsvSource({"WEBSOCKET", "TCP"})
    void roomMessagesFromOneSenderArriveInOrderAtEveryMember(Transport publisherTransport) {
        String room = "order-room-" + publisherTransport;
        TestClient publisher = gateway.login(publisherTransport, "pub-" + publisherTransport);
        List<TestClient> members = List.of(gateway.login(Transport.WEBSOCKET, "m1-" + publisherTransport),
                gateway.login(Transport.TCP, "m2-" + publisherTransport),
                gateway.login(Transport.WEBSOCKET, "m3-" + publisherTransport));
        for (TestClient m : members) {
            m.sendFields("type", "join", "room", room);
            m.until("ack");
        }
        publisher.sendFields("type", "join", "room", room);
        publisher.until("ack");
        for (int i = 0; i < MESSAGES; i++) {
            publisher.sendFields("type", "publish", "room", room, "body", i, "id", i);
        }
        for (int i = 0; i < MESSAGES; i++) {
            assertEquals(3, publisher.expect("ack").get("recipients").asInt());
        }
        for (TestClient m : members) {
            int next = 0;
            while (next < MESSAGES) {
                JsonNode n = m.next();
                if (!"message".equals(n.get("type").asText())) {
                    continue; // joined frames of later members
                }
                assertEquals(next, n.get("body").asInt());
                next++;
            }
        }
    }
}
