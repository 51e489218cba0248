package io.chatgateway;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayConfigTest {

    private static String rejected(GatewayConfig.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void defaultsMatchTheProtocol() {
        GatewayConfig c = GatewayConfig.builder().build();
        assertEquals(65536, c.maxFrameBytes());
        assertEquals(Duration.ofSeconds(60), c.heartbeat());
        assertEquals(Duration.ofSeconds(10), c.authTimeout());
        assertEquals("/ws", c.webSocketPath());
        assertTrue(c.nodeId().matches("[a-z0-9]{6}"), c.nodeId());
    }

    @Test
    void namesTheBadValueAndWhatWasExpected() {
        assertEquals("maxFrameBytes: 0 (expected: > 0)", rejected(GatewayConfig.builder().maxFrameBytes(0)));
        assertEquals("maxConnections: -1 (expected: > 0)", rejected(GatewayConfig.builder().maxConnections(-1)));
        assertTrue(rejected(GatewayConfig.builder().heartbeat(Duration.ZERO)).startsWith("heartbeat: "));
        assertTrue(rejected(GatewayConfig.builder().nodeId("no spaces")).startsWith("nodeId: "));
        assertTrue(rejected(GatewayConfig.builder().webSocketPath("ws")).startsWith("webSocketPath: "));
        assertTrue(rejected(GatewayConfig.builder().rateLimit(-1, 1)).startsWith("rateLimitPerSecond: "));
        assertTrue(rejected(GatewayConfig.builder().outboundBufferBytes(10)).startsWith("outboundBufferBytes: "));
    }

    @Test
    void toStringIsFitForTheStartupLog() {
        String s = GatewayConfig.builder().nodeId("n1").rateLimit(0, 1).build().toString();
        assertTrue(s.contains("nodeId=n1"), s);
        assertTrue(s.contains("rateLimit=off"), s);
        assertTrue(s.contains("sessions=single"), s);
    }
}
