package io.chatgateway.server;

import io.chatgateway.protocol.KickReason;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Heartbeat and auth timeouts with short configured values (whole seconds, as the settings take them). */
class TimeoutTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void kicksASilentConnectionWithIdle(Transport transport) {
        try (TestServer gateway = TestServer.start(Map.of(Setting.HEARTBEAT_SECONDS, "1"))) {
            TestClient c = gateway.login(transport, "silent");
            assertEquals(1, gateway.server().gateway().connections().size());
            assertEquals("idle", c.expect("kicked").get("reason").asText());
            int code = c.awaitClose(TestClient.WAIT);
            if (transport == Transport.WEBSOCKET) {
                assertEquals(4002, code);
            }
            TestServer.await("the idle connection is removed",
                    () -> gateway.server().gateway().connections().size() == 0);
            assertEquals(1, gateway.server().gateway().metrics().kicks(KickReason.IDLE));
        }
    }

    @Test
    void keepsAConnectionAliveThatSendsWebSocketPingsOrPingFrames() throws InterruptedException {
        try (TestServer gateway = TestServer.start(Map.of(Setting.HEARTBEAT_SECONDS, "1"))) {
            WsClient wsPinger = (WsClient) gateway.login(Transport.WEBSOCKET, "ws-pinger");
            TestClient framePinger = gateway.login(Transport.TCP, "frame-pinger");
            for (int i = 0; i < 8; i++) {
                Thread.sleep(300); // the client's own heartbeat cadence: well under the 1 s interval
                wsPinger.sendPing();
                framePinger.sendFields("type", "ping", "id", i);
                framePinger.expect("pong");
            }
            assertTrue(wsPinger.isOpen());
            assertTrue(framePinger.isOpen());
            wsPinger.sendFields("type", "ping", "id", "still-here");
            assertEquals("still-here", wsPinger.expect("pong").get("id").asText());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void closesAConnectionThatDoesNotAuthenticateInTime(Transport transport) {
        try (TestServer gateway = TestServer.start(Map.of(Setting.AUTH_TIMEOUT_SECONDS, "1"))) {
            TestClient c = gateway.connect(transport);
            c.expectError("unauthenticated");
            int code = c.awaitClose(Duration.ofSeconds(10));
            if (transport == Transport.WEBSOCKET) {
                assertEquals(1008, code);
            }
            TestServer.await("the connection is removed", () -> gateway.server().gateway().connections().size() == 0);
        }
    }
}
