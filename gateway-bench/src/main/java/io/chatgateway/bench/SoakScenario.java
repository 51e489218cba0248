package io.chatgateway.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A long run of everything at once: room publishes and direct messages at a fixed rate, connections dropped and
 * back with {@code since} (history recovery), presence requests, and churn (short-lived connections of new users),
 * with every message checked as in a reconnect run of {@code room} and {@code direct} (nothing acknowledged lost,
 * duplicated or reordered per sender), and the gateway's memory sampled all along with a verdict on whether it
 * stayed flat. With {@code --outages} it is the load of a chaos run: refusals with {@code unavailable} and
 * connections closed by a dying node are then expected, and counted instead of failing the run.
 */
final class SoakScenario extends MessageScenario {
    /** Growth of a memory series that still counts as flat, over the first third's mean, and at least this much. */
    static final double FLAT_TOLERANCE = 0.10;
    static final double FLAT_SLACK_BYTES = 16 * 1024 * 1024;

    private MemorySampler sampler;

    @Override
    String name() {
        return "soak";
    }

    @Override
    String description() {
        return "everything at once for a long time (rooms, direct, reconnects with since, presence, churn); memory flat?";
    }

    @Override
    String about() {
        return "Opens --rooms x --members connections; each joins its room. In each room the first --publishers\n"
                + "members publish, the next 2 x --direct-pairs members send direct messages to each other in pairs,\n"
                + "the others listen; every sender sends the same share of --rate. Meanwhile --reconnect-rate\n"
                + "connections per second are dropped (--drop) and come back at once with auth since and join since,\n"
                + "--presence-rate presence requests per second go out from the connections, and --churn-rate short\n"
                + "connections per second of new users connect, join a room, stay --churn-hold and close.\n"
                + "At the end every client's offsets and every sender's sequence numbers prove that nothing\n"
                + "acknowledged was lost, duplicated or reordered (a message answered with an error is owed to nobody,\n"
                + "and must not arrive). Every --sample-every the gateway's memory is sampled: heap in use, JVM direct\n"
                + "buffers and Netty's direct memory from its /metrics (--metrics-url, default from the ws targets),\n"
                + "and RSS from /proc for --server-pid; with --sample-gc a full GC first (jcmd), so the heap is what is\n"
                + "live. The verdict compares the last third of the samples after the warm-up with the first third:\n"
                + "flat when it grew by at most 10% (or 16 MiB). The report plots them.\n"
                + "--outages (chaos runs: a node killed, the broker failed over) tolerates what an outage does to a\n"
                + "correct gateway: sends refused with 'unavailable', connections closed by a dying node, churn that\n"
                + "could not connect; it counts them, and the time the gateway took to serve again.";
    }

    @Override
    List<Options.Spec> specs() {
        List<Options.Spec> l = common(null, "500", "30m", "200");
        l.add(new Options.Spec("rooms", "10", "rooms"));
        l.add(new Options.Spec("members", "100", "connections per room"));
        l.add(new Options.Spec("publishers", "2", "publishing members per room"));
        l.add(new Options.Spec("direct-pairs", "5", "pairs of members per room that send direct messages to each other"));
        l.add(new Options.Spec("presence-rate", "10", "presence requests per second (of the connection's room), all connections together"));
        l.add(new Options.Spec("churn-rate", "5", "short-lived connections per second (new users each time)"));
        l.add(new Options.Spec("churn-hold", "2s", "how long a churn connection stays"));
        l.add(new Options.Spec("sample-every", "60s", "period of the gateway memory samples"));
        l.add(new Options.Spec("metrics-url", null, "the nodes' metrics addresses, comma-separated, in the order of --server-pid (default: http://HOST:PORT/metrics of each ws target)"));
        l.add(new Options.Spec("sample-gc", "true", "a full GC of the gateway (jcmd PID GC.run, needs --server-pid) before each memory sample"));
        l.add(new Options.Spec("judge-memory", "true", "fail the run when a memory series grows (false: report the verdicts only, for runs too short to mean anything)"));
        l.add(new Options.Spec("outages", "false", "chaos: tolerate (and count) unavailable refusals, connections closed by the gateway, failed churn"));
        reconnectSpecs(l);
        for (int i = 0; i < l.size(); i++) {
            Options.Spec s = l.get(i);
            if (s.name().equals("reconnect-rate")) {
                l.set(i, new Options.Spec(s.name(), "5", s.help()));
            } else if (s.name().equals("warmup")) {
                l.set(i, new Options.Spec(s.name(), "30s", s.help() + "; memory samples before its end are not judged"));
            } else if (s.name().equals("drain")) {
                l.set(i, new Options.Spec(s.name(), "30s", s.help()));
            }
        }
        return l;
    }

    private static int members(Options o) throws Options.UsageException {
        return o.intValue("members", 2, 1_000_000);
    }

    private static int publishers(Options o) throws Options.UsageException {
        return o.intValue("publishers", 0, 1_000_000);
    }

    private static int pairs(Options o) throws Options.UsageException {
        return o.intValue("direct-pairs", 0, 1_000_000);
    }

    private static int rooms(Options o) throws Options.UsageException {
        return o.intValue("rooms", 1, 100_000);
    }

    @Override
    int connections(Options o) throws Options.UsageException {
        return Math.multiplyExact(rooms(o), members(o));
    }

    @Override
    void validate(Options o, Settings s) throws Options.UsageException {
        super.validate(o, s);
        if (publishers(o) + 2 * pairs(o) > members(o)) {
            throw new Options.UsageException("--publishers + 2 x --direct-pairs: " + (publishers(o) + 2 * pairs(o))
                    + " (expected: at most --members " + members(o) + ")");
        }
        if (publishers(o) + pairs(o) == 0) {
            throw new Options.UsageException("--publishers and --direct-pairs are both 0: nothing would be sent");
        }
        if (!s.authByFrame()) {
            throw new Options.UsageException("soak needs --auth frame: an inbox resumes with auth since");
        }
        if (s.connectionsPerUser() != 1) {
            throw new Options.UsageException("soak needs --connections-per-user 1 (each client resumes its own streams)");
        }
        if (o.flag("outages") && reconnectRate(o) <= 0) {
            throw new Options.UsageException("--outages needs --reconnect-rate > 0: the clients of a killed node come"
                    + " back through the reconnect path");
        }
        o.decimal("presence-rate", 0);
        o.decimal("churn-rate", 0);
        o.duration("churn-hold", Duration.ZERO);
        o.duration("sample-every", Duration.ofMillis(100));
    }

    /** Position of connection {@code i} in its room. */
    private static int member(int i, Options o) throws Options.UsageException {
        return i % members(o);
    }

    private static boolean isPublisher(int i, Options o) throws Options.UsageException {
        return member(i, o) < publishers(o);
    }

    private static boolean isDirect(int i, Options o) throws Options.UsageException {
        int m = member(i, o) - publishers(o);
        return m >= 0 && m < 2 * pairs(o);
    }

    /** The direct partner of connection {@code i} (a direct sender). */
    static int partner(int i, int members, int publishers) {
        int first = i / members * members;
        int k = i - first - publishers;
        return first + publishers + (k ^ 1);
    }

    @Override
    void configure(Worker w, Options o) throws Options.UsageException {
        int members = members(o);
        String prefix = w.settings.userPrefix();
        w.roomOf = i -> prefix + "-room-" + (i / members);
    }

    @Override
    boolean isSender(int i, Options o) throws Options.UsageException {
        return isPublisher(i, o) || isDirect(i, o);
    }

    @Override
    int senders(Options o) throws Options.UsageException {
        return rooms(o) * (publishers(o) + 2 * pairs(o));
    }

    @Override
    int[] sendersOf(int i, Options o) throws Options.UsageException {
        int p = publishers(o);
        int first = i / members(o) * members(o);
        int[] out = new int[p + (isDirect(i, o) ? 1 : 0)];
        for (int k = 0; k < p; k++) {
            out[k] = first + k;
        }
        if (isDirect(i, o)) {
            out[p] = partner(i, members(o), p);
        }
        return out;
    }

    @Override
    boolean holesAllowed(int i, Options o) throws Options.UsageException {
        return isPublisher(i, o);
    }

    @Override
    byte[] prefix(Worker w, int i, Options o) throws Options.UsageException {
        return isPublisher(i, o) ? Frames.publishPrefix(w.roomOf.apply(i))
                : Frames.sendPrefix(w.userOf(partner(i, members(o), publishers(o))));
    }

    @Override
    AutoCloseable during(Worker w, Options o, List<BenchClient> ready, long t0, long end) throws Exception {
        int members = members(o);
        int rooms = rooms(o);
        String prefix = w.settings.userPrefix();
        return SoakActivity.start(w, ready, w.roomOf, k -> prefix + "-room-" + Math.floorMod(k, rooms),
                o.decimal("presence-rate", 0) / w.count, o.decimal("churn-rate", 0) / w.count,
                o.duration("churn-hold", Duration.ZERO).toNanos(), t0, end);
    }

    @Override
    AutoCloseable during(Run run, long t0, long measureFrom, long end) throws Exception {
        List<MemorySampler.Node> nodes = MemorySampler.nodes(run.settings.targets(), run.options.get("metrics-url"),
                run.settings.serverPids());
        boolean gc = run.options.flag("sample-gc") && !run.settings.serverPids().isEmpty();
        sampler = MemorySampler.start(nodes, run.options.duration("sample-every", Duration.ofMillis(100)), gc, t0);
        return sampler;
    }

    @Override
    void coordinate(Run run, Result r) throws Exception {
        super.coordinate(run, r);
        Options o = run.options;
        Totals t = r.totals;
        boolean outages = o.flag("outages");
        r.metrics.put("publishers_per_room", publishers(o));
        r.metrics.put("direct_pairs_per_room", pairs(o));
        long unavailable = t.errors.getOrDefault("unavailable", 0L);
        // A broker that lost its data (a restart, a failover to a replica behind) forgets inboxes: a direct send to
        // a partner between connections is then rightly user_offline.
        long offline = outages ? t.errors.getOrDefault("user_offline", 0L) : 0;
        long otherErrors = t.get("errors") - unavailable - offline;
        r.metrics.put("refused_unavailable", unavailable);
        r.metrics.put("closed_by_gateway", t.get("closed"));
        if (outages) {
            replace(r, "error replies", new Result.Check("error replies other than unavailable and user_offline"
                    + " (refused during the outage, told to the sender, owed to nobody: counted apart)",
                    otherErrors == 0, String.format(Locale.ROOT, "%,d (and %,d unavailable, %,d user_offline)",
                    otherErrors, unavailable, offline)));
            replace(r, "connections closed by the gateway", new Result.Check("connections closed by the gateway"
                    + " (tolerated: a node was killed; they came back to the others)", true,
                    String.format(Locale.ROOT, "%,d", t.get("closed"))));
            // While the broker is away a node still serves its own members (the contract's partial delivery):
            // they may get a message whose sender was told unavailable, and it is kept nowhere, so it has no offset.
            long despite = t.get("delivered_despite_unavailable");
            replace(r, "delivered although the sender got an error", new Result.Check("delivered although the sender"
                    + " got an error other than unavailable (unavailable: local members of the sender's node may have"
                    + " it)", t.get("delivered_despite_error") == 0, String.format(Locale.ROOT,
                    "%,d (and %,d despite unavailable)", t.get("delivered_despite_error"), despite)));
            replace(r, "messages without an offset, invalid sequence numbers", new Result.Check("invalid sequence"
                    + " numbers (messages without an offset, delivered while the broker was away, counted apart)",
                    t.get("invalid") == 0, String.format(Locale.ROOT, "%,d (and %,d without an offset)",
                    t.get("invalid"), t.get("offset_invalid"))));
            r.metrics.put("delivered_despite_unavailable", despite);
            // A broker that lost part of a room's history (restarted empty, or failed over to a replica that was
            // behind) hands out its offsets again: a connection that stayed sees them twice, under other messages.
            // The per-sender sequence numbers still tell a real duplicate, and that check stays.
            long reused = t.get("offset_duplicates");
            replace(r, "duplicated: offsets delivered twice, or at or below an answer's position", new Result.Check(
                    "offsets seen again (counted apart in an outage: reused by a broker that lost history; real"
                    + " duplicates are judged by the per-sender check)", true, String.format(Locale.ROOT, "%,d", reused)));
            long backwards = t.get("offset_out_of_order");
            replace(r, "out of order: offsets", new Result.Check("offsets out of order (counted apart in an outage:"
                    + " the same reuse; real reordering is judged by the per-sender check)", true,
                    String.format(Locale.ROOT, "%,d", backwards)));
            if (reused > 0) {
                r.notes.add(reused + " offsets arrived that a connection had seen already, under other messages (the"
                        + " per-sender check found " + t.get("duplicates") + " duplicates): the broker lost part of a"
                        + " room's or inbox's history and gave its offsets out again"
                        + (t.get("new_epochs") > 0 ? " (" + t.get("new_epochs") + " new epochs were seen)" : ""
                        + " without a new epoch, so a client that trusts offsets would drop those messages"));
            }
            r.metrics.put("delivered_without_offset", t.get("offset_invalid"));
        }
        r.metrics.put("refused_user_offline", offline);
        r.row("refused", String.format(Locale.ROOT, "%,d sends answered unavailable%s (not losses: the sender was"
                + " told); %,d other errors", unavailable, outages ? String.format(Locale.ROOT, ", %,d user_offline",
                offline) : "", otherErrors));

        long asked = t.get("presence_asked");
        long answered = t.get("presence_answered");
        long presenceErrors = t.get("presence_errors");
        r.metrics.put("presence_asked", asked);
        r.metrics.put("presence_answered", answered);
        r.row("presence", String.format(Locale.ROOT, "%,d asked, %,d answered, %,d errors (the rest went with a"
                + " dropped connection)", asked, answered, presenceErrors));
        long presenceOtherErrors = presenceErrors - t.errors.getOrDefault("presence: unavailable", 0L);
        r.check("presence errors" + (outages ? " other than unavailable" : ""),
                outages ? presenceOtherErrors : presenceErrors);
        if (o.decimal("presence-rate", 0) > 0) {
            r.check("presence answered", answered > 0, String.format(Locale.ROOT, "%,d of %,d", answered, asked));
        }

        long churnStarted = t.get("churn_started");
        long churnOpened = t.get("churn_opened");
        long churnFailed = t.get("churn_failed");
        long churnLost = t.get("churn_lost");
        r.metrics.put("churn_opened", churnOpened);
        r.row("churn", String.format(Locale.ROOT, "%,d started, %,d opened, %,d closed by the bench, %,d failed to"
                        + " connect, %,d closed by the gateway; %,d messages received, %,d errors", churnStarted,
                churnOpened, t.get("churn_closed"), churnFailed, churnLost, t.get("churn_received"),
                t.get("churn_errors")));
        if (outages) {
            r.row("churn in the outage", "failures and losses tolerated (--outages)");
        } else {
            r.check("churn connections that failed", churnFailed);
            r.check("churn connections closed by the gateway", churnLost);
        }
        r.check("churn errors", t.get("churn_errors") - (outages ? t.errors.getOrDefault("churn: unavailable", 0L) : 0));
        if (o.decimal("churn-rate", 0) > 0) {
            r.check("churn connections opened", churnOpened > 0, String.format(Locale.ROOT, "%,d", churnOpened));
        }

        disturbances(run, r);
        memory(run, r);
    }

    private static void replace(Result r, String name, Result.Check with) {
        for (int i = 0; i < r.checks.size(); i++) {
            if (r.checks.get(i).name().equals(name)) {
                r.checks.set(i, with);
                return;
            }
        }
        r.checks.add(with);
    }

    /**
     * Stretches of seconds in which the gateway did not serve as usual: answers with an error, or connections
     * closed by it; each one's length is the time it took to serve again. Failed connection attempts are counted
     * in the stretch but do not make one: after a node is killed, every attempt that goes to it fails until the
     * end of the run, while the others serve.
     */
    private static void disturbances(Run run, Result r) {
        List<Map<String, Object>> out = new ArrayList<>();
        double from = -1;
        double last = -1;
        long errors = 0;
        long failures = 0;
        long closed = 0;
        for (Timeline.Point p : run.timeline.points()) {
            long e = p.delta().getOrDefault("errors", 0L);
            long f = p.delta().getOrDefault("reconnect_failures", 0L) + p.delta().getOrDefault("churn_failed", 0L);
            long c = p.delta().getOrDefault("closed", 0L);
            boolean bad = e > 0 || c > 0;
            if (bad) {
                if (from < 0) {
                    from = p.second() - 1;
                }
                last = p.second();
                errors += e;
                failures += f;
                closed += c;
            } else if (from >= 0) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("from_second", from);
                d.put("served_again_second", last);
                d.put("seconds", last - from);
                d.put("errors", errors);
                d.put("failed_attempts", failures);
                d.put("closed_by_gateway", closed);
                out.add(d);
                from = -1;
                errors = failures = closed = 0;
            }
        }
        if (from >= 0) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("from_second", from);
            d.put("served_again_second", null);
            d.put("errors", errors);
            d.put("failed_attempts", failures);
            d.put("closed_by_gateway", closed);
            out.add(d);
        }
        r.extra.put("disturbances", out);
        if (out.isEmpty()) {
            r.row("disturbances", "none (no second with an error or a connection closed by the gateway)");
            return;
        }
        StringBuilder b = new StringBuilder();
        for (Map<String, Object> d : out) {
            if (b.length() > 0) {
                b.append("; ");
            }
            Object again = d.get("served_again_second");
            b.append(String.format(Locale.ROOT, "from %.0f s: %s (%s errors, %s failed attempts, %s closed)",
                    ((Number) d.get("from_second")).doubleValue(),
                    again == null ? "still disturbed at the end" : String.format(Locale.ROOT, "served again after %.0f s",
                            ((Number) d.get("seconds")).doubleValue()),
                    d.get("errors"), d.get("failed_attempts"), d.get("closed_by_gateway")));
        }
        r.row("disturbances", b.toString());
    }

    private void memory(Run run, Result r) throws Options.UsageException {
        MemorySampler s = sampler;
        if (s == null) {
            return;
        }
        List<MemorySampler.Sample> samples = s.samples();
        List<Map<String, Object>> json = new ArrayList<>();
        for (MemorySampler.Sample x : samples) {
            json.add(x.toMap());
        }
        r.extra.put("memory_samples", json);
        if (!s.problems().isEmpty()) {
            r.notes.add("memory sampling: " + String.join("; ", s.problems()));
        }
        double warm = run.settings.warmup().toNanos() / 1e9;
        Map<String, Map<String, List<double[]>>> byNode = new LinkedHashMap<>();
        for (MemorySampler.Sample x : samples) {
            Map<String, List<double[]>> m = byNode.computeIfAbsent(x.node(), k -> new LinkedHashMap<>());
            add(m, s.gc() ? "heap after GC" : "heap used", x.second(), x.heapUsed());
            add(m, "RSS", x.second(), x.rss());
            add(m, "Netty direct", x.second(), x.nettyDirect());
            add(m, "JVM direct buffers", x.second(), x.directBuffers());
        }
        List<Map<String, Object>> verdicts = new ArrayList<>();
        boolean anyJudged = false;
        boolean judgeMemory = run.options.flag("judge-memory");
        for (Map.Entry<String, Map<String, List<double[]>>> node : byNode.entrySet()) {
            for (Map.Entry<String, List<double[]>> series : node.getValue().entrySet()) {
                // A heap read between collections is the sawtooth of allocation, not what is live: no verdict.
                if (series.getKey().equals("heap used")) {
                    continue;
                }
                MemorySampler.Flatness f = MemorySampler.flatness(node.getKey() + " " + series.getKey(),
                        series.getValue(), warm, FLAT_TOLERANCE, FLAT_SLACK_BYTES);
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("series", f.series());
                v.put("samples", f.n());
                v.put("judged", f.judged());
                if (f.judged()) {
                    anyJudged = true;
                    v.put("first_third_bytes", Math.round(f.first()));
                    v.put("last_third_bytes", Math.round(f.last()));
                    v.put("trend_bytes_per_hour", Math.round(f.slopePerHour()));
                    v.put("flat", f.flat());
                    if (judgeMemory) {
                        r.check("memory flat: " + f.series(), f.flat(), f.describe());
                    } else {
                        r.notes.add("not judged (--judge-memory false): " + f.describe());
                    }
                } else {
                    r.notes.add(f.describe());
                }
                verdicts.add(v);
            }
        }
        r.extra.put("memory_verdicts", verdicts);
        if (anyJudged) {
            r.notes.add("memory flat: the mean of the last third of the samples after the warm-up is at most 10% (or"
                    + " 16 MiB) above the mean of the first third");
        }
        r.metrics.put("memory_flat", anyJudged ? verdicts.stream().allMatch(v -> !Boolean.FALSE.equals(v.get("flat")))
                : null);
        r.htmlSections.add(memoryHtml(byNode, samples, s.gc()));
        if (!samples.isEmpty()) {
            r.row("memory", String.format(Locale.ROOT, "%d samples every %s; see memory_samples in results.json",
                    samples.size(), run.options.get("sample-every")));
        }
    }

    private static void add(Map<String, List<double[]>> m, String series, double second, long v) {
        if (v >= 0) {
            m.computeIfAbsent(series, k -> new ArrayList<>()).add(new double[] {second, v});
        }
    }

    /** The memory chart (MiB over minutes) and the table of samples. */
    static String memoryHtml(Map<String, Map<String, List<double[]>>> byNode, List<MemorySampler.Sample> samples,
                             boolean gc) {
        StringBuilder b = new StringBuilder("<h2>Gateway memory</h2>\n<p>Sampled from the gateway's /metrics and"
                + " /proc" + (gc ? ", each sample after a full GC (jcmd GC.run)" : "") + ".</p>\n");
        List<Chart.Series> series = new ArrayList<>();
        double maxX = 0;
        double maxY = 0;
        for (Map.Entry<String, Map<String, List<double[]>>> node : byNode.entrySet()) {
            for (Map.Entry<String, List<double[]>> e : node.getValue().entrySet()) {
                Chart.Series s = new Chart.Series((byNode.size() > 1 ? node.getKey() + " " : "") + e.getKey() + " (MiB)");
                for (double[] p : e.getValue()) {
                    s.add(p[0] / 60, p[1] / (1 << 20));
                    maxX = Math.max(maxX, p[0] / 60);
                }
                maxY = Math.max(maxY, s.maxY());
                series.add(s);
            }
        }
        b.append(Chart.svg("gateway memory over the run", Chart.linear("minutes since the load started", 0, maxX),
                Chart.linear("MiB", 0, maxY), series, List.of()));
        b.append("<table><tr><th>minute</th><th>node</th><th>heap").append(gc ? " after GC" : " used")
                .append(" (MiB)</th><th>RSS (MiB)</th><th>Netty direct (MiB)</th><th>JVM direct buffers (MiB)</th></tr>");
        for (MemorySampler.Sample x : samples) {
            b.append(String.format(Locale.ROOT, "<tr><td>%.1f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                    x.second() / 60, Report.esc(x.node()), mibCell(x.heapUsed()), mibCell(x.rss()),
                    mibCell(x.nettyDirect()), mibCell(x.directBuffers())));
        }
        return b.append("</table>\n").toString();
    }

    private static String mibCell(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f", bytes / (double) (1 << 20));
    }

    @Override
    void metrics(Run run, Result r, Totals t, double seconds) throws Options.UsageException {
        double sent = t.get("measured_sent") / seconds;
        double delivered = t.get("measured_received") / seconds;
        r.metrics.put("rate_asked", run.settings.rate());
        r.metrics.put("sent_per_second", Math.round(sent));
        r.metrics.put("delivered_per_second", Math.round(delivered));
        r.row("throughput", String.format(Locale.ROOT, "%,.0f messages/s sent (publishes and direct), %,.0f"
                + " deliveries/s (asked %,.0f) over %.0f s", sent, delivered, run.settings.rate(), seconds));
        latencyRows(r, "latency", "delivery latency", t.latency);
    }
}
