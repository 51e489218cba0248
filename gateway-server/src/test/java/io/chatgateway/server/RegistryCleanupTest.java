package io.chatgateway.server;

import io.chatgateway.Gateway;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Whatever ends a connection, the registry and the rooms end up holding nothing of it. */
class RegistryCleanupTest {

    @Test
    void registryAndRoomsAreEmptyAfterEveryClientIsGoneHoweverItLeft() {
        try (TestServer gateway = TestServer.start(Map.of(Setting.SESSIONS, "multi", Setting.MAX_SESSIONS_PER_USER, "10"))) {
            Gateway engine = gateway.server().gateway();
            List<TestClient> clients = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                Transport t = i % 2 == 0 ? Transport.WEBSOCKET : Transport.TCP;
                TestClient c = gateway.login(t, "cleanup-" + (i % 7));
                c.sendFields("type", "join", "room", "cleanup-room-" + (i % 5));
                c.until("ack");
                clients.add(c);
            }
            // A few that never authenticate, and one mid-handshake-free raw TCP socket.
            TestClient anonymousWs = gateway.connect(Transport.WEBSOCKET);
            TestClient anonymousTcp = gateway.connect(Transport.TCP);
            TestServer.await("all registered", () -> engine.connections().size() == 62);
            assertEquals(7, engine.connections().userCount());
            assertEquals(5, engine.rooms().size());

            for (int i = 0; i < clients.size(); i++) {
                TestClient c = clients.get(i);
                switch (i % 3) {
                    case 0 -> c.close(); // orderly close (WebSocket close handshake / FIN)
                    case 1 -> {
                        if (c instanceof WsClient ws) {
                            ws.abort(); // no close handshake
                        } else {
                            ((TcpClient) c).abort(); // RST
                        }
                    }
                    default -> {
                        c.sendFields("type", "leave", "room", "cleanup-room-" + (i % 5));
                        c.until("ack");
                        c.close();
                    }
                }
            }
            anonymousWs.close();
            ((TcpClient) anonymousTcp).abort();

            TestServer.await("registry empty", () -> engine.connections().size() == 0);
            assertEquals(0, engine.connections().userCount());
            assertEquals(0, engine.connections().authenticatedCount());
            assertEquals(0, engine.rooms().size());
            assertFalse(engine.connections().iterator().hasNext());
            assertEquals(engine.statistics().totalOpened(), engine.statistics().totalClosed());
        }
    }
}
