package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What {@code direct} and {@code room} share: connect everyone (and join), then send at a fixed aggregate rate,
 * open loop, for warmup + duration from a start time common to all workers, drain, and check every delivery.
 */
abstract class MessageScenario extends Scenario {

    /** Whether connection {@code i} sends. */
    abstract boolean isSender(int i, Options o) throws Options.UsageException;

    /** Number of senders in the whole run. */
    abstract int senders(Options o) throws Options.UsageException;

    /** The frame prefix sender {@code i} sends with (a send to its partner, a publish to its room). */
    abstract byte[] prefix(Worker w, int i, Options o) throws Options.UsageException;

    /** Prepares the worker before connecting (e.g. the room each connection joins). */
    void configure(Worker w, Options o) throws Options.UsageException {
    }

    /** Adds the scenario's own metrics from the totals. */
    abstract void metrics(Run run, Result r, Totals t, double seconds) throws Options.UsageException;

    @Override
    void work(Worker w, Options o) throws Exception {
        int n = connections(o);
        configure(w, o);
        List<Integer> mine = w.myIndices(0, n);
        List<BenchClient> ready = w.open(mine, w.settings.connectRate() / w.count);
        List<BenchClient> senders = new ArrayList<>();
        for (BenchClient c : ready) {
            if (isSender(c.index, o)) {
                c.sendPrefix = prefix(w, c.index, o);
                senders.add(c);
            }
        }
        int mySenders = 0;
        for (int i : mine) {
            if (isSender(i, o)) {
                mySenders++;
            }
        }
        w.awaitQuiet(TimeUnit.MINUTES.toNanos(5));
        JsonNode go = w.barrier("ready", w.openReport(ready));
        long t0 = go.get("t0").asLong();
        long measureFrom = t0 + w.settings.warmup().toNanos();
        long end = measureFrom + w.settings.duration().toNanos();
        w.measureFrom = measureFrom;
        w.measureUntil = end;
        CpuMark cpu = new CpuMark(w, measureFrom, end);
        double share = w.settings.rate() * mySenders / Math.max(1, senders(o));
        if (share > 0 && !senders.isEmpty()) {
            CountDownLatch done = w.send(senders, share, t0, end);
            long bound = end - System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            if (!done.await(bound, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("senders did not finish within 60 s of the end of the run");
            }
        } else {
            Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
        }
        ObjectNode cpuUsed = cpu.finish();
        drain(w);
        ObjectNode totals = w.totals();
        totals.set("measure_cpu", cpuUsed);
        w.barrier("final", totals);
    }

    /**
     * This process's CPU time and the deliveries it received over the measuring window, read by a timer at the
     * window's start and end: the real-time delivery rate, which falls behind the asked rate when the system is
     * saturated (latency then grows), and the CPU per delivery actually made.
     */
    static final class CpuMark {
        private final java.util.concurrent.CompletableFuture<long[]> start = new java.util.concurrent.CompletableFuture<>();
        private final java.util.concurrent.CompletableFuture<long[]> end = new java.util.concurrent.CompletableFuture<>();

        CpuMark(Worker w, long fromNanos, long untilNanos) {
            long pid = ProcessHandle.current().pid();
            Thread t = new Thread(() -> {
                try {
                    sleepUntil(fromNanos);
                    start.complete(new long[] {Limits.cpuNanos(pid), w.stats.get(Stats.Counter.RECEIVED)});
                    sleepUntil(untilNanos);
                    end.complete(new long[] {Limits.cpuNanos(pid), w.stats.get(Stats.Counter.RECEIVED)});
                } catch (InterruptedException e) {
                    start.complete(new long[] {-1, -1});
                    end.complete(new long[] {-1, -1});
                }
            }, "bench-cpu-mark");
            t.setDaemon(true);
            t.start();
        }

        ObjectNode finish() throws InterruptedException {
            ObjectNode r = object();
            try {
                long[] a = start.get(10, TimeUnit.SECONDS);
                long[] b = end.get(10, TimeUnit.SECONDS);
                r.put("cpu_nanos", a[0] < 0 || b[0] < 0 ? -1 : b[0] - a[0]);
                r.put("received", b[1] - a[1]);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                r.put("cpu_nanos", -1);
                r.put("received", -1);
            }
            return r;
        }
    }

    @Override
    void coordinate(Run run, Result r) throws Exception {
        int n = connections(run.options);
        run.timeline.phase("connect");
        List<JsonNode> opened = run.cluster.await("ready", PHASE_TIMEOUT);
        long ready = sum(opened, "ready");
        long replaced = sum(opened, "replaced");
        if (replaced > 0) {
            r.notes.add(replaced + " connections were kicked 'replaced': the gateway runs sessions=single, so"
                    + " --connections-per-user " + run.settings.connectionsPerUser()
                    + " needs it started with sessions=multi and max-sessions-per-user >= that");
        }
        long t0 = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        ObjectNode go = object();
        go.put("t0", t0);
        run.cluster.release("ready", go);
        long measureFrom = t0 + run.settings.warmup().toNanos();
        long end = measureFrom + run.settings.duration().toNanos();
        // Sending starts at t0: the warm-up band begins there, not at the release.
        sleepUntil(t0);
        run.timeline.phase("warmup");
        sleepUntil(measureFrom);
        run.timeline.phase("measure");
        long pid = run.settings.serverPid();
        long gatewayCpuStart = pid > 0 ? Limits.cpuNanos(pid) : -1;
        sleepUntil(end);
        long gatewayCpu = pid > 0 && gatewayCpuStart >= 0 ? Limits.cpuNanos(pid) - gatewayCpuStart : -1;
        boolean settled = drain(run);
        List<JsonNode> finals = run.cluster.meet("final", PHASE_TIMEOUT, null);
        long benchCpu = 0;
        long receivedInWindow = 0;
        for (JsonNode f : finals) {
            long c = f.path("measure_cpu").path("cpu_nanos").asLong(-1);
            benchCpu = benchCpu < 0 || c < 0 ? -1 : benchCpu + c;
            receivedInWindow += f.path("measure_cpu").path("received").asLong(0);
        }
        Totals t = Totals.merge(finals);
        r.totals = t;
        double seconds = run.settings.duration().toNanos() / 1e9;
        r.metrics.put("connections", n);
        r.metrics.put("ready", ready);
        r.row("connections", String.format(Locale.ROOT, "%,d ready of %,d (connect p99 %s)", ready, n,
                ms(Histograms.millis(t.connect.getTotalCount() == 0 ? 0 : t.connect.getValueAtPercentile(99)))));
        metrics(run, r, t, seconds);
        double realTime = receivedInWindow / seconds;
        r.metrics.put("received_per_second_in_window", Math.round(realTime));
        r.row("in real time", String.format(Locale.ROOT, "%,.0f deliveries/s arrived during the window%s", realTime,
                realTime < 0.95 * t.get("measured_received") / seconds
                        ? " (behind the schedule: the system was saturated and latency grew)" : ""));
        cpuRows(r, receivedInWindow, gatewayCpu, benchCpu, seconds);
        r.row("totals", String.format(Locale.ROOT, "sent %,d  acked %,d (recipients %,d)  delivered %,d unique",
                t.get("sent"), t.get("acks"), t.get("ack_recipients"), t.get("unique")));
        connectChecks(r, t, n);
        messageChecks(r, t, settled ? null : run.settings.drain());
        countsByReason(r, t);
        r.histograms.put("connect_latency", t.connect);
    }

    /**
     * CPU cost per delivered message of the gateway and of the bench over the measuring window, and the rate the
     * gateway's cost would allow on the machine's cores if it had them to itself.
     */
    static void cpuRows(Result r, long delivered, long gatewayCpu, long benchCpu, double seconds) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (delivered <= 0) {
            return;
        }
        if (gatewayCpu >= 0) {
            double perMessage = gatewayCpu / 1000.0 / delivered;
            double ceiling = cores * 1e6 / perMessage;
            r.metrics.put("gateway_cpu_us_per_delivery", Math.round(perMessage * 100) / 100.0);
            r.metrics.put("gateway_cpu_cores_used", Math.round(gatewayCpu / 1e9 / seconds * 100) / 100.0);
            r.metrics.put("gateway_ceiling_deliveries_per_second_on_all_cores", Math.round(ceiling));
            r.row("gateway CPU", String.format(Locale.ROOT, "%.2f us per delivery (%.2f cores busy); %d dedicated"
                    + " cores would carry ~%,.0f deliveries/s", perMessage, gatewayCpu / 1e9 / seconds, cores, ceiling));
        }
        if (benchCpu >= 0) {
            double perMessage = benchCpu / 1000.0 / delivered;
            r.metrics.put("bench_cpu_us_per_delivery", Math.round(perMessage * 100) / 100.0);
            r.metrics.put("bench_cpu_cores_used", Math.round(benchCpu / 1e9 / seconds * 100) / 100.0);
            r.row("bench CPU", String.format(Locale.ROOT, "%.2f us per delivery (%.2f cores busy)", perMessage,
                    benchCpu / 1e9 / seconds));
        }
    }

    static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
