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
