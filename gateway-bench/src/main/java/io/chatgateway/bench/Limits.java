package io.chatgateway.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/** The limits of this machine that decide how many connections one bench process can hold. */
final class Limits {
    /** File descriptors a bench process keeps for itself (jars, epoll, pipes, the JVM). */
    static final int RESERVED_FDS = 300;

    private Limits() {
    }

    /** The open-files limit of this process (ulimit -n), or 1024 when it cannot be read. */
    static long maxFileDescriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
            return ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
        }
        return 1024;
    }

    /** Connections one process can hold. */
    static int connectionsPerProcess() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxFileDescriptors() - RESERVED_FDS));
    }

    static final Path PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    /**
     * A file under {@code /proc}, whole. Not {@link Files#readString}: it sizes its buffer from the file's size,
     * which is 0 here, reads one byte and then asks for the rest from offset 1, and sysctl files
     * ({@code /proc/sys/...}) answer any read past offset 0 with end-of-file, so the port range came back as
     * {@code "3"}. One read into a large buffer from offset 0 gets the whole text.
     */
    static String readProc(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /** {@code "32768\t60999\n"} as {@code {32768, 60999}}; {@code null} when it is not two ordered ports. */
    static int[] parsePortRange(String text) {
        String[] p = text.strip().split("\\s+");
        try {
            int low = Integer.parseInt(p[0]);
            int high = Integer.parseInt(p[1]);
            return p.length == 2 && 0 < low && low <= high && high <= 65535 ? new int[] {low, high} : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static int[] portRange() {
        try {
            return parsePortRange(readProc(PORT_RANGE));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The ephemeral port range, e.g. {@code 32768-60999}, or {@code unknown}. */
    static String ephemeralPorts() {
        int[] r = portRange();
        return r == null ? "unknown" : r[0] + "-" + r[1];
    }

    /** Number of ephemeral ports, or 28,232 (Linux's default range) when unknown. */
    static int ephemeralPortCount() {
        int[] r = portRange();
        return r == null ? 28_232 : r[1] - r[0] + 1;
    }

    /**
     * CPU time (user + system) a process has used, in nanoseconds, from {@code /proc/PID/stat}; -1 when unknown.
     * Measured per message this cost does not depend on what else the machine runs, unlike throughput on a shared
     * machine, so it is what the bench reports to tell how far dedicated cores would go.
     */
    static long cpuNanos(long pid) {
        try {
            String stat = readProc(Path.of("/proc/" + pid + "/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
            return ticks * (1_000_000_000L / CLOCK_TICKS);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU time (user + system) of the threads of a process whose name starts with one of {@code prefixes} (e.g. the
     * gateway's event loops, {@code gateway-io}; HotSpot's JIT, {@link #JIT_THREADS}), in nanoseconds, from
     * {@code /proc/PID/task/TID/stat}; -1 when unknown.
     * Unlike the whole process, it leaves out the JIT compilers, the garbage collector and other background threads.
     */
    static long threadCpuNanos(long pid, String... prefixes) {
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            long ticks = 0;
            boolean any = false;
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String comm = Files.readString(t.resolve("comm"));
                    boolean named = false;
                    for (String prefix : prefixes) {
                        named |= comm.startsWith(prefix);
                    }
                    if (!named) {
                        continue;
                    }
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    any = true;
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
            return any ? ticks * (1_000_000_000L / CLOCK_TICKS) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU time (user + system) of this process and of every process it started (the bench's worker processes), in
     * nanoseconds; -1 when unknown. What the bench's clients cost, however many processes carry them (a child that
     * exits between two readings drops out of the second: the workers live as long as the run).
     */
    static long benchCpuNanos() {
        long total = cpuNanos(ProcessHandle.current().pid());
        if (total < 0) {
            return -1;
        }
        for (ProcessHandle child : (Iterable<ProcessHandle>) ProcessHandle.current().descendants()::iterator) {
            long c = cpuNanos(child.pid());
            if (c > 0) {
                total += c;
            }
        }
        return total;
    }

    /** How many CPUs a process may run on: its affinity ({@code Cpus_allowed_list} of /proc/PID/status, as
     * {@code taskset} sets it); -1 when unknown. */
    static int allowedCpus(long pid) {
        try {
            for (String line : readProc(Path.of("/proc/" + pid + "/status")).split("\n")) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return countCpuList(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The number of CPUs in a kernel CPU list such as {@code 0-3,8,10-11}; -1 when it is not one. */
    static int countCpuList(String list) {
        if (list.isEmpty()) {
            return -1;
        }
        int n = 0;
        for (String part : list.split(",")) {
            int dash = part.indexOf('-');
            try {
                if (dash < 0) {
                    Integer.parseInt(part.trim());
                    n++;
                } else {
                    int from = Integer.parseInt(part.substring(0, dash).trim());
                    int to = Integer.parseInt(part.substring(dash + 1).trim());
                    if (to < from) {
                        return -1;
                    }
                    n += to - from + 1;
                }
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return n;
    }

    /** Name prefixes of HotSpot's JIT compiler threads ({@code C1 CompilerThre}, {@code C2 CompilerThre}). */
    static final String[] JIT_THREADS = {"C1 Compiler", "C2 Compiler"};
    /** Name prefixes of HotSpot's collector threads (G1, Parallel, Serial workers, ZGC and Shenandoah). */
    static final String[] GC_THREADS = {"GC Thread", "G1 ", "VM Thread", "ZWorker", "ZDriver", "Shenandoah"};

    /** USER_HZ: Linux reports process times in 1/100 s on every mainstream architecture. */
    static final long CLOCK_TICKS = 100;

    /** The 1-minute load average and the others, as {@code uptime} shows them. */
    static String loadAverage() {
        try {
            String[] p = readProc(Path.of("/proc/loadavg")).trim().split("\\s+");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
