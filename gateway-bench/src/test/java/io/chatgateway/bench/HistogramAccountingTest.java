package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatgateway.bench.Stats.Counter;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HistogramAccountingTest {

    @Test
    void intervalsAddUpToTheTotalsAcrossConcurrentWriters() throws Exception {
        Stats stats = new Stats();
        List<ObjectNode> intervals = new ArrayList<>();
        Thread[] writers = new Thread[4];
        for (int w = 0; w < writers.length; w++) {
            int base = w;
            writers[w] = new Thread(() -> {
                for (int i = 0; i < 50_000; i++) {
                    stats.recordLatency((base * 1000L + i % 1000) * 1000); // 0..3999 µs
                    stats.increment(Counter.RECEIVED);
                }
            });
            writers[w].start();
        }
        while (anyAlive(writers)) {
            intervals.add(stats.progress());
            Thread.sleep(1);
        }
        intervals.add(stats.progress());
        long deltaSum = 0;
        Histogram merged = Histograms.create();
        for (ObjectNode p : intervals) {
            deltaSum += p.get("delta").get("received").asLong();
            merged.add(Histograms.decode(p.get("latency").asText()));
        }
        assertEquals(200_000, deltaSum);
        assertEquals(200_000, merged.getTotalCount());
        ObjectNode totals = stats.totals();
        Histogram total = Histograms.decode(totals.get("latency").asText());
        assertEquals(merged, total, "the totals are exactly the sum of the intervals");
        assertEquals(200_000, totals.get("counters").get("received").asLong());
        assertEquals(3999, total.getMaxValue(), 3999 * 0.001);
        assertEquals(0, total.getMinValue());
    }

    @Test
    void workerReportsMergeExactly() {
        Stats a = new Stats();
        Stats b = new Stats();
        for (int i = 1; i <= 1000; i++) {
            a.recordLatency(i * 1000L); // 1..1000 µs
            b.recordLatency((1000 + i) * 1000L); // 1001..2000 µs
        }
        a.add(Counter.SENT, 10);
        b.add(Counter.SENT, 32);
        Stats.count(a.errorCodes, "rate_limited");
        Stats.count(b.errorCodes, "rate_limited");
        Stats.count(b.errorCodes, "user_offline");
        a.progress();
        b.progress();
        Totals t = Totals.merge(List.<JsonNode>of(a.totals(), b.totals()));
        assertEquals(42, t.get("sent"));
        assertEquals(Map.of("rate_limited", 2L, "user_offline", 1L), t.errors);
        assertEquals(2000, t.latency.getTotalCount());
        assertEquals(1000, t.latency.getValueAtPercentile(50), 1000 * 0.001);
        assertEquals(1990, t.latency.getValueAtPercentile(99.5), 2000 * 0.001);
        Map<String, Object> s = Histograms.summaryMillis(t.latency);
        assertEquals(2.0, (double) s.get("max"), 0.002);
        assertEquals(1.0, (double) s.get("p50"), 0.001);
    }

    @Test
    void latenciesOutsideTheWindowShowEachSecondButNeverInTheTotals() {
        Stats s = new Stats();
        for (int i = 1; i <= 300; i++) {
            s.recordLatency(i * 1_000_000L, 1); // warm-up: 1..300 ms
        }
        ObjectNode warmup = s.progress();
        for (int i = 1; i <= 100; i++) {
            s.recordLatency(i * 1000L, 0); // measured: 1..100 µs
        }
        ObjectNode measured = s.progress();
        assertEquals(300, Histograms.decode(warmup.get("outside_latency").asText()).getTotalCount());
        assertEquals(0, Histograms.decode(warmup.get("latency").asText()).getTotalCount());
        assertEquals(100, Histograms.decode(measured.get("latency").asText()).getTotalCount());
        assertEquals(0, Histograms.decode(measured.get("outside_latency").asText()).getTotalCount());
        Histogram total = Histograms.decode(s.totals().get("latency").asText());
        assertEquals(100, total.getTotalCount());
        assertEquals(100, total.getMaxValue(), 100 * 0.001);
    }

    @Test
    void recordsLatencyInMicrosecondsAndNeverNegative() {
        Stats s = new Stats();
        s.recordLatency(-5_000); // a clock step backwards is not a negative latency
        s.recordLatency(2_500_000);
        s.progress();
        Histogram h = Histograms.decode(s.totals().get("latency").asText());
        assertEquals(2, h.getTotalCount());
        assertEquals(0, h.getMinValue());
        assertEquals(2500, h.getMaxValue(), 2500 * 0.001);
        String hgrm = Histograms.hgrm(h);
        assertEquals(true, hgrm.contains("Value     Percentile TotalCount 1/(1-Percentile)"), hgrm);
    }

    private static boolean anyAlive(Thread[] threads) {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
