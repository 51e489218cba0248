package io.chatgateway.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures the memory of the gateway's JVM from outside, as an operator would: {@code jcmd PID GC.run} then
 * {@code GC.heap_info} for the heap in use after a full collection; {@code jcmd PID VM.native_memory summary} for
 * direct buffers (NMT's "Other" category, where {@code ByteBuffer.allocateDirect} and {@code Unsafe.allocateMemory}
 * land; it needs the gateway started with {@code -XX:NativeMemoryTracking=summary}); and VmRSS from
 * {@code /proc/PID/status}.
 */
final class MemoryProbe {
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern NMT_OTHER = Pattern.compile("Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final Pattern NMT_TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    /** One measurement; a value is -1 when it could not be taken ({@link #problems} says why). */
    record Sample(long heapUsedBytes, long directBytes, long nmtCommittedBytes, long rssBytes, List<String> problems) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("heap_used_bytes", heapUsedBytes);
            m.put("direct_bytes", directBytes);
            m.put("nmt_committed_bytes", nmtCommittedBytes);
            m.put("rss_bytes", rssBytes);
            if (!problems.isEmpty()) {
                m.put("problems", problems);
            }
            return m;
        }
    }

    private static final Pattern PROM_LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? ([-+0-9.eE]+|NaN)",
            Pattern.MULTILINE);

    /**
     * The process as it stands, nothing forced (no collection, no NMT): what an operator's dashboard shows. RSS from
     * {@code /proc/PID/status}; from the gateway's Prometheus scrape, when there is one, the heap used and committed
     * ({@code jvm_memory_*_bytes{area="heap"}} summed over the pools) and Netty's direct memory
     * ({@code netty_direct_memory_used_bytes}). A value is -1 when it could not be taken (a peer server has no
     * scrape: RSS only).
     */
    record Snapshot(long rssBytes, long heapUsedBytes, long heapCommittedBytes, long directBytes,
                    List<String> problems) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rss_bytes", rssBytes);
            m.put("heap_used_bytes", heapUsedBytes);
            m.put("heap_committed_bytes", heapCommittedBytes);
            m.put("direct_bytes", directBytes);
            if (!problems.isEmpty()) {
                m.put("problems", problems);
            }
            return m;
        }
    }

    private final long pid;

    MemoryProbe(long pid) {
        this.pid = pid;
    }

    Sample sample() throws InterruptedException {
        List<String> problems = new java.util.ArrayList<>();
        long heap = -1;
        long direct = -1;
        long nmt = -1;
        long rss = -1;
        // Two collections: the first may leave finalizable and reference-queued objects for the second.
        jcmd(problems, "GC.run");
        Thread.sleep(300);
        jcmd(problems, "GC.run");
        Thread.sleep(300);
        String heapInfo = jcmd(problems, "GC.heap_info");
        if (heapInfo != null) {
            Matcher m = HEAP_USED.matcher(heapInfo);
            if (m.find()) {
                heap = Long.parseLong(m.group(1)) * 1024;
            } else {
                problems.add("GC.heap_info: no 'used NK' in: " + first(heapInfo));
            }
        }
        String nmtInfo = jcmd(problems, "VM.native_memory", "summary");
        if (nmtInfo != null) {
            Matcher other = NMT_OTHER.matcher(nmtInfo);
            Matcher total = NMT_TOTAL.matcher(nmtInfo);
            if (other.find()) {
                direct = Long.parseLong(other.group(2)) * 1024;
            }
            if (total.find()) {
                nmt = Long.parseLong(total.group(2)) * 1024;
            }
            if (direct < 0) {
                problems.add("direct memory unknown: start the gateway with -XX:NativeMemoryTracking=summary ("
                        + first(nmtInfo) + ")");
            }
        }
        try {
            Matcher m = RSS.matcher(Limits.readProc(Path.of("/proc/" + pid + "/status")));
            if (m.find()) {
                rss = Long.parseLong(m.group(1)) * 1024;
            }
        } catch (IOException e) {
            problems.add("cannot read /proc/" + pid + "/status: " + e.getMessage());
        }
        return new Sample(heap, direct, nmt, rss, problems);
    }

    /** See {@link Snapshot}; {@code metrics} is the gateway's {@code /metrics} URL, or {@code null} for RSS only. */
    Snapshot snapshot(java.net.URI metrics) {
        List<String> problems = new java.util.ArrayList<>();
        long rss = rss(problems);
        long heapUsed = -1;
        long heapCommitted = -1;
        long direct = -1;
        if (metrics != null) {
            try {
                java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                        .connectTimeout(java.time.Duration.ofSeconds(2)).build();
                java.net.http.HttpResponse<String> res = http.send(java.net.http.HttpRequest.newBuilder(metrics)
                        .timeout(java.time.Duration.ofSeconds(5)).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() == 200) {
                    Map<String, Double> v = prometheus(res.body());
                    heapUsed = v.containsKey("heap_used") ? v.get("heap_used").longValue() : -1;
                    heapCommitted = v.containsKey("heap_committed") ? v.get("heap_committed").longValue() : -1;
                    direct = v.containsKey("direct") ? v.get("direct").longValue() : -1;
                } else {
                    problems.add(metrics + ": HTTP " + res.statusCode() + " (RSS only)");
                }
            } catch (IOException e) {
                problems.add(metrics + ": " + e.getMessage() + " (RSS only)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problems.add(metrics + ": interrupted");
            }
        }
        return new Snapshot(rss, heapUsed, heapCommitted, direct, problems);
    }

    /** Heap used and committed (summed over the heap pools) and Netty's direct memory, from a Prometheus scrape. */
    static Map<String, Double> prometheus(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        Matcher m = PROM_LINE.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            String labels = m.group(2) == null ? "" : m.group(2);
            double value;
            try {
                value = Double.parseDouble(m.group(3));
            } catch (NumberFormatException e) {
                continue;
            }
            boolean heap = labels.contains("area=\"heap\"");
            if (name.equals("jvm_memory_used_bytes") && heap) {
                out.merge("heap_used", value, Double::sum);
            } else if (name.equals("jvm_memory_committed_bytes") && heap) {
                out.merge("heap_committed", value, Double::sum);
            } else if (name.equals("netty_direct_memory_used_bytes")) {
                out.put("direct", value);
            }
        }
        return out;
    }

    private long rss(List<String> problems) {
        try {
            Matcher m = RSS.matcher(Limits.readProc(Path.of("/proc/" + pid + "/status")));
            if (m.find()) {
                return Long.parseLong(m.group(1)) * 1024;
            }
            problems.add("no VmRSS in /proc/" + pid + "/status");
        } catch (IOException e) {
            problems.add("cannot read /proc/" + pid + "/status: " + e.getMessage());
        }
        return -1;
    }

    private String jcmd(List<String> problems, String... command) throws InterruptedException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(jcmdPath());
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problems.add("jcmd " + String.join(" ", command) + " timed out");
                return null;
            }
            String s = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                problems.add("jcmd " + String.join(" ", command) + " failed: " + first(s));
                return null;
            }
            return s;
        } catch (IOException e) {
            problems.add("cannot run jcmd (a JDK's bin/jcmd is needed): " + e.getMessage());
            return null;
        }
    }

    private static String jcmdPath() {
        Path home = Path.of(System.getProperty("java.home"));
        for (Path p : List.of(home.resolve("bin/jcmd"), home.getParent() == null ? home : home.getParent().resolve("bin/jcmd"))) {
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return "jcmd";
    }

    private static String first(String s) {
        String t = s.strip().replace('\n', ' ');
        return t.length() > 160 ? t.substring(0, 160) + "..." : t;
    }
}
