package io.chatgateway.server.frontdoor;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.RawWsClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** allowed-origins over real sockets: the JDK's WebSocket client where it is allowed, a raw one to read a 403. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OriginTest {
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.ALLOWED_ORIGINS, "https://chat.example.com, self"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void letsAListedOriginConnect() {
        WsClient c = WsClient.connect(gateway.wsUri("token=listed"), Map.of("Origin", "https://chat.example.com"));
        try {
            assertEquals("listed", c.expect("welcome").get("user").asText());
        } finally {
            c.close();
        }
    }

    @Test
    void letsTheGatewaysOwnPagesConnect() {
        String self = "http://127.0.0.1:" + gateway.httpPort();
        WsClient c = WsClient.connect(gateway.wsUri("token=self"), Map.of("Origin", self));
        try {
            assertEquals("self", c.expect("welcome").get("user").asText());
        } finally {
            c.close();
        }
    }

    @Test
    void letsAClientWithoutOriginConnect() {
        TestClient c = gateway.ws();
        assertEquals("no-origin", c.auth("no-origin").get("user").asText());
    }

    @Test
    void refusesAnOriginNotListedWith403BeforeAnyConnectionExists() {
        long before = gateway.server().gateway().metrics().refused(RefusalReason.ORIGIN);
        int connections = gateway.server().gateway().connections().size();
        RawWsClient c = gateway.rawWs(null, null, "token=evil", Map.of("Origin", "https://evil.example"));
        assertEquals(403, c.status(), c.head());
        assertEquals("close", c.header("Connection"));
        String body = c.body();
        assertTrue(body.contains("\"forbidden\""), body);
        assertFalse(c.isOpen(), "closed after the 403");
        assertEquals(connections, gateway.server().gateway().connections().size(), "no connection was registered");
        assertEquals(before + 1, gateway.server().gateway().metrics().refused(RefusalReason.ORIGIN));
    }

    @Test
    void refusesTheOpaqueNullOriginAndAnotherPortOfTheSameHost() {
        for (String origin : new String[] {"null", "http://127.0.0.1:1", "https://chat.example.com:444"}) {
            RawWsClient c = gateway.rawWs(null, null, null, Map.of("Origin", origin));
            assertEquals(403, c.status(), origin + ": " + c.head());
        }
        JsonNode ok = gateway.rawWsLogin("https://CHAT.example.com:443");
        assertEquals("welcome", ok.path("type").asText(), "case and the default port do not matter");
    }
}
