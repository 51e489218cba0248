package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A load scenario: its options, what each worker does ({@link #work}) and what the coordinator does
 * ({@link #coordinate}): phases, barriers, merging and judging the results.
 */
abstract class Scenario {
    /** Generous bound for a barrier: connecting thousands of clients on a busy machine takes a while. */
    static final Duration PHASE_TIMEOUT = Duration.ofMinutes(10);

    abstract String name();

    /** One line for the scenario list. */
    abstract String description();

    /** Paragraph for {@code --help}: what it measures and how. */
    abstract String about();

    abstract List<Options.Spec> specs();

    /** Total connections of the run (all workers). */
    abstract int connections(Options o) throws Options.UsageException;

    /** Checks the scenario's own options before anything starts. */
    void validate(Options o, Settings s) throws Options.UsageException {
    }

    abstract void work(Worker w, Options o) throws Exception;

    abstract void coordinate(Run run, Result result) throws Exception;

    static List<Scenario> all() {
        return List.of(new ConnectionsScenario(), new DirectScenario(), new RoomScenario(), new CapacityScenario(),
                new RefusalsScenario(), new SoakScenario());
    }

    static Scenario byName(String name) {
        for (Scenario s : all()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    /** The options every scenario has; the arguments are this scenario's defaults. */
    static List<Options.Spec> common(String connections, String connectRate, String duration, String rate) {
        List<Options.Spec> l = new ArrayList<>();
        l.add(new Options.Spec("target", "ws://127.0.0.1:8080/ws", "gateway address: ws://HOST:PORT/PATH or tcp://HOST:PORT; several, comma-separated (cluster nodes): connection i uses address i mod n, so direct partners (consecutive connections) are on different nodes"));
        l.add(new Options.Spec("transport", null, "ws or tcp; taken from --target when not given (host:port targets need it)"));
        if (connections != null) {
            l.add(new Options.Spec("connections", connections, "connections to open"));
        }
        l.add(new Options.Spec("connect-rate", connectRate, "new connections per second, open loop (0 = as fast as --max-in-flight allows)"));
        l.add(new Options.Spec("max-in-flight", "1000", "most connections being set up at once"));
        l.add(new Options.Spec("duration", duration, "how long to measure (a duration: 500ms, 30s, 2m)"));
        l.add(new Options.Spec("warmup", "5s", "load before measuring, to warm up the JIT; its messages are still checked"));
        l.add(new Options.Spec("rate", rate, "messages per second, all senders together, open loop"));
        l.add(new Options.Spec("size", "0", "extra bytes of padding in each message body"));
        l.add(new Options.Spec("auth", "frame", "frame (send an auth frame) or handshake (token in the WebSocket URL)"));
        l.add(new Options.Spec("jwt-secret", null, "HS256 secret to mint tokens for a production-mode gateway (default: $GATEWAY_JWT_SECRET; neither set: development-mode tokens = user ids)"));
        l.add(new Options.Spec("user-prefix", null, "prefix of the bench's user ids and room names (default: random per run)"));
        l.add(new Options.Spec("connections-per-user", "1", "connections that share one user id (the gateway needs sessions=multi for > 1)"));
        l.add(new Options.Spec("out", null, "directory for results.json, *.hgrm and report.html"));
        l.add(new Options.Spec("server-pid", null, "pid of the gateway's JVM on this machine: measure its memory (jcmd, /proc); message scenarios take several, comma-separated (cluster nodes), and add up their CPU"));
        l.add(new Options.Spec("broker-pid", null, "message scenarios: pid of the cluster's broker (redis-server) on this machine: its CPU per message over the measuring window"));
        l.add(new Options.Spec("source-addresses", "auto", "spread sockets over 127.0.0.1..N (a count), a list of addresses, or none; auto = 8 for a loopback target"));
        l.add(new Options.Spec("processes", null, "bench processes (default: as many as the per-process file limit needs)"));
        l.add(new Options.Spec("threads", null, "event-loop threads per process (default: cores / processes)"));
        l.add(new Options.Spec("drain", "10s", "after sending, how long to wait for answers and deliveries still on their way"));
        l.add(new Options.Spec("connect-timeout", "10s", "connect, handshake and authentication must finish within this"));
        l.add(new Options.Spec("tick-us", "1000", "period of the senders' schedule ticks, microseconds"));
        l.add(new Options.Spec("quiet", "false", "no progress line each second"));
        return l;
    }

    // ---- shared pieces of the coordinators

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static long sum(List<JsonNode> reports, String field) {
        long n = 0;
        for (JsonNode r : reports) {
            n += r.path(field).asLong();
        }
        return n;
    }

    /**
     * Waits for the answers and deliveries still on their way after sending: until every acknowledged recipient has
     * its message or {@code --drain} has passed.
     *
     * @return whether everything arrived; {@code false} when the drain ran out of time with messages still expected
     */
    static boolean drain(Run run) throws Exception {
        run.timeline.phase("drain");
        long deadline = System.nanoTime() + run.settings.drain().toNanos();
        for (;;) {
            List<JsonNode> reports = run.cluster.await("drain", PHASE_TIMEOUT);
            long expected = sum(reports, "ack_recipients");
            long got = sum(reports, "unique");
            long answered = sum(reports, "acks") + sum(reports, "errors");
            long sent = sum(reports, "sent");
            boolean settled = got >= expected && answered >= sent;
            boolean done = settled || System.nanoTime() > deadline;
            ObjectNode d = object();
            d.put("again", !done);
            run.cluster.release("drain", d);
            if (done) {
                return settled;
            }
        }
    }

    /** The worker side of {@link #drain}. */
    static void drain(Worker w) throws InterruptedException {
        w.awaitAnswered(System.nanoTime() + w.settings.drain().toNanos());
        for (;;) {
            JsonNode d = w.barrier("drain", w.drainReport());
            if (!d.path("again").asBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
    }

    /**
     * The checks every message scenario makes, and the rows of the summary that go with them.
     *
     * @param drainCutShort the {@code --drain} that ran out with messages still expected, else {@code null}: a
     *                      saturated run can end with deliveries still queued, which the bench cannot tell from
     *                      losses, so the check still fails but says so
     */
    static void messageChecks(Result r, Totals t, Duration drainCutShort) {
        long lost = Math.max(0, t.get("ack_recipients") - t.get("unique"));
        long unanswered = Math.max(0, t.get("sent") - t.get("acks") - t.get("errors"));
        String lostDetail = String.format(Locale.ROOT, "%,d", lost);
        if (lost > 0 && drainCutShort != null) {
            lostDetail += String.format(Locale.ROOT, " (not arrived when the %ds drain ended: lost, or still queued "
                    + "behind a backlog; raise --drain to tell which)", drainCutShort.toSeconds());
        }
        r.check("lost (acknowledged recipients that never got the message)", lost == 0, lostDetail);
        r.check("duplicated", t.get("duplicates"));
        r.check("out of order", t.get("out_of_order"));
        r.check("invalid sequence numbers", t.get("invalid"));
        r.check("sends without ack or error", unanswered);
        r.check("error replies", t.get("errors"));
        r.check("unexpected frames", t.get("unexpected"));
        r.check("connections kicked", t.get("kicked"));
        r.check("connections lost during the run", t.get("closed"));
        r.check("sends skipped (connection gone)", t.get("send_skipped"));
        r.metrics.put("lost", lost);
        r.metrics.put("duplicates", t.get("duplicates"));
        r.metrics.put("out_of_order", t.get("out_of_order"));
    }

    static void connectChecks(Result r, Totals t, int expected) {
        r.check("connections failed", t.get("connect_failed"));
        r.check("connections ready", t.get("connected") >= expected,
                String.format(Locale.ROOT, "%,d of %,d", t.get("connected"), expected));
    }

    static String ms(double v) {
        return String.format(Locale.ROOT, "%.2f ms", v);
    }

    static String num(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%,d", (long) v) : String.format(Locale.ROOT, "%,.1f", v);
    }

    /** Adds a latency histogram's percentiles to the metrics and the table. */
    static void latencyRows(Result r, String key, String title, org.HdrHistogram.Histogram h) {
        r.histograms.put(key, h);
        Map<String, Object> s = Histograms.summaryMillis(h);
        r.metrics.put(key, s);
        r.row(title, String.format(Locale.ROOT, "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%,d)",
                ms((double) s.get("p50")), ms((double) s.get("p90")), ms((double) s.get("p99")),
                ms((double) s.get("p99.9")), ms((double) s.get("max")), h.getTotalCount()));
    }

    /**
     * How late the senders' ticks ran in the measured window, when they ran: the bench's own stalls, to read beside
     * the delivery latency (a tail that is also here is the bench's, not the gateway's).
     */
    static void tickLatenessRows(Result r, Totals t) {
        if (t.tickLateness.getTotalCount() > 0) {
            latencyRows(r, "tick_lateness", "bench's own stalls", t.tickLateness);
        }
    }

    static void countsByReason(Result r, Totals t) {
        if (!t.failures.isEmpty()) {
            r.row("connect failures", t.failures.toString());
            r.extra.put("connect_failures", t.failures);
        }
        if (!t.errors.isEmpty()) {
            r.row("error replies", t.errors.toString());
            r.extra.put("errors", t.errors);
        }
        if (!t.kicks.isEmpty()) {
            r.row("kicked", t.kicks.toString());
            r.extra.put("kicks", t.kicks);
        }
        if (!t.unexpected.isEmpty()) {
            r.row("unexpected", t.unexpected.toString());
            r.extra.put("unexpected", t.unexpected);
        }
    }
}
