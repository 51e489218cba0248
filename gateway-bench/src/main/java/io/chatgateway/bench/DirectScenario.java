package io.chatgateway.bench;

import java.util.List;
import java.util.Locale;

/**
 * Users in pairs sending to each other at a fixed aggregate rate; delivered/s, latency from the intended send time,
 * and lost, duplicated and out-of-order messages counted.
 */
final class DirectScenario extends MessageScenario {
    @Override
    String name() {
        return "direct";
    }

    @Override
    String description() {
        return "users in pairs sending to each other at a fixed aggregate rate; latency, loss, order";
    }

    @Override
    String about() {
        return "Opens --connections (an even number: connection 2k and 2k+1 are partners) and has every one send\n"
                + "direct messages to its partner; together they send --rate messages per second, open loop (wrk2\n"
                + "style: each message has an intended send time and its latency counts from then, so a stall\n"
                + "anywhere shows as latency instead of hiding as a lower rate). Each body carries the sender, a\n"
                + "per-sender sequence number and the intended time; the receiver checks for duplicates and\n"
                + "reordering, and messages the gateway acknowledged but never delivered count as lost.\n"
                + "--warmup runs the same load before measuring (checked, not timed).\n"
                + "With --reconnect-rate R, R connections per second (all of them in turn) are dropped without a\n"
                + "goodbye and come back at once with auth since (their inbox position); the run then proves from\n"
                + "every inbox's offsets and every sender's sequence numbers that nothing acknowledged was lost,\n"
                + "duplicated or reordered, and measures drop-to-recovered latency (to the welcome).";
    }

    @Override
    List<Options.Spec> specs() {
        List<Options.Spec> l = common("10000", "5000", "30s", "50000");
        reconnectSpecs(l);
        return l;
    }

    @Override
    int connections(Options o) throws Options.UsageException {
        int n = o.intValue("connections", 2, 10_000_000);
        if (n % 2 != 0) {
            throw new Options.UsageException("--connections: " + n + " (direct needs pairs: an even number)");
        }
        return n;
    }

    @Override
    void validate(Options o, Settings s) throws Options.UsageException {
        super.validate(o, s);
        if (reconnectRate(o) > 0 && !s.authByFrame()) {
            throw new Options.UsageException("--reconnect-rate needs --auth frame: an inbox resumes with auth since");
        }
        if (s.connectionsPerUser() != 1) {
            throw new Options.UsageException("direct pairs one user with one other: --connections-per-user must be 1");
        }
    }

    @Override
    boolean isSender(int i, Options o) {
        return true;
    }

    @Override
    int[] sendersOf(int i, Options o) {
        return new int[] {i ^ 1};
    }

    @Override
    int senders(Options o) throws Options.UsageException {
        return connections(o);
    }

    @Override
    byte[] prefix(Worker w, int i, Options o) {
        return Frames.sendPrefix(w.userOf(i ^ 1));
    }

    @Override
    void metrics(Run run, Result r, Totals t, double seconds) {
        double sent = t.get("measured_sent") / seconds;
        double delivered = t.get("measured_received") / seconds;
        r.metrics.put("rate_asked", run.settings.rate());
        r.metrics.put("sent_per_second", Math.round(sent));
        r.metrics.put("delivered_per_second", Math.round(delivered));
        r.row("throughput", String.format(Locale.ROOT, "sent %,.0f msg/s, delivered %,.0f msg/s (asked %,.0f) over %.0f s",
                sent, delivered, run.settings.rate(), seconds));
        latencyRows(r, "latency", "delivery latency", t.latency);
        tickLatenessRows(r, t);
    }
}
