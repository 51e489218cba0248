package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opens N connections at a controlled rate, authenticates them and holds them idle (pinging at half the heartbeat
 * the gateway announced), then measures what they cost the gateway: connect + auth latency, failures by reason,
 * achieved rate, and with {@code --server-pid} the memory per idle connection.
 */
final class ConnectionsScenario extends Scenario {
    @Override
    String name() {
        return "connections";
    }

    @Override
    String description() {
        return "open N connections at a controlled rate, authenticate, hold; latency, rate, memory per connection";
    }

    @Override
    String about() {
        return "Opens --connections at --connect-rate per second (open loop: each connection's latency counts from\n"
                + "its intended start, so a slow accept queue shows), authenticates each one, then holds them all\n"
                + "for --duration, pinging at half the heartbeat the gateway announced. Reports connect+auth latency\n"
                + "(to the welcome frame), failures by reason, the achieved rate, and connections lost while idle.\n"
                + "With --server-pid it measures the gateway's memory before and with the connections: heap used\n"
                + "after a full GC (jcmd GC.run, GC.heap_info), direct memory (jcmd VM.native_memory: start the\n"
                + "gateway with -XX:NativeMemoryTracking=summary) and RSS (/proc/PID/status), and divides by N.";
    }

    @Override
    List<Options.Spec> specs() {
        List<Options.Spec> l = common("10000", "5000", "10s", "0");
        l.add(new Options.Spec("settle", "2s", "with --server-pid: wait this long after the last connection before measuring"));
        l.add(new Options.Spec("prime", "1000", "with --server-pid: connections opened and closed before the baseline, so that"
                + " the gateway's lazily built state (classes, pools, caches) is in the baseline and not counted per connection"));
        l.add(new Options.Spec("join", "false", "true: every measured connection also joins one room (named after the run's"
                + " prefix) before it counts as ready, so latency and gateway CPU are per connect+auth+join into a room of"
                + " --connections members"));
        l.add(new Options.Spec("room", "", "with --join true: the room to join instead of the run's own, e.g. one that another"
                + " bench process keeps full, to measure joining a room that already has thousands of members"));
        return l;
    }

    @Override
    int connections(Options o) throws Options.UsageException {
        return o.intValue("connections", 1, 10_000_000);
    }

    @Override
    void work(Worker w, Options o) throws Exception {
        int n = connections(o);
        int prime = w.settings.serverPid() > 0 ? Math.min(n, o.intValue("prime", 0, 10_000_000)) : 0;
        if (prime > 0) {
            // Users n.. (not 0..) so that the primed connections never share a user with the measured ones.
            List<BenchClient> primed = w.open(w.myIndices(n, n + prime), w.settings.connectRate() / w.count);
            w.closeAll(primed);
            w.stats.discardConnectLatencies();
            w.barrier("primed", null);
        }
        if (o.flag("join")) {
            String given = o.get("room");
            String room = given == null || given.isEmpty() ? w.settings.userPrefix() + "-room" : given;
            w.roomOf = i -> room;
        }
        List<BenchClient> ready = w.open(w.myIndices(0, n), w.settings.connectRate() / w.count);
        w.barrier("connected", w.openReport(ready));
        w.barrier("held", w.openReport(ready));
        w.barrier("final", w.totals());
    }

    /** CPU nanoseconds of the gateway's event loops, JIT compiler threads and collector threads (-1 unknown). */
    private static long[] threadCpu(long pid) {
        return new long[] {Limits.threadCpuNanos(pid, RefusalsScenario.EVENT_LOOPS),
                Limits.threadCpuNanos(pid, Limits.JIT_THREADS), Limits.threadCpuNanos(pid, Limits.GC_THREADS)};
    }

    @Override
    void coordinate(Run run, Result r) throws Exception {
        int n = connections(run.options);
        MemoryProbe probe = run.settings.serverPid() > 0 ? new MemoryProbe(run.settings.serverPid()) : null;
        MemoryProbe.Sample before = null;
        int prime = probe != null ? Math.min(n, run.options.intValue("prime", 0, 10_000_000)) : 0;
        if (prime > 0) {
            run.timeline.phase("prime");
            run.cluster.await("primed", PHASE_TIMEOUT);
        }
        if (probe != null) {
            run.timeline.phase("baseline");
            Thread.sleep(1000);
            before = probe.sample();
        }
        if (prime > 0) {
            run.cluster.release("primed", null);
        }
        run.timeline.phase("connect");
        long pid = run.settings.serverPid();
        long cpuStart = pid > 0 ? Limits.cpuNanos(pid) : -1;
        long[] threadsStart = pid > 0 ? threadCpu(pid) : null;
        List<JsonNode> opened = run.cluster.meet("connected", PHASE_TIMEOUT, null);
        long gatewayCpu = pid > 0 && cpuStart >= 0 ? Limits.cpuNanos(pid) - cpuStart : -1;
        long[] threads = pid > 0 ? threadCpu(pid) : null;
        long start = opened.stream().mapToLong(j -> j.path("start_nanos").asLong()).min().orElse(0);
        long last = opened.stream().mapToLong(j -> j.path("last_ready_nanos").asLong()).max().orElse(0);
        long ready = sum(opened, "ready");
        double seconds = Math.max(1e-9, (last - start) / 1e9);
        double achieved = ready / seconds;

        run.timeline.phase("hold");
        long holdStart = System.nanoTime();
        MemoryProbe.Sample with = null;
        if (probe != null) {
            Thread.sleep(run.options.duration("settle", java.time.Duration.ZERO).toMillis());
            run.timeline.phase("measure");
            with = probe.sample();
            run.timeline.phase("hold");
        }
        long rest = run.settings.duration().toNanos() - (System.nanoTime() - holdStart);
        if (rest > 0) {
            Thread.sleep(rest / 1_000_000);
        }
        List<JsonNode> held = run.cluster.meet("held", PHASE_TIMEOUT, null);
        long stillHeld = sum(held, "held");
        Totals t = Totals.merge(run.cluster.meet("final", PHASE_TIMEOUT, null));
        r.totals = t;

        r.metrics.put("connections", n);
        r.metrics.put("ready", ready);
        r.metrics.put("held_after_idle", stillHeld);
        r.metrics.put("connect_seconds", seconds);
        r.metrics.put("connects_per_second", Math.round(achieved));
        r.row("connections", String.format(Locale.ROOT, "%,d ready of %,d (%,d still held after %ds idle)", ready, n,
                stillHeld, run.settings.duration().toSeconds()));
        r.row("achieved connect rate", String.format(Locale.ROOT, "%,.0f /s over %.2f s (asked %s /s)", achieved,
                seconds, run.settings.connectRate() == 0 ? "max" : num(run.settings.connectRate())));
        latencyRows(r, "connect_latency", "connect+auth latency", t.connect);
        if (gatewayCpu >= 0 && ready > 0) {
            double us = gatewayCpu / 1000.0 / ready;
            int cores = Runtime.getRuntime().availableProcessors();
            r.metrics.put("gateway_cpu_us_per_connect", Math.round(us));
            r.metrics.put("gateway_ceiling_connects_per_second_on_all_cores", Math.round(cores * 1e6 / us));
            r.row("gateway CPU", String.format(Locale.ROOT, "%.0f us per connect+auth%s; %d dedicated cores would"
                    + " accept ~%,.0f connections/s", us, run.options.flag("join") ? "+join" : "", cores,
                    cores * 1e6 / us));
            if (threadsStart != null && threads != null && threads[0] >= 0 && threadsStart[0] >= 0) {
                // The whole process's figure includes one-time costs: a JIT still compiling the handshake path (on
                // one pinned core it lags the load by seconds) and the collector. The event loops' share is what
                // each further connection costs once the JVM is warm.
                double loops = (threads[0] - threadsStart[0]) / 1000.0 / ready;
                double jit = Math.max(0, threads[1] - threadsStart[1]) / 1000.0 / ready;
                double gc = Math.max(0, threads[2] - threadsStart[2]) / 1000.0 / ready;
                r.metrics.put("gateway_loops_cpu_us_per_connect", Math.round(loops));
                r.metrics.put("gateway_jit_cpu_us_per_connect", Math.round(jit));
                r.metrics.put("gateway_gc_cpu_us_per_connect", Math.round(gc));
                r.row("  of which", String.format(Locale.ROOT, "event loops %.0f us, JIT compilers %.0f us, collector"
                        + " %.0f us, other %.0f us (a fresh JVM's JIT is a one-time cost: BENCH_ROUNDS in bench.sh"
                        + " measures past it)",
                        loops, jit, gc, Math.max(0, us - loops - jit - gc)));
            }
        }
        r.check("connections failed", t.get("connect_failed"));
        r.check("connections ready", ready >= n, String.format(Locale.ROOT, "%,d of %,d", ready, n));
        if (prime > 0) {
            r.notes.add(prime + " connections were opened and closed before the baseline (--prime) and are not in"
                    + " the latency histogram");
        }
        r.check("connections lost while idle", ready - stillHeld);
        r.check("connections kicked", t.get("kicked"));
        r.check("unexpected frames", t.get("unexpected"));
        countsByReason(r, t);
        if (probe != null) {
            memory(r, before, with, stillHeld);
        }
    }

    private static void memory(Result r, MemoryProbe.Sample before, MemoryProbe.Sample with, long n) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("baseline", before.toMap());
        m.put("with_connections", with.toMap());
        m.put("connections", n);
        double heap = perConnection(before.heapUsedBytes(), with.heapUsedBytes(), n);
        double direct = perConnection(before.directBytes(), with.directBytes(), n);
        double rss = perConnection(before.rssBytes(), with.rssBytes(), n);
        double nmt = perConnection(before.nmtCommittedBytes(), with.nmtCommittedBytes(), n);
        m.put("heap_bytes_per_connection", heap);
        m.put("direct_bytes_per_connection", direct);
        m.put("heap_plus_direct_bytes_per_connection", heap >= 0 && direct >= 0 ? heap + direct : -1);
        m.put("rss_bytes_per_connection", rss);
        m.put("nmt_committed_bytes_per_connection", nmt);
        r.extra.put("memory", m);
        r.metrics.put("heap_bytes_per_connection", Math.round(heap));
        r.metrics.put("direct_bytes_per_connection", Math.round(direct));
        r.metrics.put("rss_bytes_per_connection", Math.round(rss));
        r.row("gateway heap after GC", String.format(Locale.ROOT, "%s -> %s: %s per connection",
                mib(before.heapUsedBytes()), mib(with.heapUsedBytes()), bytes(heap)));
        r.row("gateway direct memory", String.format(Locale.ROOT, "%s -> %s: %s per connection",
                mib(before.directBytes()), mib(with.directBytes()), bytes(direct)));
        r.row("heap + direct", heap >= 0 && direct >= 0 ? bytes(heap + direct) + " per connection" : "n/a");
        r.row("gateway RSS", String.format(Locale.ROOT, "%s -> %s: %s per connection",
                mib(before.rssBytes()), mib(with.rssBytes()), bytes(rss)));
        r.row("NMT committed", String.format(Locale.ROOT, "%s -> %s: %s per connection",
                mib(before.nmtCommittedBytes()), mib(with.nmtCommittedBytes()), bytes(nmt)));
        for (String p : before.problems()) {
            r.notes.add("memory (baseline): " + p);
        }
        for (String p : with.problems()) {
            r.notes.add("memory (with connections): " + p);
        }
    }

    private static double perConnection(long before, long after, long n) {
        if (before < 0 || after < 0 || n <= 0) {
            return -1;
        }
        return (after - before) / (double) n;
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String bytes(double b) {
        return b < 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f B (%.2f KiB)", b, b / 1024);
    }
}
