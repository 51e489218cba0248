package io.chatgateway.server.frontdoor;

import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.RawWsClient;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * max-unauthenticated-connections over real sockets: connections count from accept until they authenticate or
 * close, on both ports together, so silent sockets hold at most the cap and can never fill max-connections.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnauthenticatedCapTest {

    @Test
    void silentSocketsHoldAtMostTheCapSoTheyCannotFillMaxConnectionsOrPushOutAuthenticatedClients() {
        try (TestServer gateway = TestServer.start(Map.of(Setting.MAX_CONNECTIONS, "6",
                Setting.MAX_UNAUTHENTICATED_CONNECTIONS, "2", Setting.AUTH_TIMEOUT_SECONDS, "2"))) {
            // Three clients authenticate one after another: each one's slot is free again once it has.
            List<TestClient> users = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                users.add(gateway.login(i % 2 == 0 ? Transport.TCP : Transport.WEBSOCKET, "user-" + i));
            }
            assertEquals(0, gateway.server().gateway().admission().unauthenticated().count());

            // Silent sockets on both ports: a TCP one that never sends auth, a WebSocket port one that never sends
            // its request (not a registered connection at all, yet it counts).
            TcpClient silentTcp = gateway.tcpFrom("127.0.0.9");
            Socket silentWs = TcpClient.open("127.0.0.9", "127.0.0.1", gateway.httpPort(), 0);
            TestServer.await("both silent sockets are counted",
                    () -> gateway.server().gateway().admission().unauthenticated().count() == 2);

            // The cap is reached: more silent sockets are refused at accept although max-connections has room.
            for (int i = 0; i < 3; i++) {
                TcpClient more = gateway.tcpFrom("127.0.0.9");
                more.expectError("server_busy");
                more.awaitClose(TestClient.WAIT);
                RawWsClient ws = gateway.rawWs("127.0.0.9", null, null, Map.of());
                assertEquals(503, ws.status(), ws.head());
            }
            assertEquals(6, gateway.server().gateway().metrics().refused(RefusalReason.UNAUTHENTICATED));
            assertTrue(gateway.server().gateway().connections().size() <= 4,
                    "silent sockets never filled max-connections: " + gateway.server().gateway().connections().size());

            // The authenticated clients were not touched.
            for (TestClient u : users) {
                u.sendFields("type", "ping", "id", 1);
                u.expect("pong");
            }

            // The auth timeout closes the silent sockets and frees the cap: a client that authenticates gets in.
            silentTcp.awaitClose(TestClient.WAIT);
            TestServer.await("the silent sockets are gone",
                    () -> gateway.server().gateway().admission().unauthenticated().count() == 0);
            gateway.login(Transport.TCP, "late");
            try {
                silentWs.close();
            } catch (java.io.IOException ignored) {
                // closed
            }
        }
    }
}
