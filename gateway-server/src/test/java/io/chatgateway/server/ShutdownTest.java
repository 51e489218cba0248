package io.chatgateway.server;

import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShutdownTest {

    @Test
    void gracefulStopKicksEveryConnectionWithShutdownAndStopsListening() {
        TestServer gateway = TestServer.start();
        int tcpPort = gateway.tcpPort();
        TestClient ws = gateway.login(Transport.WEBSOCKET, "bye-ws");
        TestClient tcp = gateway.login(Transport.TCP, "bye-tcp");
        TestClient anonymous = gateway.connect(Transport.TCP);
        TestServer.await("the server has registered all three",
                () -> gateway.server().gateway().connections().size() == 3);

        long started = System.nanoTime();
        gateway.server().stop();
        assertTrue(System.nanoTime() - started < 6_000_000_000L, "stop is bounded by the shutdown timeout");

        assertEquals("shutdown", ws.expect("kicked").get("reason").asText());
        assertEquals(1001, ws.awaitClose(TestClient.WAIT));
        assertEquals("shutdown", tcp.expect("kicked").get("reason").asText());
        tcp.awaitClose(TestClient.WAIT);
        assertEquals("shutdown", anonymous.expect("kicked").get("reason").asText());
        assertEquals(0, gateway.server().gateway().connections().size());
        assertThrows(ConnectException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", tcpPort), 2000);
            }
        });
        gateway.close(); // idempotent
    }
}
