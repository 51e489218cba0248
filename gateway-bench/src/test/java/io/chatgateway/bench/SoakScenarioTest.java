package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A few seconds of the soak against a real gateway in this JVM: everything it mixes happens (publishes, direct
 * messages, drops and resumes, presence, churn), every message adds up, and the memory samples reach the report.
 */
@Timeout(120)
class SoakScenarioTest {
    private TestServer server;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Result bench(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--quiet");
        return Bench.run(a, new PrintStream(output, true, StandardCharsets.UTF_8),
                new PrintStream(output, true, StandardCharsets.UTF_8));
    }

    private String printed() {
        return output.toString(StandardCharsets.UTF_8);
    }

    @Test
    void soakMixesEverythingAndMissesNothing(@TempDir Path out) throws Exception {
        server = TestServer.start(Map.of());
        String ws = "ws://127.0.0.1:" + server.httpPort() + "/ws";
        Result r = bench("soak", "--target", ws, "--rooms", "3", "--members", "8", "--publishers", "2",
                "--direct-pairs", "2", "--rate", "120", "--reconnect-rate", "10", "--presence-rate", "20",
                "--churn-rate", "10", "--churn-hold", "300ms", "--warmup", "0s", "--duration", "3s",
                "--drain", "20s", "--connect-rate", "0", "--sample-every", "200ms", "--sample-gc", "false",
                // The "gateway" here is this test JVM, bench included, seconds after its start: its RSS grows with
                // the JIT and the heap's first commits, which says nothing about leaks. SoakMemoryTest judges the
                // verdict itself; this run only has to produce and report one.
                "--judge-memory", "false",
                "--server-pid", Long.toString(ProcessHandle.current().pid()), "--out", out.toString());
        assertTrue(r.passed(), printed());
        assertTrue(r.counter("reconnects") >= 10, printed());
        assertTrue(r.counter("room_recovered") > 0 && r.counter("inbox_recovered") > 0, printed());
        assertEquals(0, r.counter("offset_lost") + r.counter("acked_lost"), printed());
        assertEquals(0, r.counter("duplicates") + r.counter("offset_duplicates"), printed());
        assertEquals(0, r.counter("out_of_order") + r.counter("offset_out_of_order"), printed());
        assertTrue(r.counter("acked_expected") > 0, printed());
        if (r.counter("acked_unjudged") == 0) {
            // On a saturated machine a slow resume can be answered recovered: false; its client is then not judged.
            assertEquals(r.counter("acked_expected"), r.counter("acked_delivered"), printed());
        }
        assertTrue(r.counter("inbox_recovered") > 0, "direct partners resume their inboxes\n" + printed());
        // On a busy machine many requests go with a dropped connection before their answer; some must come back.
        assertTrue(r.counter("presence_asked") >= 20 && r.counter("presence_answered") > 0, printed());
        assertEquals(0, r.counter("presence_errors"), printed());
        assertTrue(r.counter("churn_opened") >= 10, printed());
        assertEquals(r.counter("churn_opened"), r.counter("churn_closed"), printed());

        JsonNode json = Cluster.JSON.readTree(out.resolve("results.json").toFile());
        JsonNode samples = json.get("memory_samples");
        assertTrue(samples.size() >= 2, "one at the start, one at the end at least\n" + json);
        for (JsonNode s : samples) {
            assertTrue(s.get("heap_used_bytes").asLong() > 0, s.toString());
            assertTrue(s.get("rss_bytes").asLong() > 0, s.toString());
            assertTrue(s.get("netty_direct_bytes").asLong() >= 0, s.toString());
        }
        assertTrue(json.get("memory_verdicts").size() > 0, json.toString());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("gateway memory over the run") && html.contains("<svg"), "the memory chart");
    }

    @Test
    void outagesNeedTheReconnectPath() {
        Options.UsageException e = assertThrows(Options.UsageException.class, () -> bench("soak", "--outages",
                "--reconnect-rate", "0"));
        assertTrue(e.getMessage().contains("--reconnect-rate"), e.getMessage());
        e = assertThrows(Options.UsageException.class, () -> bench("soak", "--members", "4", "--publishers", "2",
                "--direct-pairs", "2"));
        assertTrue(e.getMessage().contains("at most --members"), e.getMessage());
    }

    @Test
    void directPartnersPairUpAfterThePublishers() {
        // Room of 10, 2 publishers: members 2..9 are pairs (2,3), (4,5), ...; the second room starts at 10.
        assertEquals(3, SoakScenario.partner(2, 10, 2));
        assertEquals(2, SoakScenario.partner(3, 10, 2));
        assertEquals(15, SoakScenario.partner(14, 10, 2));
        assertEquals(14, SoakScenario.partner(13, 10, 1));
    }
}
