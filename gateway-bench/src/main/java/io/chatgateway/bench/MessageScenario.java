package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What {@code direct} and {@code room} share: connect everyone (and join), then send at a fixed aggregate rate,
 * open loop, for warmup + duration from a start time common to all workers, drain, and check every delivery.
 *
 * <p>With {@code --reconnect-rate} it also drops connections at that rate (see {@link Reconnects}) and judges
 * recovery instead of the plain counts: a reconnect is a disturbance of the same load, not a load of its own, so it
 * is a pair of options of both scenarios rather than a scenario.
 */
abstract class MessageScenario extends Scenario {

    /** The options of a reconnect run, for {@code room} and {@code direct}. */
    static void reconnectSpecs(List<Options.Spec> l) {
        l.add(new Options.Spec("reconnect-rate", "0", "connections dropped per second, spread over all of them, each"
                + " coming back at once with since (0 = none); connection i's attempt k goes to target (i + k) mod n"));
        l.add(new Options.Spec("drop", "fin", "how a connection is dropped: fin (socket closed, no WebSocket close"
                + " handshake) or rst (a TCP reset)"));
    }

    /** The senders whose messages connection {@code i} must receive (in a reconnect run's final judgement). */
    abstract int[] sendersOf(int i, Options o) throws Options.UsageException;

    /** Whether connection {@code i}'s room stream may have holes for good (a publisher's own messages). */
    boolean holesAllowed(int i, Options o) throws Options.UsageException {
        return false;
    }

    static double reconnectRate(Options o) throws Options.UsageException {
        return o.decimal("reconnect-rate", 0);
    }

    @Override
    void validate(Options o, Settings s) throws Options.UsageException {
        String drop = o.string("drop");
        if (!drop.equals("fin") && !drop.equals("rst")) {
            throw new Options.UsageException("--drop: " + drop + " (expected: fin or rst)");
        }
        if (reconnectRate(o) > 0 && s.connectionsPerUser() != 1) {
            throw new Options.UsageException("--reconnect-rate needs --connections-per-user 1 (each client resumes"
                    + " its own streams)");
        }
    }

    /** Whether connection {@code i} sends. */
    abstract boolean isSender(int i, Options o) throws Options.UsageException;

    /** Number of senders in the whole run. */
    abstract int senders(Options o) throws Options.UsageException;

    /** The frame prefix sender {@code i} sends with (a send to its partner, a publish to its room). */
    abstract byte[] prefix(Worker w, int i, Options o) throws Options.UsageException;

    /** Prepares the worker before connecting (e.g. the room each connection joins). */
    void configure(Worker w, Options o) throws Options.UsageException {
    }

    /**
     * Worker side: starts what the scenario does beside sending while the run lasts (from {@code t0} to
     * {@code end}); closed once sending has finished. Nothing by default.
     */
    AutoCloseable during(Worker w, Options o, List<BenchClient> ready, long t0, long end) throws Exception {
        return () -> { };
    }

    /** Coordinator side: the same for the coordinator (e.g. sampling the gateway's memory). Nothing by default. */
    AutoCloseable during(Run run, long t0, long measureFrom, long end) throws Exception {
        return () -> { };
    }

    /** Adds the scenario's own metrics from the totals. */
    abstract void metrics(Run run, Result r, Totals t, double seconds) throws Options.UsageException;

    @Override
    void work(Worker w, Options o) throws Exception {
        int n = connections(o);
        configure(w, o);
        boolean reconnecting = reconnectRate(o) > 0;
        if (reconnecting) {
            w.enableReconnects(o.string("drop").equals("rst"));
            w.publisherOf = i -> {
                try {
                    return holesAllowed(i, o);
                } catch (Options.UsageException e) {
                    throw new IllegalArgumentException(e);
                }
            };
        }
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
        if (reconnecting) {
            w.reconnects.start(ready, reconnectRate(o) * mine.size() / n, t0, end);
        }
        double share = w.settings.rate() * mySenders / Math.max(1, senders(o));
        try (AutoCloseable beside = during(w, o, ready, t0, end)) {
            if (share > 0 && !senders.isEmpty()) {
                CountDownLatch done = w.send(senders, share, t0, end);
                long bound = end - System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                if (!done.await(bound, TimeUnit.NANOSECONDS)) {
                    throw new IllegalStateException("senders did not finish within 60 s of the end of the run");
                }
            } else {
                Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
            }
        }
        ObjectNode cpuUsed = cpu.finish();
        if (reconnecting) {
            List<BenchClient> all = w.clients();
            drainReconnects(w, all);
            w.reconnects.settle(all, TimeUnit.SECONDS.toNanos(10));
            JsonNode sent = w.barrier("senders", w.reconnects.senders(all));
            w.reconnects.judge(all, sent, i -> {
                try {
                    return sendersOf(i, o);
                } catch (Options.UsageException e) {
                    throw new IllegalArgumentException(e);
                }
            });
        } else {
            drain(w);
        }
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
                    // A reading now, thrown away: the first one links its string concatenation (invokedynamic,
                    // some tens of ms of class spinning) and should not do that on the bench's core at fromNanos.
                    Limits.cpuNanos(pid);
                    sleepUntil(fromNanos);
                    start.complete(new long[] {Limits.cpuNanos(pid), w.stats.get(Stats.Counter.RECEIVED),
                        w.stats.get(Stats.Counter.SENT)});
                    sleepUntil(untilNanos);
                    end.complete(new long[] {Limits.cpuNanos(pid), w.stats.get(Stats.Counter.RECEIVED),
                        w.stats.get(Stats.Counter.SENT)});
                } catch (InterruptedException e) {
                    start.complete(new long[] {-1, -1, -1});
                    end.complete(new long[] {-1, -1, -1});
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
                r.put("sent", b[2] - a[2]);
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
        AutoCloseable beside = during(run, t0, measureFrom, end);
        run.timeline.phase("warmup");
        // A reading thrown away: every reading below goes through Limits.cpuNanos, whose first call links its
        // string concatenation (see CpuMark); that belongs before the window opens.
        Limits.cpuNanos(ProcessHandle.current().pid());
        sleepUntil(measureFrom);
        run.timeline.phase("measure");
        List<Long> pids = run.settings.serverPids();
        long gatewayCpuStart = cpuOf(pids);
        long broker = run.settings.brokerPid();
        long brokerCpuStart = broker > 0 ? Limits.cpuNanos(broker) : -1;
        sleepUntil(end);
        beside.close();
        long gatewayCpuEnd = cpuOf(pids);
        long gatewayCpu = gatewayCpuStart >= 0 && gatewayCpuEnd >= 0 ? gatewayCpuEnd - gatewayCpuStart : -1;
        long brokerCpu = brokerCpuStart >= 0 && Limits.cpuNanos(broker) >= 0
                ? Limits.cpuNanos(broker) - brokerCpuStart : -1;
        boolean reconnecting = reconnectRate(run.options) > 0;
        boolean settled;
        if (reconnecting) {
            settled = drainReconnects(run);
            run.timeline.phase("judge");
            ObjectNode senders = object();
            for (JsonNode part : run.cluster.await("senders", PHASE_TIMEOUT)) {
                senders.setAll((ObjectNode) part);
            }
            run.cluster.release("senders", senders);
        } else {
            settled = drain(run);
        }
        List<JsonNode> finals = run.cluster.meet("final", PHASE_TIMEOUT, null);
        long benchCpu = 0;
        long receivedInWindow = 0;
        long sentInWindow = 0;
        for (JsonNode f : finals) {
            sentInWindow += f.path("measure_cpu").path("sent").asLong(0);
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
        brokerRows(r, sentInWindow, receivedInWindow, brokerCpu, seconds);
        r.row("totals", String.format(Locale.ROOT, "sent %,d  acked %,d (recipients %,d)  delivered %,d unique",
                t.get("sent"), t.get("acks"), t.get("ack_recipients"), t.get("unique")));
        connectChecks(r, t, n);
        if (reconnecting) {
            reconnectChecks(r, t, settled ? null : run.settings.drain(),
                    (run.settings.warmup().toNanos() + run.settings.duration().toNanos()) / 1e9,
                    run.options.string("drop"));
        } else {
            messageChecks(r, t, settled ? null : run.settings.drain());
        }
        countsByReason(r, t);
        r.histograms.put("connect_latency", t.connect);
    }

    /**
     * The worker side of {@link #drainReconnects(Run)}: waits for the answers still due, then reports until the
     * coordinator says the run has settled.
     */
    static void drainReconnects(Worker w, List<BenchClient> clients) throws InterruptedException {
        w.awaitAnswered(System.nanoTime() + w.settings.drain().toNanos());
        for (;;) {
            ObjectNode report = w.drainReport();
            report.put("reconnecting", w.reconnects.pending(clients));
            JsonNode d = w.barrier("drain", report);
            if (!d.path("again").asBoolean()) {
                return;
            }
            Thread.sleep(500);
        }
    }

    /**
     * After sending in a reconnect run: waits until no client is still coming back, every message sent on a
     * connection that stayed is answered, and nothing has arrived for a second (deliveries of a recovered stream
     * are not counted in advance by any ack), or until {@code --drain} has passed.
     *
     * @return whether it settled
     */
    static boolean drainReconnects(Run run) throws Exception {
        run.timeline.phase("drain");
        long deadline = System.nanoTime() + run.settings.drain().toNanos();
        long lastReceived = -1;
        int quiet = 0;
        for (;;) {
            List<JsonNode> reports = run.cluster.await("drain", PHASE_TIMEOUT);
            long pending = sum(reports, "reconnecting");
            long unanswered = sum(reports, "sent") - sum(reports, "acks") - sum(reports, "errors")
                    - sum(reports, "unknown_sends");
            long received = sum(reports, "received");
            quiet = received == lastReceived ? quiet + 1 : 0;
            lastReceived = received;
            boolean settled = pending == 0 && unanswered <= 0 && quiet >= 2;
            boolean done = settled || System.nanoTime() > deadline;
            ObjectNode d = object();
            d.put("again", !done);
            run.cluster.release("drain", d);
            if (done) {
                return settled;
            }
        }
    }

    /** The checks of a reconnect run, and its rows: what was dropped, what came back, what each client saw. */
    static void reconnectChecks(Result r, Totals t, Duration drainCutShort, double sendingSeconds, String drop) {
        long reconnects = t.get("reconnects");
        r.metrics.put("reconnects", reconnects);
        r.metrics.put("reconnects_per_second", Math.round(reconnects / Math.max(1e-9, sendingSeconds)));
        r.metrics.put("room_recovered", t.get("room_recovered"));
        r.metrics.put("room_not_recovered", t.get("room_not_recovered"));
        r.metrics.put("inbox_recovered", t.get("inbox_recovered"));
        r.metrics.put("inbox_not_recovered", t.get("inbox_not_recovered"));
        r.metrics.put("replayed", t.get("replayed"));
        r.metrics.put("new_epochs", t.get("new_epochs"));
        r.metrics.put("offsets_lost", t.get("offset_lost"));
        r.metrics.put("acked_lost", t.get("acked_lost"));
        r.metrics.put("offset_duplicates", t.get("offset_duplicates"));
        r.metrics.put("duplicates", t.get("duplicates"));
        r.metrics.put("offset_out_of_order", t.get("offset_out_of_order"));
        r.metrics.put("out_of_order", t.get("out_of_order"));
        r.row("reconnects", String.format(Locale.ROOT, "%,d connections dropped (%s) and back, %.0f/s over %.0f s of"
                        + " sending; %,d attempts failed, %,d clients gave up; %,d drops passed over (client still"
                        + " coming back)", reconnects, drop, reconnects / Math.max(1e-9, sendingSeconds),
                sendingSeconds, t.get("reconnect_failures"), t.get("reconnects_abandoned"), t.get("drops_skipped")));
        r.row("recovered", String.format(Locale.ROOT, "rooms: %,d recovered: true, %,d recovered: false; inboxes:"
                        + " %,d true, %,d false; %,d messages replayed; %,d new epochs; %,d resumes without a"
                        + " position (no history)", t.get("room_recovered"), t.get("room_not_recovered"),
                t.get("inbox_recovered"), t.get("inbox_not_recovered"), t.get("replayed"), t.get("new_epochs"),
                t.get("blind_resumes")));
        latencyRows(r, "reconnect_latency", "drop to recovered: true", t.reconnect);
        r.row("offsets", String.format(Locale.ROOT, "%,d offsets delivered once in order of their stream; %,d"
                        + " excused by recovered: false (counted neither delivered nor lost)",
                t.get("offset_unique"), t.get("offsets_excused")));
        r.row("acknowledged", String.format(Locale.ROOT, "%,d deliveries owed for acknowledged messages, %,d made;"
                        + " %,d clients not judged (a new epoch or no history: what they missed cannot be sized)",
                t.get("acked_expected"), t.get("acked_delivered"), t.get("acked_unjudged")));
        r.row("sends", String.format(Locale.ROOT, "%,d unanswered when their connection was dropped (owed to nobody);"
                        + " %,d sent by another sender while theirs came back, %,d not sent (no sender there); %,d"
                        + " reorders of messages unanswered at a drop", t.get("unknown_sends"), t.get("sends_reassigned"),
                t.get("send_skipped"), t.get("out_of_order_excused")));
        String cut = drainCutShort == null ? "" : String.format(Locale.ROOT, " (the %ds drain ended before the run"
                + " settled: lost, or still queued behind a backlog; raise --drain to tell which)",
                drainCutShort.toSeconds());
        long offsetsLost = t.get("offset_lost");
        long ackedLost = t.get("acked_lost");
        r.check("lost: offsets never delivered (beyond what recovered: false excused)", offsetsLost == 0,
                String.format(Locale.ROOT, "%,d", offsetsLost) + (offsetsLost > 0 ? cut : ""));
        r.check("lost: acknowledged messages that never reached a member (beyond what recovered: false excused)",
                ackedLost == 0, String.format(Locale.ROOT, "%,d", ackedLost) + (ackedLost > 0 ? cut : ""));
        r.check("duplicated: offsets delivered twice, or at or below an answer's position", t.get("offset_duplicates"));
        r.check("duplicated: messages (per-sender sequence)", t.get("duplicates"));
        r.check("out of order: offsets", t.get("offset_out_of_order"));
        r.check("out of order: messages of one sender (accepted in order)", t.get("out_of_order"));
        r.check("recovered: true after a gap (replay not since+1 .. the answer's offset)", t.get("false_recoveries"));
        r.check("messages replayed before a recovered: false", t.get("replayed_unrecovered"));
        r.check("answers below an offset already delivered", t.get("inconsistent_answers"));
        r.check("messages without an offset, invalid sequence numbers", t.get("offset_invalid") + t.get("invalid"));
        r.check("delivered although the sender got an error",
                t.get("delivered_despite_error") + t.get("delivered_despite_unavailable"));
        r.check("latest offset not answered at the end", t.get("history_unanswered"));
        r.check("sends without ack or error (on connections that stayed)",
                Math.max(0, t.get("sent") - t.get("acks") - t.get("errors") - t.get("unknown_sends")));
        r.check("clients that could not come back", t.get("reconnects_abandoned"));
        r.check("error replies", t.get("errors"));
        r.check("unexpected frames", t.get("unexpected"));
        r.check("connections kicked", t.get("kicked"));
        r.check("connections closed by the gateway", t.get("closed"));
        long unrecovered = t.get("room_not_recovered") + t.get("inbox_not_recovered");
        if (unrecovered > 0) {
            r.notes.add(unrecovered + " resumes answered recovered: false: the gateway no longer held what they"
                    + " missed (history-size, inbox-size, the TTLs or the replay's size bound); their messages are"
                    + " excluded from 'lost' because the gateway said so");
        }
        if (t.get("new_epochs") > 0) {
            r.notes.add(t.get("new_epochs") + " times a stream came back in a new epoch: the gateway lost its history");
        }
        if (reconnects == 0) {
            r.notes.add("no connection was dropped: raise --duration or --reconnect-rate");
        }
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

    /** The CPU time of these processes together, or -1 when there are none or one cannot be read. */
    static long cpuOf(List<Long> pids) {
        if (pids.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (long pid : pids) {
            long c = Limits.cpuNanos(pid);
            if (c < 0) {
                return -1;
            }
            sum += c;
        }
        return sum;
    }

    /** The broker's CPU over the measuring window, per message sent (a publish, a send) and per delivery. */
    static void brokerRows(Result r, long sent, long delivered, long brokerCpu, double seconds) {
        if (brokerCpu < 0 || sent <= 0) {
            return;
        }
        double perMessage = brokerCpu / 1000.0 / sent;
        r.metrics.put("broker_cpu_us_per_message", Math.round(perMessage * 100) / 100.0);
        r.metrics.put("broker_cpu_cores_used", Math.round(brokerCpu / 1e9 / seconds * 100) / 100.0);
        r.metrics.put("broker_messages_in_window", sent);
        String perDelivery = "";
        if (delivered > 0) {
            double d = brokerCpu / 1000.0 / delivered;
            r.metrics.put("broker_cpu_us_per_delivery", Math.round(d * 100) / 100.0);
            perDelivery = String.format(Locale.ROOT, ", %.2f us per delivery", d);
        }
        r.row("broker CPU", String.format(Locale.ROOT, "%.2f us per message sent (%,d in the window)%s (%.2f cores"
                + " busy)", perMessage, sent, perDelivery, brokerCpu / 1e9 / seconds));
    }

    static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
