package io.chatgateway.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    private static Timeline.Point point(double second, String phase, double p50) {
        return new Timeline.Point(second, Map.of("sent", 1000L, "received", 1000L), Map.of(), p50, p50 * 3, p50 * 5,
                1000, 0, phase);
    }

    @Test
    void phasesLastUntilTheNextOneBeginsAndEmptyOnesAreLeftOut() {
        List<Timeline.Phase> phases = List.of(new Timeline.Phase("connect", 0), new Timeline.Phase("warmup", 3.1),
                new Timeline.Phase("measure", 8.1), new Timeline.Phase("drain", 38.1), new Timeline.Phase("done", 40.3));
        List<Timeline.Point> timeline = List.of(point(1, "connect", 0), point(40, "drain", 0.3));
        assertEquals(List.of(new Report.Segment("connect", 0, 3.1), new Report.Segment("warmup", 3.1, 8.1),
                new Report.Segment("measure", 8.1, 38.1), new Report.Segment("drain", 38.1, 40)),
                Report.phases(phases, timeline));
        assertEquals(List.of(new Report.Segment("connect", 0, 2), new Report.Segment("measure", 2, 40)),
                Report.phases(List.of(new Timeline.Phase("connect", 0), new Timeline.Phase("warmup", 2),
                        new Timeline.Phase("measure", 2)), timeline), "--warmup 0s leaves no warm-up band");
        assertEquals(List.of(new Report.Segment("hold", 0, 40)),
                Report.phases(List.of(new Timeline.Phase("hold", 0), new Timeline.Phase("hold", 5)), timeline));
    }

    @Test
    void theReportShowsSubMillisecondAndSecondLatenciesAndMarksWarmupAndMeasurement() {
        Result r = new Result("direct");
        Histogram delivery = Histograms.create();
        Histogram connect = Histograms.create();
        for (int i = 0; i < 10_000; i++) {
            delivery.recordValue(250 + i % 200);          // 0.25-0.45 ms, in microseconds
            connect.recordValue(900_000 + i * 37 % 300_000);  // 0.9-1.2 s
        }
        r.histograms.put("latency", delivery);
        r.histograms.put("connect_latency", connect);
        List<Timeline.Point> timeline = new ArrayList<>();
        for (int s = 1; s <= 20; s++) {
            timeline.add(point(s, s <= 5 ? "warmup" : "measure", 0.3));
        }
        r.timeline = timeline;
        r.phases = List.of(new Timeline.Phase("connect", 0), new Timeline.Phase("warmup", 0.5),
                new Timeline.Phase("measure", 5.5));
        r.environment = Map.of("ephemeral_ports", "32768-60999");
        String html = Report.html(r);

        String percentiles = html.substring(html.indexOf("latency by percentile"), html.indexOf("</svg>",
                html.indexOf("latency by percentile")));
        assertTrue(percentiles.contains(">0.1</text>") && percentiles.contains(">1,000</text>")
                && percentiles.contains(">10,000</text>"), "one log axis from 0.1 ms to 10 s: " + percentiles);
        assertTrue(percentiles.contains("latency (p50 0.349 ms"), "the legend gives the figures: " + percentiles);
        assertTrue(html.contains("<title>warmup</title>") && html.contains("<title>measure</title>"), "phases shaded");
        assertTrue(html.contains("<h2>Phases</h2>") && html.contains("<td>warmup</td><td>0.5</td><td>5.5</td>"), html);
        assertTrue(html.contains("<th>ephemeral_ports</th><td>32768-60999</td>"));
        assertFalse(html.contains("<script"), "no script");
        assertEquals(html.indexOf("http://"), html.indexOf("http://www.w3.org/2000/svg"), "nothing fetched");
        assertTrue(html.contains("svg.chart{display:block;width:100%"), "charts take the page's width");
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void theEnvironmentHasThisMachinesRealFigures() throws Exception {
        Scenario direct = Scenario.byName("direct");
        Options o = Options.parse(direct.specs(), List.of("--connections", "2", "--source-addresses", "1"));
        Map<String, Object> env = Bench.environment(Settings.from(o, 2, Map.of()));
        String ports = (String) env.get("ephemeral_ports");
        assertTrue(ports.matches("\\d+-\\d+"), "a range, not a fragment of the file: " + ports);
        String[] p = ports.split("-");
        assertEquals(Integer.parseInt(p[1]) - Integer.parseInt(p[0]) + 1, env.get("ephemeral_port_count"));
        assertEquals(Runtime.getRuntime().availableProcessors(), env.get("cores"));
        assertTrue(((Number) env.get("fd_limit_per_process")).longValue() > 0);
        assertEquals(1, env.get("source_addresses"));
    }
}
