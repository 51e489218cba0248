package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A gateway on io_uring over real sockets, both ports: authenticate, join, publish, a direct message. Skipped, with
 * the kernel's reason, where io_uring is unavailable (kernel before 5.14, {@code kernel.io_uring_disabled}, a
 * seccomp profile that forbids it).
 */
@Timeout(60)
class IoUringTransportTest {
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring is unavailable here: " + IoUring.unavailabilityCause());
        gateway = TestServer.start(Map.of(Setting.TRANSPORT, "io_uring"));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void servesWebSocketAndTcpClientsOnIoUring() {
        assertEquals("io_uring", gateway.server().transportName());
        TestClient ws = gateway.login(Transport.WEBSOCKET, "uring-ws");
        TestClient tcp = gateway.login(Transport.TCP, "uring-tcp");

        ws.send("{\"type\":\"join\",\"room\":\"uring-room\",\"id\":1}");
        last(ws.until("ack"));
        tcp.send("{\"type\":\"join\",\"room\":\"uring-room\",\"id\":2}");
        last(tcp.until("ack"));

        tcp.send("{\"type\":\"publish\",\"room\":\"uring-room\",\"body\":{\"n\":1},\"id\":3}");
        JsonNode fromTcp = last(ws.until("message"));
        assertEquals("uring-tcp", fromTcp.get("from").asText());
        assertEquals(1, fromTcp.get("body").get("n").asInt());

        ws.send("{\"type\":\"send\",\"to\":\"uring-tcp\",\"body\":\"over io_uring\",\"id\":4}");
        assertEquals(1, last(ws.until("ack")).get("recipients").asInt());
        assertEquals("over io_uring", last(tcp.until("message")).get("body").asText());
    }

    private static JsonNode last(List<JsonNode> frames) {
        return frames.get(frames.size() - 1);
    }
}
