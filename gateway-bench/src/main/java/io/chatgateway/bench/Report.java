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
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's results: the summary table on the terminal, and with {@code --out DIR} a results.json, one .hgrm
 * file per histogram (HdrHistogram's percentile format, milliseconds) and report.html, a single self-contained page
 * whose charts are inline SVG, so it opens offline.
 */
final class Report {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

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
            timeline.add(m);
        }
        json.put("timeline", timeline);
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
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}")
                .append(".ok{color:#2a7a2a}.fail{color:#b00;font-weight:bold}svg{background:#fafafa;border:1px solid #ddd;margin:1em 0}")
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
            List<Series> series = new ArrayList<>();
            for (Map.Entry<String, Histogram> e : r.histograms.entrySet()) {
                if (e.getValue().getTotalCount() > 0) {
                    series.add(percentileSeries(e.getKey(), e.getValue()));
                }
            }
            b.append(chart("latency by percentile (ms)", "percentile", series, true));
        }
        if (!r.timeline.isEmpty()) {
            b.append("<h2>Throughput over time</h2>\n");
            List<Series> tput = new ArrayList<>();
            for (String key : new String[] {"sent", "received", "connected"}) {
                Series s = new Series(key + "/s");
                for (Timeline.Point p : r.timeline) {
                    s.add(p.second(), p.delta().getOrDefault(key, 0L));
                }
                if (s.maxY() > 0) {
                    tput.add(s);
                }
            }
            b.append(chart("per second", "seconds since start", tput, false));
            Series p99 = new Series("delivery p99 (ms)");
            Series p50 = new Series("delivery p50 (ms)");
            Series c99 = new Series("connect p99 (ms)");
            for (Timeline.Point p : r.timeline) {
                p99.add(p.second(), p.p99());
                p50.add(p.second(), p.p50());
                c99.add(p.second(), p.connectP99());
            }
            List<Series> lat = new ArrayList<>();
            for (Series s : List.of(p50, p99, c99)) {
                if (s.maxY() > 0) {
                    lat.add(s);
                }
            }
            if (!lat.isEmpty()) {
                b.append(chart("latency per second (ms)", "seconds since start", lat, false));
            }
        }
        Object steps = r.extra.get("steps");
        if (steps instanceof List<?> list && !list.isEmpty()) {
            b.append("<h2>Capacity steps</h2>\n");
            Series p = new Series("time to last member, " + Histograms.label(((Number) r.metrics.get("percentile")).doubleValue()) + " (ms)");
            Series m = new Series("max (ms)");
            String key = Histograms.label(((Number) r.metrics.get("percentile")).doubleValue()) + "_ms";
            for (Object o : list) {
                Map<?, ?> s = (Map<?, ?>) o;
                double x = ((Number) s.get("clients")).doubleValue();
                p.add(x, ((Number) s.get(key)).doubleValue());
                m.add(x, ((Number) s.get("max_ms")).doubleValue());
            }
            b.append(chart("time to last member by clients (limit " + r.metrics.get("limit_ms") + " ms)", "clients",
                    List.of(p, m), false));
        }
        b.append("<h2>Environment and options</h2>\n<table>");
        r.environment.forEach((k, v) -> b.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(String.valueOf(v))).append("</td></tr>"));
        r.options.forEach((k, v) -> b.append("<tr><th>--").append(esc(k)).append("</th><td>")
                .append(esc(k.equals("jwt-secret") ? "(set)" : String.valueOf(v))).append("</td></tr>"));
        b.append("</table>\n</body></html>\n");
        return b.toString();
    }

    private static Series percentileSeries(String name, Histogram h) {
        Series s = new Series(name);
        for (HistogramIterationValue v : h.percentiles(5)) {
            double pct = v.getPercentileLevelIteratedTo();
            if (pct >= 100) {
                pct = 99.9999;
            }
            s.add(1 / (1 - pct / 100), Histograms.millis(v.getValueIteratedTo()));
        }
        return s;
    }

    static final class Series {
        final String name;
        final List<double[]> points = new ArrayList<>();

        Series(String name) {
            this.name = name;
        }

        void add(double x, double y) {
            if (!Double.isNaN(y) && !Double.isInfinite(y)) {
                points.add(new double[] {x, y});
            }
        }

        double maxY() {
            return points.stream().mapToDouble(p -> p[1]).max().orElse(0);
        }
    }

    /** A line chart in inline SVG; {@code percentileX}: x is 1/(1-p), drawn on a log scale with percentile labels. */
    static String chart(String title, String xLabel, List<Series> series, boolean percentileX) {
        int w = 900;
        int h = 360;
        int left = 70;
        int right = 20;
        int top = 40;
        int bottom = 50;
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double maxY = 0;
        for (Series s : series) {
            for (double[] p : s.points) {
                double x = percentileX ? Math.log10(p[0]) : p[0];
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
                maxY = Math.max(maxY, p[1]);
            }
        }
        if (minX == Double.MAX_VALUE) {
            return "<p>(no data)</p>";
        }
        if (percentileX) {
            minX = 0;
            maxX = Math.max(maxX, 3);
        }
        if (maxX <= minX) {
            maxX = minX + 1;
        }
        maxY = niceCeiling(maxY);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", w, h, w, h));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>", left, esc(title)));
        int pw = w - left - right;
        int ph = h - top - bottom;
        for (int i = 0; i <= 5; i++) {
            double yv = maxY * i / 5;
            double y = top + ph - ph * i / 5.0;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>", left, y, left + pw, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>", left - 6, y + 4, fmt(yv)));
        }
        if (percentileX) {
            String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
            for (int i = 0; i <= (int) Math.ceil(maxX) && i < labels.length; i++) {
                double x = left + pw * (i - minX) / (maxX - minX);
                b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>", x, top, x, top + ph));
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", x, top + ph + 16, labels[i]));
            }
        } else {
            for (int i = 0; i <= 5; i++) {
                double xv = minX + (maxX - minX) * i / 5;
                double x = left + pw * i / 5.0;
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", x, top + ph + 16, fmt(xv)));
            }
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>", left + pw / 2, h - 10, esc(xLabel)));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", left, top, pw, ph));
        int si = 0;
        for (Series s : series) {
            String color = COLORS[si % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (double[] p : s.points) {
                double xv = percentileX ? Math.log10(p[0]) : p[0];
                double x = left + pw * (xv - minX) / (maxX - minX);
                double y = top + ph - ph * (maxY == 0 ? 0 : p[1] / maxY);
                path.append(path.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\"/>");
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>", left + 10, top + 10 + si * 16, color));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>", left + 28, top + 16 + si * 16, esc(s.name)));
            si++;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double mag = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * mag >= v) {
                return m * mag;
            }
        }
        return 10 * mag;
    }

    private static String fmt(double v) {
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
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
