package io.chatgateway.server.frontdoor;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.RawWsClient;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * max-connections-per-ip and connect-rate-per-ip over real sockets, told apart by source address (127.0.0.x): past
 * a limit a TCP client gets a server_busy frame and a WebSocket client an HTTP 503, then the gateway closes; another
 * address is unaffected.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AddressLimitTest {

    private static void expectBusyFrame(TcpClient c) {
        JsonNode e = c.expectError("server_busy");
        assertEquals("too many connections, try again later", e.get("message").asText());
        c.awaitClose(TestClient.WAIT);
    }

    private static void expect503(RawWsClient c) {
        assertEquals(503, c.status(), c.head());
        assertEquals("5", c.header("Retry-After"));
        assertEquals("close", c.header("Connection"));
        String body = c.body();
        assertTrue(body.contains("\"server_busy\""), body);
    }

    @Test
    void refusesTheConnectionPastTheLimitOfOneAddressOnBothPortsAndNotAnotherAddress() throws Exception {
        try (TestServer gateway = TestServer.start(Map.of(Setting.MAX_CONNECTIONS_PER_IP, "2"))) {
            GatewayMetrics m = gateway.server().gateway().metrics();
            TcpClient a1 = gateway.tcpFrom("127.0.0.2");
            a1.auth("a1");
            RawWsClient a2 = gateway.rawWs("127.0.0.2", null, "token=a2", Map.of());
            assertEquals(101, a2.status());
            a2.expect("welcome");

            expectBusyFrame(gateway.tcpFrom("127.0.0.2"));
            expect503(gateway.rawWs("127.0.0.2", null, "token=a3", Map.of()));
            assertEquals(2, m.refused(RefusalReason.ADDRESS_CONNECTIONS));
            assertEquals(2, gateway.server().gateway().connections().size(), "the refused were never registered");

            gateway.tcpFrom("127.0.0.3").auth("b1");
            gateway.tcpFrom("127.0.0.3").auth("b2");

            a1.close();
            java.net.InetAddress a = java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
            TestServer.await("a1's slot is free", () -> gateway.server().gateway().admission().addressLimits()
                    .connections(a) == 1);
            gateway.tcpFrom("127.0.0.2").auth("a4");
            // And a1, a2 still work: nothing but the refused connections was touched.
            a2.sendFields("type", "ping", "id", 1);
            a2.expect("pong");
        }
    }

    @Test
    void refusesAnAddressThatConnectsFasterThanTheRateAfterABurstOfTwiceIt() throws Exception {
        try (TestServer gateway = TestServer.start(Map.of(Setting.CONNECT_RATE_PER_IP, "1"))) {
            GatewayMetrics m = gateway.server().gateway().metrics();
            // A burst of 2 (twice the rate); the refill of 1/s adds at most a token during the test.
            int admitted = 0;
            int refused = 0;
            for (int i = 0; i < 6; i++) {
                TcpClient c = gateway.tcpFrom("127.0.0.4");
                c.sendFields("type", "ping", "id", i);
                JsonNode first = c.next();
                if (first.path("code").asText().equals("server_busy")) {
                    refused++;
                    c.awaitClose(TestClient.WAIT);
                } else {
                    assertEquals("unauthenticated", first.path("code").asText(), first.toString());
                    admitted++;
                }
                c.close();
            }
            assertTrue(admitted >= 2 && admitted <= 3, "admitted " + admitted);
            assertEquals(6 - admitted, refused);
            assertEquals(refused, m.refused(RefusalReason.ADDRESS_RATE));

            expect503(gateway.rawWs("127.0.0.4", null, null, Map.of()));
            RawWsClient other = gateway.rawWs("127.0.0.5", null, "token=other", Map.of());
            assertEquals(101, other.status(), "another address has its own rate");

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + gateway.httpPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("gateway_connections_refused_total{reason=\"address_rate\"} "
                    + (double) m.refused(RefusalReason.ADDRESS_RATE)), metrics);
        }
    }
}
