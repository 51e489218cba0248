package io.chatgateway.server;

import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConnectionLimitTest {

    @Test
    void refusesTheConnectionAboveTheLimitOnEitherTransportWithServerBusy() {
        // The cap on unauthenticated connections defaults to a quarter of the limit (here 1): the refused WebSocket
        // connection, not yet closed on the gateway's side, could then get the TCP one refused by the cap instead of
        // the limit under test. Raise the cap to the limit itself.
        try (TestServer gateway = TestServer.start(Map.of(Setting.MAX_CONNECTIONS, "2",
                Setting.MAX_UNAUTHENTICATED_CONNECTIONS, "2"))) {
            TestClient a = gateway.login(Transport.TCP, "limit-a");
            gateway.login(Transport.WEBSOCKET, "limit-b");

            TestClient ws = gateway.connect(Transport.WEBSOCKET);
            ws.expectError("server_busy");
            assertEquals(1013, ws.awaitClose(TestClient.WAIT));

            TestClient tcp = gateway.connect(Transport.TCP);
            tcp.expectError("server_busy");
            tcp.awaitClose(TestClient.WAIT);

            assertEquals(2, gateway.server().gateway().connections().size());
            assertEquals(2, gateway.server().gateway().metrics().rejectedConnections());

            a.close();
            TestServer.await("a slot frees up", () -> gateway.server().gateway().connections().size() == 1);
            gateway.login(Transport.TCP, "limit-c");
        }
    }
}
