package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Short runs of every scenario against a real gateway started in this JVM on ephemeral ports. They check that the
 * bench's accounting adds up against a correct gateway (everything acknowledged is delivered, once, in order) and
 * that its outputs are written; they never assert speed.
 */
@Timeout(120)
class EndToEndTest {
    private TestServer server;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    private void startGateway(Map<Setting, String> overrides) {
        server = TestServer.start(overrides);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String ws() {
        return "ws://127.0.0.1:" + server.httpPort() + "/ws";
    }

    private String tcp() {
        return "tcp://127.0.0.1:" + server.tcpPort();
    }

    private Result bench(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--quiet");
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Result r = Bench.run(a, out, out);
        return r;
    }

    private String printed() {
        return output.toString(StandardCharsets.UTF_8);
    }

    @Test
    void refusalsCountsTheGatewaysServerBusyAnswersOnBothTransports() throws Exception {
        startGateway(Map.of(Setting.CONNECT_RATE_PER_IP, "1"));
        for (String target : new String[] {ws(), tcp()}) {
            long before = server.server().gateway().metrics().refused(io.chatgateway.metrics.RefusalReason.ADDRESS_RATE);
            Result r = bench("refusals", "--target", target, "--connections", "4", "--warmup", "0s",
                    "--duration", "2s");
            assertTrue(r.passed(), printed());
            long refused = ((Number) r.metrics.get("refused")).longValue();
            long admitted = ((Number) r.metrics.get("admitted")).longValue();
            assertTrue(refused >= 5, "refused " + refused + "\n" + printed());
            assertTrue(admitted <= 4, "a rate of 1/s with a burst of 2 lets at most 4 in over 2 s: " + admitted);
            assertEquals(0L, ((Number) r.metrics.get("closed_without_answer")).longValue());
            long counted = server.server().gateway().metrics().refused(io.chatgateway.metrics.RefusalReason.ADDRESS_RATE)
                    - before;
            // The bench counts the answers within its window; the gateway also those in flight at either edge of it:
            // at most one per connection slot (4) at the start and one at the end.
            assertTrue(counted >= refused && counted <= refused + 2 * 4, "gateway " + counted + ", bench " + refused);
        }
    }

    @Test
    void directMessagesOverWebSocketAreAllDeliveredOnceAndInOrder() throws Exception {
        startGateway(Map.of());
        Result r = bench("direct", "--target", ws(), "--connections", "20", "--rate", "400", "--warmup", "0s",
                "--duration", "1s", "--connect-rate", "0");
        assertTrue(r.passed(), printed());
        long sent = r.counter("sent");
        assertTrue(sent >= 300, "sent " + sent + "\n" + printed());
        assertEquals(sent, r.counter("acks"));
        assertEquals(sent, r.counter("ack_recipients"));
        assertEquals(sent, r.counter("unique"));
        assertEquals(0, r.counter("duplicates"));
        assertEquals(0, r.counter("out_of_order"));
        assertEquals(20, r.counter("connected"));
        assertEquals(r.counter("measured_received"), r.histograms().get("latency").getTotalCount());
        assertTrue(printed().contains("result: PASSED"), printed());
    }

    @Test
    void theWarmUpShowsItsLatenciesButOnlyTheMeasuredWindowCountsAndTheBenchTimesItsOwnTicks() throws Exception {
        startGateway(Map.of());
        Result r = bench("direct", "--target", ws(), "--connections", "20", "--rate", "400", "--warmup", "2s",
                "--duration", "1s", "--connect-rate", "0");
        assertTrue(r.passed(), printed());
        long measured = r.counter("measured_received");
        assertEquals(measured, r.histograms().get("latency").getTotalCount());
        assertTrue(r.counter("unique") >= measured + 600,
                "the warm-up's deliveries are not in the totals\n" + printed());
        assertTrue(r.timeline.stream().anyMatch(p -> p.phase().equals("warmup") && p.latencyCount() > 0 && p.p99() > 0),
                "warm-up seconds show their latencies: " + r.timeline);
        long ticks = r.histograms().get("tick_lateness").getTotalCount();
        // One tick a millisecond per sending loop over the measured second.
        assertTrue(ticks >= 500 && ticks <= 20_000, "ticks " + ticks + "\n" + printed());
        assertTrue(printed().contains("bench's own stalls"), printed());
    }

    @Test
    void directMessagesOverTcpFromTwoProcessesMergeIntoOneResult() throws Exception {
        startGateway(Map.of());
        Result r = bench("direct", "--target", tcp(), "--connections", "20", "--rate", "200", "--warmup", "0s",
                "--duration", "1s", "--processes", "2", "--threads", "1", "--auth", "frame");
        assertTrue(r.passed(), printed());
        assertEquals(20, r.counter("connected"));
        assertTrue(r.counter("sent") >= 150, printed());
        assertEquals(r.counter("sent"), r.counter("unique"));
        assertEquals(2, r.environment.get("processes"));
    }

    @Test
    void roomPublishesFanOutToEveryOtherMember() throws Exception {
        startGateway(Map.of());
        Result r = bench("room", "--target", ws(), "--rooms", "2", "--members", "10", "--publishers", "2",
                "--rate", "40", "--warmup", "0s", "--duration", "1s", "--auth", "handshake");
        assertTrue(r.passed(), printed());
        long publishes = r.counter("sent");
        assertTrue(publishes >= 30, printed());
        assertEquals(publishes * 9, r.counter("ack_recipients"), "each publish reaches the 9 other members");
        assertEquals(publishes * 9, r.counter("unique"));
    }

    @Test
    void roomRunsAgainstAProductionGatewayAreGrantedTheirRoomsByTheTokens() throws Exception {
        String secret = "bench-end-to-end-secret-0123456789abcdef0123456789";
        startGateway(Map.of(Setting.JWT_SECRET, secret, Setting.MAX_CONNECTIONS_PER_IP, "0",
                Setting.CONNECT_RATE_PER_IP, "0"));
        Result r = bench("room", "--target", ws(), "--rooms", "2", "--members", "5", "--publishers", "1",
                "--rate", "20", "--warmup", "0s", "--duration", "1s", "--jwt-secret", secret);
        assertTrue(r.passed(), "room-access=granted: each join needs the token's rooms claim\n" + printed());
        assertEquals(10, r.counter("connected"));
        assertEquals(r.counter("sent") * 4, r.counter("unique"), printed());
    }

    @Test
    void roomMembersDroppedAndBackWithSinceMissNothing(@TempDir Path out) throws Exception {
        startGateway(Map.of());
        Result r = bench("room", "--target", ws(), "--rooms", "3", "--members", "8", "--publishers", "2",
                "--rate", "150", "--reconnect-rate", "30", "--warmup", "0s", "--duration", "2s",
                "--connect-rate", "0", "--out", out.toString());
        assertTrue(r.passed(), printed());
        long reconnects = r.counter("reconnects");
        // About 30/s for 2 s; fewer when clients come back slowly (a client still coming back is passed over).
        assertTrue(reconnects >= 20, "about 30/s for 2 s: " + reconnects + "\n" + printed());
        assertEquals(reconnects, r.counter("room_recovered"), "every room came back with recovered: true");
        assertEquals(reconnects, r.counter("inbox_recovered"), "and every inbox");
        assertEquals(0, r.counter("room_not_recovered"));
        assertEquals(reconnects, r.histograms().get("reconnect_latency").getTotalCount());
        assertEquals(0, r.counter("offset_lost"));
        assertEquals(0, r.counter("acked_lost"));
        assertEquals(0, r.counter("offset_duplicates") + r.counter("duplicates"));
        assertEquals(0, r.counter("offset_out_of_order") + r.counter("out_of_order"));
        assertTrue(r.counter("acked_expected") > 0, printed());
        assertEquals(r.counter("acked_expected"), r.counter("acked_delivered"), printed());
        JsonNode json = Cluster.JSON.readTree(out.resolve("results.json").toFile());
        JsonNode latency = json.get("histograms_ms").get("reconnect_latency");
        assertEquals(reconnects, latency.get("count").asLong(), json.toString());
        assertTrue(latency.get("p99.9").asDouble() > 0 && latency.has("max"), latency.toString());
        assertTrue(printed().contains("drop to recovered: true"), printed());
    }

    @Test
    void directPartnersResetAndBackWithSinceGetEveryAcknowledgedMessage() throws Exception {
        startGateway(Map.of());
        Result r = bench("direct", "--target", tcp(), "--connections", "24", "--rate", "300",
                "--reconnect-rate", "30", "--drop", "rst", "--warmup", "0s", "--duration", "2s",
                "--connect-rate", "0");
        assertTrue(r.passed(), printed());
        long reconnects = r.counter("reconnects");
        assertTrue(reconnects >= 20, printed());
        assertEquals(reconnects, r.counter("inbox_recovered"), printed());
        assertEquals(0, r.counter("offset_lost") + r.counter("acked_lost"));
        assertTrue(r.counter("acked_expected") > 400, printed());
        assertEquals(r.counter("acked_expected"), r.counter("acked_delivered"), printed());
    }

    @Test
    void connectionsAreHeldAndTheReportIsWritten(@TempDir Path out) throws Exception {
        startGateway(Map.of());
        Result r = bench("connections", "--target", ws(), "--connections", "50", "--connect-rate", "500",
                "--duration", "1s", "--settle", "0s", "--server-pid", Long.toString(ProcessHandle.current().pid()),
                "--out", out.toString());
        assertTrue(r.passed(), printed());
        assertEquals(50L, r.metric("held_after_idle"));
        assertEquals(50, r.histograms().get("connect_latency").getTotalCount());
        JsonNode json = Cluster.JSON.readTree(out.resolve("results.json").toFile());
        assertEquals("connections", json.get("scenario").asText());
        assertTrue(json.get("passed").asBoolean());
        assertTrue(json.get("memory").get("with_connections").get("heap_used_bytes").asLong() > 0, json.toString());
        assertTrue(json.get("memory").get("with_connections").get("rss_bytes").asLong() > 0, json.toString());
        assertTrue(json.get("environment").has("load_start"));
        String hgrm = Files.readString(out.resolve("connect_latency.hgrm"));
        assertTrue(hgrm.contains("#[Max     ="), hgrm);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("latency by percentile"), "charts are inline SVG");
        assertTrue(!html.contains("http://") || html.indexOf("http://") == html.indexOf("http://www.w3.org/2000/svg"),
                "the report loads nothing from the network");
    }

    @Test
    void capacityStepsUpUntilTheLimitOrTheMaximum() throws Exception {
        startGateway(Map.of(Setting.SESSIONS, "multi", Setting.MAX_SESSIONS_PER_USER, "10"));
        Result r = bench("capacity", "--target", ws(), "--start", "10", "--step", "10", "--max", "20",
                "--publishers", "2", "--samples", "3", "--interval", "100ms", "--limit", "5s",
                "--connections-per-user", "5", "--server-pid", Long.toString(ProcessHandle.current().pid()));
        assertTrue(r.passed(), printed());
        assertEquals(20, r.metric("max_clients_under_limit"));
        // Each step says what a round cost the server (here this JVM) and the clients, and the summary which side was busier.
        for (Object o : (java.util.List<?>) r.extra.get("steps")) {
            Map<?, ?> step = (Map<?, ?>) o;
            assertTrue((double) step.get("server_cpu_ms_per_round") > 0, step.toString());
            assertTrue((double) step.get("bench_cpu_ms_per_round") > 0, step.toString());
        }
        assertTrue(java.util.List.of("server", "clients").contains(r.extra.get("busier_side")), printed());
        assertTrue(printed().contains("busier side at the last step"), printed());
        // A warm-up round and step 1: 2 publishers x 3 messages to 9 others each; step 2: to 19 others.
        assertEquals(2 * (2 * 3 * 9) + 2 * 3 * 19, r.counter("unique"));
        assertEquals(2, ((java.util.List<?>) r.extra.get("steps")).size());
    }

    @Test
    void capacitySaysWhatToDoWhenTheGatewayReplacesSessions() throws Exception {
        startGateway(Map.of());
        Result r = bench("capacity", "--target", ws(), "--start", "10", "--step", "10", "--max", "10",
                "--publishers", "2", "--samples", "1", "--interval", "100ms", "--connections-per-user", "5");
        assertTrue(!r.passed(), printed());
        assertTrue(printed().contains("sessions=multi"), printed());
    }

    @Test
    void aBadCommandLineIsAUsageErrorThatSaysWhy() {
        Options.UsageException e = org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> bench("direct", "--connections", "3"));
        assertTrue(e.getMessage().contains("even"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> bench("direct", "--connections", "100000", "--processes", "1"));
        assertTrue(e.getMessage().contains("ulimit -n"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class, () -> bench("nosuch"));
        assertTrue(e.getMessage().contains("unknown scenario"), e.getMessage());
    }
}
