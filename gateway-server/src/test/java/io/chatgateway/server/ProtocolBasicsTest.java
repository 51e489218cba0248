package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ids, pings, bad input and frame limits, the same on both transports. */
class ProtocolBasicsTest {
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.MAX_FRAME_BYTES, "2048", Setting.MAX_MALFORMED_FRAMES, "100"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void echoesIdsWithTheirJsonType(Transport transport) {
        TestClient c = gateway.login(transport, "ids-" + transport);
        c.send("{\"type\":\"ping\",\"id\":0}");
        JsonNode zero = c.expect("pong").get("id");
        assertTrue(zero.isIntegralNumber() && zero.asInt() == 0, zero::toString);
        c.send("{\"type\":\"ping\",\"id\":\"7\"}");
        JsonNode seven = c.expect("pong").get("id");
        assertTrue(seven.isTextual() && seven.asText().equals("7"), seven::toString);
        c.send("{\"type\":\"ping\",\"id\":2.5}");
        assertEquals(2.5, c.expect("pong").get("id").asDouble());
        c.send("{\"type\":\"ping\"}");
        assertFalse(c.expect("pong").has("id"));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void answersFramesBeforeAuthWithUnauthenticated(Transport transport) {
        TestClient c = gateway.connect(transport);
        c.send("{\"type\":\"send\",\"to\":\"x\",\"body\":1,\"id\":3}");
        assertEquals(3, c.expectError("unauthenticated").get("id").asInt());
        c.auth("late-" + transport);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void answersBadInputWithTypedErrorsAndStaysUsable(Transport transport) {
        TestClient c = gateway.login(transport, "bad-" + transport);
        c.send("this is not json");
        assertFalse(c.expectError("bad_request").has("id"));
        c.send("[1,2,3]");
        c.expectError("bad_request");
        c.send("{\"type\":\"teleport\",\"id\":\"t\"}");
        assertEquals("t", c.expectError("unknown_type").get("id").asText());
        c.send("{\"id\":4}");
        assertEquals(4, c.expectError("bad_request").get("id").asInt());
        c.send("{\"type\":\"send\",\"to\":[\"x\"],\"body\":1,\"id\":5}");
        assertEquals(5, c.expectError("bad_request").get("id").asInt());
        c.send("{\"type\":\"join\",\"id\":6}");
        assertEquals(6, c.expectError("bad_request").get("id").asInt());
        c.send("{\"type\":\"ping\",\"id\":{\"no\":1}}");
        c.expectError("bad_request");
        c.send("{\"type\":\"ping\",\"id\":8,\"unknown\":{\"ignored\":true}}");
        assertEquals(8, c.expect("pong").get("id").asInt());
    }

    @Test
    void closesAfterTooManyMalformedFrames() {
        try (TestServer strict = TestServer.start(Map.of(Setting.MAX_MALFORMED_FRAMES, "3"))) {
            TestClient c = strict.login(Transport.WEBSOCKET, "spammer");
            for (int i = 0; i < 4; i++) {
                c.send("{oops");
                c.expectError("bad_request");
            }
            assertEquals(1008, c.awaitClose(TestClient.WAIT));
        }
    }

    @Test
    void tcpAcceptsFrameOfExactlyTheMaximumAndRejectsLargerWithErrorThenClose() {
        TcpClient c = (TcpClient) gateway.login(Transport.TCP, "big-tcp");
        String head = "{\"type\":\"ping\",\"id\":1,\"pad\":\"";
        String tail = "\"}";
        c.send(head + "x".repeat(2048 - head.length() - tail.length()) + tail);
        c.expect("pong");
        c.send(head + "x".repeat(2049 - head.length() - tail.length()) + tail);
        c.expectError("frame_too_large");
        c.awaitClose(TestClient.WAIT);
    }

    @Test
    void tcpRejectsAHugeLengthPrefixWithoutWaitingForTheBytes() {
        TcpClient c = gateway.tcp();
        c.sendRaw(new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, '{'});
        c.expectError("frame_too_large");
        c.awaitClose(TestClient.WAIT);
    }

    @Test
    void tcpAnswersInvalidUtf8WithBadRequest() {
        TcpClient c = (TcpClient) gateway.login(Transport.TCP, "utf8");
        byte[] good = "{\"type\":\"ping\",\"id\":1,\"x\":\"??\"}".getBytes(StandardCharsets.UTF_8);
        int at = new String(good, StandardCharsets.UTF_8).indexOf("??");
        good[at] = (byte) 0xC3;
        good[at + 1] = (byte) 0x28;
        c.sendFrame(good);
        c.expectError("bad_request");
        c.sendFields("type", "ping", "id", 2);
        c.expect("pong");
    }
}
