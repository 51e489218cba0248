package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The websocket-shootout method (hashrocket/websocket-shootout): clients in one room, stepped up in increments;
 * at each step C publishers broadcast at the same moments, and what counts is the time until the <em>last</em>
 * member has each message. The result is the largest client count whose chosen percentile of that time stays under
 * the limit.
 */
final class CapacityScenario extends Scenario {
    /** The cores the bench's processes may use (their affinity: the workers inherit the coordinator's). */
    private static final int BENCH_CORES = Runtime.getRuntime().availableProcessors();

    @Override
    String name() {
        return "capacity";
    }

    @Override
    String description() {
        return "clients in one room stepped up; C publishers; largest count whose p95 time-to-last-member < limit";
    }

    @Override
    String about() {
        return "The websocket-shootout method. All clients join one room. Starting at --start clients and adding\n"
                + "--step at a time up to --max, each step has --publishers members publish --samples messages each,\n"
                + "all publishers at the same moments, --interval apart. For every message the bench takes the time\n"
                + "from its intended publish to its arrival at the LAST member (across all bench processes); the\n"
                + "step passes when the --percentile of those times is under --limit and every acknowledged\n"
                + "recipient got it. Reports the largest client count that passed, and every step.\n"
                + "Each join announces 'joined' to everyone already in the room, N^2/2 frames for N clients, which\n"
                + "at 15,000 clients would dwarf the measurement; so by default 100 connections share one user\n"
                + "(--connections-per-user), which needs the gateway started with sessions=multi and\n"
                + "max-sessions-per-user >= 100. --connections-per-user 1 measures the announcements too.\n"
                + "With --server-pid it also reads the server's memory as it stands, nothing forced (no GC, no NMT),\n"
                + "before the first client and after every step: RSS (/proc/PID/status), and from the gateway's\n"
                + "/metrics (--metrics-url) heap used and committed and Netty's direct memory; RSS growth per client\n"
                + "is (RSS at the step - RSS before the first client) / clients. And the server's CPU (/proc/PID/stat)\n"
                + "over each step's publishes, per delivery. Any server speaking the minimal protocol can be measured\n"
                + "so (gateway-bench/peers/: Node ws and socket.io, sio:// targets).\n"
                + "Each step also reports the CPU one round of publishes (the publishers' messages of one moment) took\n"
                + "the server (with --server-pid) and the bench's own processes, per core each may use (taskset):\n"
                + "a round cannot reach its last member sooner than either side can do its work, so the summary names\n"
                + "the busier side at the last step and how much of its percentile that explains. When it is the\n"
                + "clients, a cheaper server cannot show a larger capacity on these cores: give the bench more cores,\n"
                + "or run it on another machine.";
    }

    @Override
    List<Options.Spec> specs() {
        List<Options.Spec> l = common(null, "2000", "0s", "0");
        l.removeIf(s -> s.name().equals("duration") || s.name().equals("rate") || s.name().equals("warmup")
                || s.name().equals("connections-per-user"));
        l.add(new Options.Spec("duration", "0s", "(not used: steps decide the length)"));
        l.add(new Options.Spec("rate", "0", "(not used: --samples and --interval decide the load)"));
        l.add(new Options.Spec("warmup", "0s", "(not used: the first step warms up)"));
        l.add(new Options.Spec("connections-per-user", "100", "connections sharing one user id (the gateway needs sessions=multi for > 1)"));
        l.add(new Options.Spec("warmup-rounds", "1", "unmeasured rounds of publishes before the first step (JIT warm-up)"));
        l.add(new Options.Spec("start", "1000", "clients in the first step"));
        l.add(new Options.Spec("step", "1000", "clients added per step"));
        l.add(new Options.Spec("max", "15000", "most clients"));
        l.add(new Options.Spec("publishers", "4", "concurrent publishers (members of the room)"));
        l.add(new Options.Spec("samples", "10", "messages each publisher sends per step"));
        l.add(new Options.Spec("interval", "500ms", "time between a publisher's messages"));
        l.add(new Options.Spec("limit", "250ms", "a step passes while the percentile below stays under this"));
        l.add(new Options.Spec("percentile", "95", "percentile of time-to-last-member compared with --limit"));
        l.add(new Options.Spec("metrics-url", "auto", "with --server-pid: the server's Prometheus scrape for heap and direct memory; auto = http://HOST:PORT/metrics of a ws:// target, none = RSS only"));
        return l;
    }

    @Override
    int connections(Options o) throws Options.UsageException {
        return o.intValue("max", 2, 10_000_000);
    }

    @Override
    void validate(Options o, Settings s) throws Options.UsageException {
        int start = o.intValue("start", 2, 10_000_000);
        if (start > connections(o)) {
            throw new Options.UsageException("--start " + start + " is above --max " + connections(o));
        }
        if (o.intValue("publishers", 1, 1000) >= start) {
            throw new Options.UsageException("--publishers must be fewer than --start");
        }
    }

    @Override
    void work(Worker w, Options o) throws Exception {
        String room = w.settings.userPrefix() + "-capacity";
        byte[] publish = Frames.publishPrefix(room);
        int publishers = o.intValue("publishers", 1, 1000);
        w.roomOf = i -> room;
        w.trackArrivals();
        w.measureFrom = Long.MIN_VALUE;
        w.measureUntil = Long.MAX_VALUE;
        List<BenchClient> pubs = new ArrayList<>();
        int opened = 0;
        ObjectNode report = object();
        for (;;) {
            JsonNode cmd = w.barrier("step", report);
            String action = cmd.path("action").asText();
            if (action.equals("grow")) {
                int total = cmd.get("total").asInt();
                List<BenchClient> ready = w.open(w.myIndices(opened, total), w.settings.connectRate() / w.count);
                for (BenchClient c : ready) {
                    if (c.index < publishers) {
                        c.sendPrefix = publish;
                        pubs.add(c);
                    }
                }
                opened = total;
                report = w.openReport(ready);
            } else if (action.equals("measure")) {
                long t0 = cmd.get("t0").asLong();
                int samples = cmd.get("samples").asInt();
                long interval = cmd.get("interval_nanos").asLong();
                for (BenchClient c : pubs) {
                    for (int j = 0; j < samples; j++) {
                        long intended = t0 + j * interval;
                        c.channel.eventLoop().schedule(() -> w.sendOne(c, intended),
                                Math.max(0, intended - System.nanoTime()), TimeUnit.NANOSECONDS);
                    }
                }
                MessageScenario.sleepUntil(t0 + samples * interval);
                for (;;) {
                    JsonNode again = w.barrier("measured", arrivals(w));
                    if (!again.path("again").asBoolean()) {
                        break;
                    }
                    Thread.sleep(100);
                }
                w.trackArrivals();
                w.published.clear();
                report = object();
            } else {
                break;
            }
        }
        w.barrier("final", w.totals());
    }

    private static ObjectNode arrivals(Worker w) {
        ObjectNode r = object();
        ArrayNode a = r.putArray("arrivals");
        w.arrivals.forEach((k, v) -> a.addArray().add(k).add(v.latest.get()).add(v.count.sum()));
        ArrayNode p = r.putArray("published");
        for (long[] x : w.published) {
            p.addArray().add(x[0]).add(x[1]).add(x[2]).add(x[3]);
        }
        return r;
    }

    @Override
    void coordinate(Run run, Result r) throws Exception {
        Options o = run.options;
        int start = o.intValue("start", 2, 10_000_000);
        int step = o.intValue("step", 1, 10_000_000);
        int max = connections(o);
        int publishers = o.intValue("publishers", 1, 1000);
        int samples = o.intValue("samples", 1, 100_000);
        Duration interval = o.duration("interval", Duration.ofMillis(1));
        Duration limit = o.duration("limit", Duration.ofMillis(1));
        double percentile = o.decimal("percentile", 1);
        String pLabel = Histograms.label(percentile);

        List<Map<String, Object>> steps = new ArrayList<>();
        Histogram passing = null;
        int best = 0;
        String stopReason = "reached --max";
        run.cluster.await("step", PHASE_TIMEOUT);
        long pid = run.settings.serverPid();
        MemoryProbe probe = pid > 0 ? new MemoryProbe(pid) : null;
        java.net.URI metricsUrl = metricsUrl(o.string("metrics-url"), run.settings.target());
        MemoryProbe.Snapshot baseline = probe == null ? null : probe.snapshot(metricsUrl);
        if (baseline != null) {
            r.extra.put("memory_baseline", baseline.toMap());
            for (String problem : baseline.problems()) {
                r.notes.add("memory: " + problem);
            }
        }
        int n = start;
        for (;;) {
            run.timeline.phase("grow " + n);
            ObjectNode grow = object();
            grow.put("action", "grow");
            grow.put("total", n);
            run.cluster.release("step", grow);
            List<JsonNode> grown = run.cluster.await("step", PHASE_TIMEOUT);
            long held = sum(grown, "held");
            if (sum(grown, "replaced") > 0) {
                stopReason = "connections were kicked 'replaced': start the gateway with sessions=multi and"
                        + " max-sessions-per-user >= " + run.settings.connectionsPerUser()
                        + " (or use --connections-per-user 1)";
                r.notes.add(stopReason);
                break;
            }
            if (n == start) {
                int rounds = o.intValue("warmup-rounds", 0, 1000);
                for (int i = 0; i < rounds; i++) {
                    run.timeline.phase("warmup " + n);
                    measure(run, samples, interval, limit, publishers, Histograms.create());
                    run.cluster.await("step", PHASE_TIMEOUT);
                }
            }
            run.timeline.phase("measure " + n);
            Histogram completion = Histograms.create();
            long cpuBefore = pid > 0 ? Limits.cpuNanos(pid) : -1;
            long benchBefore = Limits.benchCpuNanos();
            Map<String, Object> s = measure(run, samples, interval, limit, publishers, completion);
            long cpuAfter = pid > 0 ? Limits.cpuNanos(pid) : -1;
            long benchAfter = Limits.benchCpuNanos();
            s.put("clients", held);
            long deliveries = (long) s.get("deliveries");
            if (cpuBefore >= 0 && cpuAfter >= 0 && deliveries > 0) {
                s.put("server_cpu_us_per_delivery", (cpuAfter - cpuBefore) / 1000.0 / deliveries);
            }
            // What one round of publishes (every publisher's message of one moment) cost each side, per core it may
            // use: the time to the last member of a round cannot be shorter on that side (see RoundCost).
            int serverCores = pid > 0 ? Limits.allowedCpus(pid) : -1;
            if (cpuBefore >= 0 && cpuAfter >= 0 && serverCores > 0) {
                s.put("server_cores", (long) serverCores);
                s.put("server_cpu_ms_per_round", (cpuAfter - cpuBefore) / 1e6 / samples);
            }
            if (benchBefore >= 0 && benchAfter >= 0) {
                s.put("bench_cores", (long) BENCH_CORES);
                s.put("bench_cpu_ms_per_round", (benchAfter - benchBefore) / 1e6 / samples);
            }
            if (probe != null) {
                MemoryProbe.Snapshot m = probe.snapshot(metricsUrl);
                s.put("memory", m.toMap());
                if (m.rssBytes() > 0 && baseline.rssBytes() > 0 && held > 0) {
                    s.put("rss_growth_per_client_bytes", (m.rssBytes() - baseline.rssBytes()) / (double) held);
                }
            }
            double pv = completion.getTotalCount() == 0 ? Double.NaN
                    : Histograms.millis(completion.getValueAtPercentile(percentile));
            s.put(pLabel + "_ms", pv);
            boolean passed = (long) s.get("incomplete") == 0 && (long) s.get("messages") == publishers * (long) samples
                    && pv <= limit.toMillis() && held >= n;
            s.put("passed", passed);
            steps.add(s);
            run.out.printf(Locale.ROOT, "step %,d clients: %s of time-to-last-member %.1f ms (p50 %.1f, max %.1f),"
                            + " %d messages, %d incomplete -> %s%n", held, pLabel, pv, s.get("p50_ms"),
                    s.get("max_ms"), s.get("messages"), s.get("incomplete"), passed ? "pass" : "FAIL");
            if (passed) {
                best = (int) held;
                passing = completion;
            }
            run.cluster.await("step", PHASE_TIMEOUT);
            if (!passed) {
                stopReason = held < n ? "only " + held + " of " + n + " clients connected"
                        : (long) s.get("incomplete") > 0 ? s.get("incomplete") + " messages did not reach every member"
                        : pLabel + " " + pv + " ms over the limit of " + limit.toMillis() + " ms";
                break;
            }
            if (n >= max) {
                break;
            }
            n = Math.min(max, n + step);
        }
        ObjectNode finish = object();
        finish.put("action", "finish");
        run.cluster.release("step", finish);
        Totals t = Totals.merge(run.cluster.meet("final", PHASE_TIMEOUT, null));
        r.totals = t;

        r.metrics.put("max_clients_under_limit", best);
        r.metrics.put("limit_ms", limit.toMillis());
        r.metrics.put("percentile", percentile);
        r.metrics.put("publishers", publishers);
        r.extra.put("steps", steps);
        r.extra.put("stop_reason", stopReason);
        r.row("capacity", String.format(Locale.ROOT, "%,d clients with %s time-to-last-member under %d ms"
                + " (%d publishers); stopped: %s", best, pLabel, limit.toMillis(), publishers, stopReason));
        Map<String, Object> lastStep = steps.isEmpty() ? null : steps.get(steps.size() - 1);
        RoundCost cost = lastStep == null ? null : RoundCost.of(lastStep, pLabel);
        if (cost != null) {
            r.extra.put("busier_side", cost.side());
            Map<String, Object> perCore = new LinkedHashMap<>();
            perCore.put("server", cost.serverMsPerCore());
            perCore.put("clients", cost.benchMsPerCore());
            r.extra.put("busier_side_cpu_ms_per_round_per_core", perCore);
            r.row("busier side at the last step", cost.describe((long) lastStep.get("clients")));
        }
        for (Map<String, Object> s : steps) {
            r.row(String.format(Locale.ROOT, "  step %,d", (long) s.get("clients")), String.format(Locale.ROOT,
                    "p50 %.1f  %s %.1f  p99 %.1f  max %.1f ms, %d incomplete  %s%s", s.get("p50_ms"), pLabel,
                    s.get(pLabel + "_ms"), s.get("p99_ms"), s.get("max_ms"), s.get("incomplete"),
                    (boolean) s.get("passed") ? "pass" : "FAIL", serverColumns(s)));
        }
        if (baseline != null) {
            r.row("server before the first client", memoryColumns(baseline.toMap()));
            Map<String, Object> last = steps.isEmpty() ? null : steps.get(steps.size() - 1);
            if (last != null && last.containsKey("rss_growth_per_client_bytes")) {
                double growth = (double) last.get("rss_growth_per_client_bytes");
                r.metrics.put("rss_growth_per_client_bytes", Math.round(growth));
                r.metrics.put("rss_growth_clients", last.get("clients"));
                r.row("server RSS growth per client", String.format(Locale.ROOT,
                        "%.1f KiB at %,d clients (RSS now - RSS before the first client, / clients)", growth / 1024,
                        (long) last.get("clients")));
            }
            Object cpu = last == null ? null : last.get("server_cpu_us_per_delivery");
            if (cpu != null) {
                r.metrics.put("server_cpu_us_per_delivery", cpu);
            }
        }
        if (passing != null) {
            r.histograms.put("last_passing_step_time_to_last_member", passing);
        }
        latencyRows(r, "latency", "delivery latency (all steps)", t.latency);
        r.histograms.put("connect_latency", t.connect);
        r.check("capacity found", best > 0, String.format(Locale.ROOT, "%,d clients", best));
        messageChecks(r, t, null);
        r.checks.removeIf(c -> c.name().startsWith("connections lost") && t.get("closed") == 0);
        countsByReason(r, t);
    }

    /** The memory and CPU columns of a step's row, when the server was measured. */
    private static String serverColumns(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        Object cpu = s.get("server_cpu_us_per_delivery");
        if (cpu != null) {
            b.append(String.format(Locale.ROOT, "; server %.2f us/delivery", (double) cpu));
        }
        if (s.containsKey("server_cpu_ms_per_round") || s.containsKey("bench_cpu_ms_per_round")) {
            b.append("; CPU per round:");
            if (s.containsKey("server_cpu_ms_per_round")) {
                b.append(String.format(Locale.ROOT, " server %.1f ms on %d core(s)", (double) s.get("server_cpu_ms_per_round"),
                        (long) s.get("server_cores")));
            }
            if (s.containsKey("bench_cpu_ms_per_round")) {
                b.append(String.format(Locale.ROOT, " clients %.1f ms on %d core(s)", (double) s.get("bench_cpu_ms_per_round"),
                        (long) s.get("bench_cores")));
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) s.get("memory");
        if (m != null) {
            b.append("; ").append(memoryColumns(m));
            Object g = s.get("rss_growth_per_client_bytes");
            if (g != null) {
                b.append(String.format(Locale.ROOT, " (+%.1f KiB/client)", (double) g / 1024));
            }
        }
        return b.toString();
    }

    /** RSS, heap used/committed and direct memory, in MiB, as far as they are known. */
    static String memoryColumns(Map<String, Object> m) {
        StringBuilder b = new StringBuilder();
        b.append("RSS ").append(mib(m.get("rss_bytes")));
        if ((long) m.get("heap_committed_bytes") >= 0) {
            b.append(", heap ").append(mib(m.get("heap_used_bytes"))).append(" used of ")
                    .append(mib(m.get("heap_committed_bytes"))).append(" committed");
        }
        if ((long) m.get("direct_bytes") >= 0) {
            b.append(", direct ").append(mib(m.get("direct_bytes")));
        }
        return b.toString();
    }

    private static String mib(Object bytes) {
        long v = (long) bytes;
        return v < 0 ? "?" : String.format(Locale.ROOT, "%.1f MiB", v / 1048576.0);
    }

    /** {@code --metrics-url}: {@code none}, a URL, or {@code auto}: the scrape beside a ws:// target. */
    static java.net.URI metricsUrl(String spec, Target target) {
        if (spec == null || spec.equals("none")) {
            return null;
        }
        if (!spec.equals("auto")) {
            return java.net.URI.create(spec);
        }
        if (!target.isWebSocket() || target.isSocketIo()) {
            return null;
        }
        return java.net.URI.create("http://" + target.host() + ":" + target.port() + "/metrics");
    }

    /** One round: the publishers send, the workers report arrivals until every message is complete or late. */
    private static Map<String, Object> measure(Run run, int samples, Duration interval, Duration limit,
                                               int publishers, Histogram completion) throws Exception {
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        ObjectNode measure = object();
        measure.put("action", "measure");
        measure.put("t0", t0);
        measure.put("samples", samples);
        measure.put("interval_nanos", interval.toNanos());
        run.cluster.release("step", measure);
        long deadline = t0 + samples * interval.toNanos() + Math.max(limit.toNanos() * 8, TimeUnit.SECONDS.toNanos(5));
        for (;;) {
            List<JsonNode> reports = run.cluster.await("measured", PHASE_TIMEOUT);
            completion.reset();
            Map<String, Object> s = judge(reports, completion, publishers * samples);
            boolean done = (long) s.get("incomplete") == 0 || System.nanoTime() > deadline;
            ObjectNode again = object();
            again.put("again", !done);
            run.cluster.release("measured", again);
            if (done) {
                return s;
            }
        }
    }

    /** Time-to-last-member per message, merged over the workers; counts messages that did not reach everyone. */
    private static Map<String, Object> judge(List<JsonNode> reports, Histogram completion, int expectedMessages) {
        Map<Long, long[]> arrivals = new HashMap<>();
        List<long[]> published = new ArrayList<>();
        for (JsonNode r : reports) {
            for (JsonNode a : r.get("arrivals")) {
                long[] v = arrivals.computeIfAbsent(a.get(0).asLong(), k -> new long[] {Long.MIN_VALUE, 0});
                v[0] = Math.max(v[0], a.get(1).asLong());
                v[1] += a.get(2).asLong();
            }
            for (JsonNode p : r.get("published")) {
                published.add(new long[] {p.get(0).asLong(), p.get(1).asLong(), p.get(2).asLong(), p.get(3).asLong()});
            }
        }
        long incomplete = 0;
        long missing = 0;
        long errors = 0;
        for (long[] p : published) {
            if (p[3] < 0) {
                errors++;
                continue;
            }
            long[] a = arrivals.get((p[0] << 32) | p[1]);
            long got = a == null ? 0 : a[1];
            if (got < p[3]) {
                incomplete++;
                missing += p[3] - got;
            } else if (a != null) {
                completion.recordValue(Math.max(0, (a[0] - p[2]) / 1000));
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("messages", (long) published.size());
        s.put("expected_messages", (long) expectedMessages);
        s.put("incomplete", incomplete + errors + Math.max(0, expectedMessages - published.size()));
        s.put("missing_deliveries", missing);
        long deliveries = 0;
        for (long[] p : published) {
            deliveries += Math.max(0, p[3]);
        }
        s.put("deliveries", deliveries);
        s.put("errors", errors);
        boolean any = completion.getTotalCount() > 0;
        s.put("p50_ms", any ? Histograms.millis(completion.getValueAtPercentile(50)) : Double.NaN);
        s.put("p99_ms", any ? Histograms.millis(completion.getValueAtPercentile(99)) : Double.NaN);
        s.put("max_ms", any ? Histograms.millis(completion.getMaxValue()) : Double.NaN);
        return s;
    }
}
