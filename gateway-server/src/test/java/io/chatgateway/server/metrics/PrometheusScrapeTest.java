package io.chatgateway.server.metrics;

import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real scrape of a gateway that served real traffic, parsed strictly as Prometheus text. */
class PrometheusScrapeTest {
    private static final String USER_A = "metrics-user-alpha";
    private static final String USER_B = "metrics-user-beta";
    private static final String ROOM = "metrics-secret-room";
    private static TestServer gateway;
    private static Map<String, PrometheusText.Family> families;
    private static String body;

    @BeforeAll
    static void serveTrafficThenScrape() {
        gateway = TestServer.start();
        TestClient a = gateway.login(Transport.WEBSOCKET, USER_A);
        TestClient b = gateway.login(Transport.TCP, USER_B);
        a.sendFields("type", "send", "id", 1, "to", USER_B, "body", "hi");
        a.expect("ack");
        b.expect("message");
        for (TestClient c : new TestClient[] {a, b}) {
            c.sendFields("type", "join", "id", 2, "room", ROOM);
            c.until("ack");
        }
        a.until("joined"); // b's join, written from b's event loop, may come after anything of a's
        a.sendFields("type", "publish", "id", 3, "room", ROOM, "body", "to the room");
        a.until("ack");
        b.until("message");
        a.sendFields("type", "send", "id", 4, "to", "nobody-online", "body", "x");
        a.expectError("user_offline");
        a.send("this is not json");
        a.expectError("bad_request");
        TestClient stranger = gateway.connect(Transport.WEBSOCKET);
        stranger.sendFields("type", "ping");
        stranger.expectError("unauthenticated");

        HttpResponse<String> res = new HttpTestClient(gateway.httpPort()).get("/metrics");
        assertEquals(200, res.statusCode());
        body = res.body();
        families = PrometheusText.parse(body);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /**
     * A family by its base name. The 0.0.4 text format names a counter's family with its {@code _total} suffix
     * (as client_java 1.x writes it); OpenMetrics without it. Both are accepted.
     */
    private static PrometheusText.Family family(String name) {
        PrometheusText.Family f = families.containsKey(name) ? families.get(name) : families.get(name + "_total");
        assertNotNull(f, "family " + name + " missing from the scrape");
        return f;
    }

    private static double value(String family, String sample, String... labels) {
        PrometheusText.Family f = family(family);
        for (PrometheusText.Sample s : f.samples) {
            if (!s.name().equals(sample)) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (match) {
                return s.value();
            }
        }
        throw new AssertionError("no sample " + sample + " " + String.join(",", labels) + " in " + family);
    }

    @Test
    void exposesCurrentConnectionsByTransportUsersAndRooms() {
        assertEquals("gauge", family("gateway_connections").type);
        assertEquals(2, value("gateway_connections", "gateway_connections", "transport", "websocket"));
        assertEquals(1, value("gateway_connections", "gateway_connections", "transport", "tcp"));
        assertEquals(2, value("gateway_connections_authenticated", "gateway_connections_authenticated"));
        assertEquals(2, value("gateway_users", "gateway_users"));
        assertEquals(1, value("gateway_rooms", "gateway_rooms"));
        assertEquals(1, value("gateway_ready", "gateway_ready"));
    }

    @Test
    void countersMatchTheTrafficExactlyOnce() {
        assertEquals("counter", family("gateway_frames_in").type);
        assertEquals(1, value("gateway_frames_in", "gateway_frames_in_total", "type", "publish"));
        assertEquals(2, value("gateway_frames_in", "gateway_frames_in_total", "type", "send"));
        assertEquals(2, value("gateway_frames_in", "gateway_frames_in_total", "type", "join"));
        assertEquals(1, value("gateway_frames_in", "gateway_frames_in_total", "type", "invalid"));
        assertEquals(2, value("gateway_frames_out", "gateway_frames_out_total", "type", "welcome"));
        assertEquals(1, value("gateway_errors", "gateway_errors_total", "code", "user_offline"));
        assertEquals(1, value("gateway_errors", "gateway_errors_total", "code", "bad_request"));
        assertEquals(1, value("gateway_errors", "gateway_errors_total", "code", "unauthenticated"));
        assertEquals(2, value("gateway_deliveries", "gateway_deliveries_total"),
                "the direct message and the room message (announcements are frames, not deliveries)");
        assertEquals(1, value("gateway_frames_out", "gateway_frames_out_total", "type", "joined"));
        assertEquals(2, value("gateway_connections_opened", "gateway_connections_opened_total", "transport", "websocket"));
        assertEquals(0, value("gateway_kicks", "gateway_kicks_total", "reason", "slow_consumer"));
        assertTrue(value("gateway_payload_received_bytes", "gateway_payload_received_bytes_total") > 0);
        assertTrue(value("gateway_payload_sent_bytes", "gateway_payload_sent_bytes_total") > 0);
        for (String f : new String[] {"gateway_write_failures", "gateway_evictions", "gateway_auth_failures",
            "gateway_connections_rejected", "gateway_connections_closed"}) {
            assertEquals("counter", family(f).type, f);
        }
    }

    @Test
    void countsHistoryAndRecoveries() {
        // The direct message is kept in b's inbox, the room message in the room's history.
        assertEquals(2, value("gateway_history_entries", "gateway_history_entries"));
        assertTrue(value("gateway_history_memory_bytes", "gateway_history_memory_bytes") > 2 * 32,
                "two frames and their bookkeeping");
        assertEquals(0, value("gateway_history_evictions", "gateway_history_evictions_total", "reason", "budget"));
        assertEquals(0, value("gateway_recoveries", "gateway_recoveries_total", "kind", "room", "result", "failed"));
        assertEquals("counter", family("gateway_recoveries").type);
    }

    @Test
    void includesJvmProcessAndNettyMemory() {
        for (String f : new String[] {"jvm_memory_used_bytes", "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads",
            "process_cpu_usage", "process_uptime_seconds", "process_files_open_files", "netty_direct_memory_used_bytes",
            "netty_direct_memory_max_bytes", "netty_allocator_memory_used", "netty_eventexecutor_tasks_pending"}) {
            family(f);
        }
        assertTrue(value("netty_direct_memory_used_bytes", "netty_direct_memory_used_bytes") > 0);
        assertTrue(families.get("jvm_memory_used_bytes").samples.stream()
                .anyMatch(x -> "heap".equals(x.labels().get("area")) && x.value() > 0), "heap in use is reported");
    }

    @Test
    void neverLabelsByUserOrRoom() {
        assertFalse(body.contains(USER_A) || body.contains(USER_B) || body.contains(ROOM) || body.contains("nobody-online"),
                "a user id or room name leaked into the metrics");
        Set<String> allowed = Set.of("transport", "reason", "code", "type", "kind", "result");
        for (PrometheusText.Family f : families.values()) {
            if (!f.name.startsWith("gateway_")) {
                continue;
            }
            for (PrometheusText.Sample s : f.samples) {
                assertTrue(allowed.containsAll(s.labels().keySet()), s.toString());
            }
        }
    }

    @Test
    void parserRejectsWhatPrometheusWould() {
        for (String bad : new String[] {"# TYPE x counter\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n", "y 1\n",
            "# TYPE 1x gauge\n1x 1\n", "# TYPE x gauge\nx{a=1} 1\n", "# TYPE x gauge\nx one\n",
            "# TYPE x gauge\nx 1\n# TYPE z gauge\nz 1\nx 2\n", "# TYPE x gauge\nx{a=\"\\q\"} 1\n"}) {
            try {
                PrometheusText.parse(bad);
            } catch (AssertionError expected) {
                continue;
            }
            throw new AssertionError("accepted: " + bad);
        }
    }
}
