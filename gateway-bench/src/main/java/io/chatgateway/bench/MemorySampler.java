package io.chatgateway.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Samples the memory of each gateway node at a fixed period while a long run lasts, as an operator's scraper would:
 * the node's {@code /metrics} (heap in use, JVM direct buffers, Netty's direct arenas) and {@code VmRSS} from
 * {@code /proc/PID/status} when the node runs on this machine. With {@code gc}, each sample first asks the node for
 * a full collection ({@code jcmd PID GC.run}), so that the heap figure is what is live, not where the sawtooth of
 * allocation happens to be; a leak then shows as a rising line instead of hiding in the noise.
 */
final class MemorySampler implements AutoCloseable {
    /** One gateway node: a name, its pid on this machine (or -1) and its metrics address (or {@code null}). */
    record Node(String name, long pid, URI metrics) {
    }

    /** One sample of one node; -1 where a value could not be read. */
    record Sample(double second, String node, long heapUsed, long directBuffers, long nettyDirect, long rss) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("second", second);
            m.put("node", node);
            m.put("heap_used_bytes", heapUsed);
            m.put("direct_buffers_bytes", directBuffers);
            m.put("netty_direct_bytes", nettyDirect);
            m.put("rss_bytes", rss);
            return m;
        }
    }

    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private final List<Node> nodes;
    private final boolean gc;
    private final long startNanos;
    private final List<Sample> samples = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-memory-sampler");
        t.setDaemon(true);
        return t;
    });

    private MemorySampler(List<Node> nodes, boolean gc, long startNanos) {
        this.nodes = nodes;
        this.gc = gc;
        this.startNanos = startNanos;
    }

    /** Starts sampling now and then every {@code period}; seconds count from {@code startNanos}. */
    static MemorySampler start(List<Node> nodes, Duration period, boolean gc, long startNanos) {
        MemorySampler s = new MemorySampler(nodes, gc, startNanos);
        // The first sample is a one-shot task: unlike a periodic one it still runs when a short run has already
        // ended (a starved machine), so there is always a sample from the start beside the one close() takes.
        s.timer.execute(s::sampleQuietly);
        s.timer.scheduleWithFixedDelay(s::sampleQuietly, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }

    /**
     * The nodes of a run: {@code metricsUrls} (comma-separated) or, when empty, each WebSocket target's
     * {@code http://host:port/metrics}; pids by position from {@code --server-pid}.
     */
    static List<Node> nodes(List<Target> targets, String metricsUrls, List<Long> pids) {
        List<URI> urls = new ArrayList<>();
        if (metricsUrls != null && !metricsUrls.isBlank()) {
            for (String u : metricsUrls.split(",")) {
                urls.add(URI.create(u.strip()));
            }
        } else {
            for (Target t : targets) {
                urls.add(t.isWebSocket() ? URI.create("http://" + t.host() + ":" + t.port() + "/metrics") : null);
            }
        }
        int n = Math.max(urls.size(), pids.size());
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Node("node" + (i + 1), i < pids.size() ? pids.get(i) : -1, i < urls.size() ? urls.get(i) : null));
        }
        return out;
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            problem("sampling failed: " + e);
        }
    }

    private void sample() throws InterruptedException {
        for (Node node : nodes) {
            double second = Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0;
            boolean alive = node.pid() <= 0 || ProcessHandle.of(node.pid()).map(ProcessHandle::isAlive).orElse(false);
            if (!alive) {
                continue; // a node the chaos run killed: its line ends there
            }
            if (gc && node.pid() > 0) {
                jcmdGc(node.pid());
            }
            long heap = -1;
            long direct = -1;
            long netty = -1;
            if (node.metrics() != null) {
                String text = scrape(node.metrics());
                if (text != null) {
                    heap = sum(text, "jvm_memory_used_bytes", "area=\"heap\"");
                    direct = sum(text, "jvm_buffer_memory_used_bytes", "id=\"direct\"");
                    netty = sum(text, "netty_allocator_memory_used", "memory_type=\"direct\"");
                }
            }
            long rss = node.pid() > 0 ? rss(node.pid()) : -1;
            synchronized (samples) {
                samples.add(new Sample(second, node.name(), heap, direct, netty, rss));
            }
        }
    }

    /**
     * The sum of every sample of {@code metric} (Prometheus text format) whose labels contain {@code label}, or -1
     * when there is none.
     */
    static long sum(String text, String metric, String label) {
        double total = 0;
        boolean any = false;
        for (String line : text.split("\n")) {
            if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
                continue;
            }
            int close = line.lastIndexOf('}');
            String labels = close < 0 ? "" : line.substring(metric.length(), close + 1);
            if (!labels.contains(label)) {
                continue;
            }
            String[] parts = line.substring(close < 0 ? metric.length() : close + 1).trim().split("\\s+");
            try {
                total += Double.parseDouble(parts[0]);
                any = true;
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return any ? Math.round(total) : -1;
    }

    private String scrape(URI uri) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() != 200) {
                problem(uri + ": HTTP " + r.statusCode());
                return null;
            }
            return r.body();
        } catch (IOException e) {
            problem(uri + ": " + e);
            return null;
        }
    }

    private void jcmdGc(long pid) throws InterruptedException {
        Path home = Path.of(System.getProperty("java.home"));
        String jcmd = Files.isExecutable(home.resolve("bin/jcmd")) ? home.resolve("bin/jcmd").toString() : "jcmd";
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problem("jcmd " + pid + " GC.run timed out");
            } else if (p.exitValue() != 0) {
                problem("jcmd " + pid + " GC.run failed (exit " + p.exitValue() + ")");
            }
        } catch (IOException e) {
            problem("cannot run jcmd: " + e.getMessage());
        }
    }

    private long rss(long pid) {
        try {
            Matcher m = RSS.matcher(Limits.readProc(Path.of("/proc/" + pid + "/status")));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
        } catch (IOException e) {
            return -1; // gone between the check and the read
        }
    }

    private void problem(String p) {
        synchronized (problems) {
            if (problems.size() < 20 && !problems.contains(p)) {
                problems.add(p);
            }
        }
    }

    boolean gc() {
        return gc;
    }

    List<Sample> samples() {
        synchronized (samples) {
            return new ArrayList<>(samples);
        }
    }

    List<String> problems() {
        synchronized (problems) {
            return new ArrayList<>(problems);
        }
    }

    /** Takes a last sample and stops. */
    @Override
    public void close() throws InterruptedException {
        timer.shutdown();
        if (!timer.awaitTermination(2, TimeUnit.MINUTES)) {
            timer.shutdownNow();
        }
        sample();
    }

    // ---- the verdict

    /**
     * Whether a series stayed flat: the mean of its last third of samples (after {@code fromSecond}) against the
     * mean of its first third. Flat when it grew by at most {@code tolerance} of the first third, or by at most
     * {@code slackBytes} (so that a small heap's few MiB of noise do not read as growth).
     *
     * @param n samples judged; below 6 there is no verdict
     */
    record Flatness(String series, int n, double first, double last, double slopePerHour, boolean flat,
                    boolean judged) {
        String describe() {
            if (!judged) {
                return String.format(Locale.ROOT, "%s: no verdict (%d samples after the warm-up; 6 needed)", series, n);
            }
            return String.format(Locale.ROOT, "%s: first third %s, last third %s (%+.1f%%), trend %+.1f MiB/h: %s",
                    series, mib(first), mib(last), first > 0 ? (last - first) * 100 / first : 0,
                    slopePerHour / (1 << 20), flat ? "flat" : "GROWING");
        }
    }

    static Flatness flatness(String series, List<double[]> points, double fromSecond, double tolerance,
                             double slackBytes) {
        List<double[]> p = new ArrayList<>();
        for (double[] x : points) {
            if (x[0] >= fromSecond && x[1] >= 0) {
                p.add(x);
            }
        }
        int n = p.size();
        if (n < 6) {
            return new Flatness(series, n, Double.NaN, Double.NaN, Double.NaN, true, false);
        }
        int third = n / 3;
        double first = 0;
        double last = 0;
        for (int i = 0; i < third; i++) {
            first += p.get(i)[1];
            last += p.get(n - 1 - i)[1];
        }
        first /= third;
        last /= third;
        double mx = 0;
        double my = 0;
        for (double[] x : p) {
            mx += x[0];
            my += x[1];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        for (double[] x : p) {
            sxy += (x[0] - mx) * (x[1] - my);
            sxx += (x[0] - mx) * (x[0] - mx);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx * 3600;
        boolean flat = last - first <= Math.max(tolerance * first, slackBytes);
        return new Flatness(series, n, first, last, slope, flat, true);
    }

    static String mib(double bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1 << 20));
    }
}
