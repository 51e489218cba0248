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
        JsonNode go = w.barrier("ready", w.openReport(ready));
        long t0 = go.get("t0").asLong();
        long measureFrom = t0 + w.settings.warmup().toNanos();
        long end = measureFrom + w.settings.duration().toNanos();
        w.measureFrom = measureFrom;
        w.measureUntil = end;
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
        drain(w);
        w.barrier("final", w.totals());
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
        run.timeline.phase("warmup");
        sleepUntil(measureFrom);
        run.timeline.phase("measure");
        sleepUntil(end);
        drain(run);
        Totals t = Totals.merge(run.cluster.meet("final", PHASE_TIMEOUT, null));
        r.totals = t;
        double seconds = run.settings.duration().toNanos() / 1e9;
        r.metrics.put("connections", n);
        r.metrics.put("ready", ready);
        r.row("connections", String.format(Locale.ROOT, "%,d ready of %,d (connect p99 %s)", ready, n,
                ms(Histograms.millis(t.connect.getTotalCount() == 0 ? 0 : t.connect.getValueAtPercentile(99)))));
        metrics(run, r, t, seconds);
        r.row("totals", String.format(Locale.ROOT, "sent %,d  acked %,d (recipients %,d)  delivered %,d unique",
                t.get("sent"), t.get("acks"), t.get("ack_recipients"), t.get("unique")));
        connectChecks(r, t, n);
        messageChecks(r, t);
        countsByReason(r, t);
        r.histograms.put("connect_latency", t.connect);
    }

    static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
