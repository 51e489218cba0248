package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The run second by second: the workers' progress reports are summed into one point per second (counts and the
 * merged latency histograms of that second), printed as the live progress line and kept for the report's charts.
 * A second's latencies are those of every delivery in it, measured or not, so the warm-up shows its own.
 */
final class Timeline implements AutoCloseable {
    /** One second of the run. */
    record Point(double second, Map<String, Long> delta, Map<String, Long> total, double p50, double p99,
                 double max, long latencyCount, double connectP99, String phase) {
    }

    /** A phase of the run ({@code connect}, {@code warmup}, {@code measure}, ...) and when it began. */
    record Phase(String name, double fromSecond) {
    }

    private final long startNanos = System.nanoTime();
    private final PrintStream out;
    private final boolean quiet;
    private final List<Point> points = new ArrayList<>();
    private final Map<Integer, Map<String, Long>> totals = new LinkedHashMap<>();
    private Map<String, Long> delta = new LinkedHashMap<>();
    private Histogram latency = Histograms.create();
    private Histogram connect = Histograms.create();
    private final ScheduledExecutorService ticker;
    private volatile String phase = "";
    private final List<Phase> phases = new ArrayList<>();

    Timeline(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** What the run is doing now, shown at the start of the progress line. */
    void phase(String phase) {
        synchronized (this) {
            phases.add(new Phase(phase, seconds()));
        }
        this.phase = phase;
    }

    private double seconds() {
        return Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0;
    }

    synchronized void add(int worker, JsonNode progress) {
        progress.get("delta").fields().forEachRemaining(e -> delta.merge(e.getKey(), e.getValue().asLong(), Long::sum));
        Map<String, Long> t = totals.computeIfAbsent(worker, w -> new LinkedHashMap<>());
        progress.get("total").fields().forEachRemaining(e -> t.put(e.getKey(), e.getValue().asLong()));
        latency.add(Histograms.decode(progress.get("latency").asText()));
        latency.add(Histograms.decode(progress.get("outside_latency").asText()));
        connect.add(Histograms.decode(progress.get("connect").asText()));
    }

    private void tick() {
        Point p;
        synchronized (this) {
            Map<String, Long> total = new LinkedHashMap<>();
            for (Map<String, Long> t : totals.values()) {
                t.forEach((k, v) -> total.merge(k, v, Long::sum));
            }
            double second = seconds();
            p = new Point(second, delta, total,
                    latency.getTotalCount() == 0 ? 0 : Histograms.millis(latency.getValueAtPercentile(50)),
                    latency.getTotalCount() == 0 ? 0 : Histograms.millis(latency.getValueAtPercentile(99)),
                    latency.getTotalCount() == 0 ? 0 : Histograms.millis(latency.getMaxValue()),
                    latency.getTotalCount(),
                    connect.getTotalCount() == 0 ? 0 : Histograms.millis(connect.getValueAtPercentile(99)), phase);
            points.add(p);
            delta = new LinkedHashMap<>();
            latency = Histograms.create();
            connect = Histograms.create();
        }
        if (!quiet) {
            out.println(line(p));
        }
    }

    private String line(Point p) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "[%5.0fs] %-10s", p.second(), p.phase()));
        long connected = p.total().getOrDefault("connected", 0L) - p.total().getOrDefault("closed", 0L);
        sb.append(String.format(Locale.ROOT, " conns %,d (+%,d/s, %,d failed)", connected,
                p.delta().getOrDefault("connected", 0L), p.total().getOrDefault("connect_failed", 0L)));
        long sent = p.delta().getOrDefault("sent", 0L);
        long received = p.delta().getOrDefault("received", 0L);
        if (sent > 0 || received > 0 || p.total().getOrDefault("sent", 0L) > 0) {
            sb.append(String.format(Locale.ROOT, " | sent %,d/s recv %,d/s", sent, received));
        }
        if (p.latencyCount() > 0) {
            sb.append(String.format(Locale.ROOT, " | p50 %.2f p99 %.2f max %.2f ms", p.p50(), p.p99(), p.max()));
        } else if (p.connectP99() > 0) {
            sb.append(String.format(Locale.ROOT, " | connect p99 %.2f ms", p.connectP99()));
        }
        long errors = p.total().getOrDefault("errors", 0L) + p.total().getOrDefault("unexpected", 0L)
                + p.total().getOrDefault("kicked", 0L);
        if (errors > 0) {
            sb.append(String.format(Locale.ROOT, " | errors %,d", errors));
        }
        return sb.toString();
    }

    synchronized List<Point> points() {
        return new ArrayList<>(points);
    }

    /** The phases in the order they began. */
    synchronized List<Phase> phases() {
        return new ArrayList<>(phases);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
