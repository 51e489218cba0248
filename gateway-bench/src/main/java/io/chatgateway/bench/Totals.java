package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The workers' final reports summed: counters, counts by reason, and merged histograms. */
final class Totals {
    final Map<String, Long> counters = new TreeMap<>();
    final Map<String, Long> failures = new TreeMap<>();
    final Map<String, Long> errors = new TreeMap<>();
    final Map<String, Long> kicks = new TreeMap<>();
    final Map<String, Long> unexpected = new TreeMap<>();
    final Histogram latency = Histograms.create();
    final Histogram connect = Histograms.create();
    /** Reconnect runs: drop to recovered answer. */
    final Histogram reconnect = Histograms.create();
    /** How late the senders' ticks ran in the measured window: the bench's own stalls. */
    final Histogram tickLateness = Histograms.create();

    static Totals merge(List<JsonNode> reports) {
        Totals t = new Totals();
        for (JsonNode r : reports) {
            sum(r.get("counters"), t.counters);
            sum(r.get("failures"), t.failures);
            sum(r.get("errors"), t.errors);
            sum(r.get("kicks"), t.kicks);
            sum(r.get("unexpected"), t.unexpected);
            t.latency.add(Histograms.decode(r.get("latency").asText()));
            t.connect.add(Histograms.decode(r.get("connect").asText()));
            if (r.hasNonNull("reconnect")) {
                t.reconnect.add(Histograms.decode(r.get("reconnect").asText()));
            }
            if (r.hasNonNull("tick_lateness")) {
                t.tickLateness.add(Histograms.decode(r.get("tick_lateness").asText()));
            }
        }
        return t;
    }

    private static void sum(JsonNode node, Map<String, Long> into) {
        if (node != null) {
            node.fields().forEachRemaining(e -> into.merge(e.getKey(), e.getValue().asLong(), Long::sum));
        }
    }

    long get(String counter) {
        return counters.getOrDefault(counter, 0L);
    }
}
