package io.chatgateway.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a run's results: the summary table on the terminal, and with {@code --out DIR} a results.json, one .hgrm
 * file per histogram (HdrHistogram's percentile format, milliseconds) and report.html, a single self-contained page
 * whose charts are inline SVG, so it opens offline.
 */
final class Report {

    private Report() {
    }

    static void printSummary(Result r, PrintStream out) {
        int width = 0;
        for (String[] row : r.table) {
            width = Math.max(width, row[0].length());
        }
        out.println();
        out.println("== " + r.scenario + " summary " + "=".repeat(Math.max(0, 60 - r.scenario.length())));
        for (String[] row : r.table) {
            out.println("  " + row[0] + " ".repeat(width - row[0].length() + 2) + row[1]);
        }
        out.println("  checks:");
        for (Result.Check c : r.checks) {
            out.println("    [" + (c.passed() ? " ok " : "FAIL") + "] " + c.name() + ": " + c.detail());
        }
        for (String n : r.notes) {
            out.println("  note: " + n);
        }
        out.println("  machine: " + r.environment.get("cores") + " cores, load average " + r.environment.get("load_start")
                + " at start, " + r.environment.get("load_end") + " at end");
        out.println("  result: " + (r.passed() ? "PASSED (every check)" : "FAILED (see checks)"));
    }

    static void write(Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("scenario", r.scenario);
        json.put("passed", r.passed());
        json.put("metrics", r.metrics);
        List<Map<String, Object>> checks = new ArrayList<>();
        for (Result.Check c : r.checks) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("passed", c.passed());
            m.put("detail", c.detail());
            checks.add(m);
        }
        json.put("checks", checks);
        json.putAll(r.extra);
        Map<String, Object> hist = new LinkedHashMap<>();
        r.histograms.forEach((k, h) -> hist.put(k, Histograms.summaryMillis(h)));
        json.put("histograms_ms", hist);
        if (r.totals != null) {
            json.put("counters", r.totals.counters);
        }
        json.put("notes", r.notes);
        json.put("environment", r.environment);
        json.put("options", r.options);
        List<Map<String, Object>> timeline = new ArrayList<>();
        for (Timeline.Point p : r.timeline) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("second", p.second());
            m.put("delta", p.delta());
            m.put("p50_ms", p.p50());
            m.put("p99_ms", p.p99());
            m.put("max_ms", p.max());
            m.put("connect_p99_ms", p.connectP99());
            m.put("phase", p.phase());
            timeline.add(m);
        }
        json.put("timeline", timeline);
        List<Map<String, Object>> phases = new ArrayList<>();
        for (Segment seg : phases(r.phases, r.timeline)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("phase", seg.name());
            m.put("from_second", seg.from());
            m.put("to_second", seg.to());
            phases.add(m);
        }
        json.put("phases", phases);
        Files.writeString(dir.resolve("results.json"),
                Cluster.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
        for (Map.Entry<String, Histogram> e : r.histograms.entrySet()) {
            Files.writeString(dir.resolve(e.getKey() + ".hgrm"), Histograms.hgrm(e.getValue()));
        }
        Files.writeString(dir.resolve("report.html"), html(r));
    }

    // ---- the HTML page

    static String html(Result r) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gateway-bench ")
                .append(esc(r.scenario)).append("</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}")
                .append(".ok{color:#2a7a2a}.fail{color:#b00;font-weight:bold}")
                .append("svg.chart{display:block;width:100%;height:auto;background:#fafafa;border:1px solid #ddd;margin:1em 0}")
                .append("code{background:#f3f3f3;padding:1px 4px}</style></head><body>\n");
        b.append("<h1>gateway-bench: ").append(esc(r.scenario)).append("</h1>\n");
        b.append("<p class=\"").append(r.passed() ? "ok\">All checks passed" : "fail\">Some checks FAILED")
                .append("</p>\n<h2>Summary</h2>\n<table>");
        for (String[] row : r.table) {
            b.append("<tr><th>").append(esc(row[0])).append("</th><td>").append(esc(row[1])).append("</td></tr>");
        }
        b.append("</table>\n<h2>Checks</h2>\n<table><tr><th>check</th><th>seen</th><th></th></tr>");
        for (Result.Check c : r.checks) {
            b.append("<tr><td>").append(esc(c.name())).append("</td><td>").append(esc(c.detail())).append("</td><td class=\"")
                    .append(c.passed() ? "ok\">ok" : "fail\">FAIL").append("</td></tr>");
        }
        b.append("</table>\n");
        if (!r.notes.isEmpty()) {
            b.append("<ul>");
            for (String n : r.notes) {
                b.append("<li>").append(esc(n)).append("</li>");
            }
            b.append("</ul>\n");
        }
        if (!r.histograms.isEmpty()) {
            b.append("<h2>Latency by percentile</h2>\n");
            b.append(percentileChart(r.histograms));
        }
        if (!r.timeline.isEmpty()) {
            List<Chart.Band> bands = bands(phases(r.phases, r.timeline));
            double end = r.timeline.get(r.timeline.size() - 1).second();
            Chart.Axis time = Chart.linear("seconds since start", 0, end);
            b.append("<h2>Throughput over time</h2>\n");
            List<Chart.Series> tput = new ArrayList<>();
            for (String key : new String[] {"sent", "received", "connected"}) {
                Chart.Series s = new Chart.Series(key + "/s");
                for (Timeline.Point p : r.timeline) {
                    s.add(p.second(), p.delta().getOrDefault(key, 0L));
                }
                if (s.maxY() > 0) {
                    tput.add(s);
                }
            }
            double maxTput = tput.stream().mapToDouble(Chart.Series::maxY).max().orElse(0);
            b.append(Chart.svg("per second", time, Chart.linear("count per second", 0, maxTput), tput, bands));
            Chart.Series p99 = new Chart.Series("delivery p99");
            Chart.Series p50 = new Chart.Series("delivery p50");
            Chart.Series c99 = new Chart.Series("connect p99");
            for (Timeline.Point p : r.timeline) {
                p99.add(p.second(), p.p99());
                p50.add(p.second(), p.p50());
                c99.add(p.second(), p.connectP99());
            }
            List<Chart.Series> lat = new ArrayList<>();
            for (Chart.Series s : List.of(p50, p99, c99)) {
                if (s.maxY() > 0) {
                    lat.add(s);
                }
            }
            if (!lat.isEmpty()) {
                b.append(Chart.svg("latency per second", time, logMillis(lat), lat, bands));
            }
            List<Segment> segments = phases(r.phases, r.timeline);
            if (!segments.isEmpty()) {
                b.append("<h2>Phases</h2>\n<p>Shaded on the charts above: warm-up (load that is checked but not"
                        + " timed) in orange, measurement in green.</p>\n<table><tr><th>phase</th><th>from (s)</th>"
                        + "<th>to (s)</th></tr>");
                for (Segment seg : segments) {
                    b.append("<tr><td>").append(esc(seg.name())).append("</td><td>").append(Chart.number(seg.from()))
                            .append("</td><td>").append(Chart.number(seg.to())).append("</td></tr>");
                }
                b.append("</table>\n");
            }
        }
        r.htmlSections.forEach(b::append);
        Object steps = r.extra.get("steps");
        if (steps instanceof List<?> list && !list.isEmpty()) {
            b.append("<h2>Capacity steps</h2>\n");
            String pct = Histograms.label(((Number) r.metrics.get("percentile")).doubleValue());
            Chart.Series p = new Chart.Series("time to last member, " + pct + " (ms)");
            Chart.Series m = new Chart.Series("max (ms)");
            String key = pct + "_ms";
            for (Object o : list) {
                Map<?, ?> s = (Map<?, ?>) o;
                double x = ((Number) s.get("clients")).doubleValue();
                p.add(x, ((Number) s.get(key)).doubleValue());
                m.add(x, ((Number) s.get("max_ms")).doubleValue());
            }
            double maxX = p.points.stream().mapToDouble(q -> q[0]).max().orElse(1);
            b.append(Chart.svg("time to last member by clients (limit " + r.metrics.get("limit_ms") + " ms)",
                    Chart.linear("clients", 0, maxX), Chart.linear("ms", 0, Math.max(p.maxY(), m.maxY())),
                    List.of(p, m), List.of()));
        }
        b.append("<h2>Environment and options</h2>\n<table>");
        r.environment.forEach((k, v) -> b.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(String.valueOf(v))).append("</td></tr>"));
        r.options.forEach((k, v) -> b.append("<tr><th>--").append(esc(k)).append("</th><td>")
                .append(esc(k.equals("jwt-secret") ? "(set)" : String.valueOf(v))).append("</td></tr>"));
        b.append("</table>\n</body></html>\n");
        return b.toString();
    }

    /**
     * Every histogram on one chart with a log latency axis: delivery latency (a fraction of a millisecond) and
     * connect latency (up to seconds) are both readable there, which a linear axis made impossible.
     */
    static String percentileChart(Map<String, Histogram> histograms) {
        List<Chart.Series> series = new ArrayList<>();
        double maxX = 1;
        for (Map.Entry<String, Histogram> e : histograms.entrySet()) {
            Histogram h = e.getValue();
            if (h.getTotalCount() > 0) {
                Chart.Series s = percentileSeries(e.getKey() + " (p50 " + ms(h.getValueAtPercentile(50)) + ", p99 "
                        + ms(h.getValueAtPercentile(99)) + ", max " + ms(h.getMaxValue()) + ")", h);
                series.add(s);
                maxX = Math.max(maxX, s.points.stream().mapToDouble(p -> p[0]).max().orElse(1));
            }
        }
        if (series.isEmpty()) {
            return "<p>(no data)</p>\n";
        }
        return Chart.svg("latency by percentile", Chart.percentiles(maxX), logMillis(series), series, List.of());
    }

    private static String ms(long micros) {
        return Chart.number(Histograms.millis(micros)) + " ms";
    }

    /** A log axis in milliseconds spanning every positive value of the series. */
    static Chart.Axis logMillis(List<Chart.Series> series) {
        double min = series.stream().mapToDouble(Chart.Series::minPositiveY).filter(v -> !Double.isNaN(v)).min()
                .orElse(1);
        double max = series.stream().mapToDouble(Chart.Series::maxY).max().orElse(1);
        return Chart.log("ms", min, Math.max(min, max));
    }

    private static Chart.Series percentileSeries(String name, Histogram h) {
        Chart.Series s = new Chart.Series(name);
        for (HistogramIterationValue v : h.percentiles(5)) {
            double pct = v.getPercentileLevelIteratedTo();
            if (pct >= 100) {
                pct = 99.9999;
            }
            s.add(1 / (1 - pct / 100), Histograms.millis(v.getValueIteratedTo()));
        }
        return s;
    }

    /** A stretch of the run spent in one phase, in seconds since the start. */
    record Segment(String name, double from, double to) {
    }

    /**
     * The phases as stretches of time: each lasts until the next begins, the last until the timeline ends, none
     * past the timeline's end; phases that took no time there are left out.
     */
    static List<Segment> phases(List<Timeline.Phase> phases, List<Timeline.Point> timeline) {
        double end = timeline.isEmpty() ? 0 : timeline.get(timeline.size() - 1).second();
        List<Segment> out = new ArrayList<>();
        for (int i = 0; i < phases.size(); i++) {
            Timeline.Phase p = phases.get(i);
            double to = Math.min(end, i + 1 < phases.size() ? phases.get(i + 1).fromSecond() : end);
            if (to <= p.fromSecond()) {
                continue;
            }
            Segment last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.name().equals(p.name()) && last.to() == p.fromSecond()) {
                out.set(out.size() - 1, new Segment(p.name(), last.from(), to));
            } else {
                out.add(new Segment(p.name(), p.fromSecond(), to));
            }
        }
        return out;
    }

    /** Warm-up in orange, measurement in green, everything else in alternating greys. */
    static List<Chart.Band> bands(List<Segment> segments) {
        List<Chart.Band> bands = new ArrayList<>();
        int other = 0;
        for (Segment s : segments) {
            String fill;
            if (s.name().startsWith("warmup")) {
                fill = "#fde3c4";
            } else if (s.name().startsWith("measure")) {
                fill = "#d7efd2";
            } else {
                fill = other++ % 2 == 0 ? "#ececec" : "#f5f5f5";
            }
            bands.add(new Chart.Band(s.name(), s.from(), s.to(), fill));
        }
        return bands;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static void writeQuietly(Result r, Path dir, PrintStream err) {
        try {
            write(r, dir);
        } catch (IOException e) {
            err.println("could not write the report to " + dir + ": " + e.getMessage());
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
