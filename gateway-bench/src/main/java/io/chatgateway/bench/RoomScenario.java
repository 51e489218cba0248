package io.chatgateway.bench;

import java.util.List;
import java.util.Locale;

/**
 * K rooms of M members; P publishers per room publish at a fixed aggregate rate; fan-out deliveries/s and
 * publish-to-delivery latency.
 */
final class RoomScenario extends MessageScenario {
    @Override
    String name() {
        return "room";
    }

    @Override
    String description() {
        return "K rooms x M members, P publishes/s; fan-out deliveries/s and publish-to-delivery latency";
    }

    @Override
    String about() {
        return "Opens --rooms x --members connections; each joins its room. The first --publishers members of\n"
                + "each room publish; together they send --rate publishes per second, open loop, and every publish\n"
                + "goes to the room's other members, so deliveries/s = rate x (members - 1). Latency counts from\n"
                + "the intended publish time to each member's arrival. Every delivery is checked per publisher for\n"
                + "duplicates and order; recipients acknowledged but never reached count as lost.\n"
                + "Note: each join announces 'joined' to the members already in the room, so setting up a room of\n"
                + "M members costs the gateway M^2/2 frames; with --connections-per-user K (gateway sessions=multi)\n"
                + "K connections share one user and announce once.\n"
                + "With --reconnect-rate R, R connections per second (all of them in turn) are dropped without a\n"
                + "goodbye and come back at once, resuming their inbox (auth since) and room (join since); the run\n"
                + "then proves from every client's offsets and every publisher's sequence numbers that nothing\n"
                + "acknowledged was lost, duplicated or reordered, and measures drop-to-recovered latency.";
    }

    @Override
    List<Options.Spec> specs() {
        List<Options.Spec> l = common(null, "2000", "30s", "300");
        l.add(new Options.Spec("rooms", "10", "rooms"));
        l.add(new Options.Spec("members", "1000", "connections per room"));
        l.add(new Options.Spec("publishers", "5", "publishing members per room (keep rate / (rooms x publishers) under the gateway's per-connection rate limit)"));
        reconnectSpecs(l);
        return l;
    }

    @Override
    int connections(Options o) throws Options.UsageException {
        return Math.multiplyExact(o.intValue("rooms", 1, 100_000), o.intValue("members", 2, 1_000_000));
    }

    @Override
    void validate(Options o, Settings s) throws Options.UsageException {
        super.validate(o, s);
        int members = o.intValue("members", 2, 1_000_000);
        int publishers = o.intValue("publishers", 1, members);
        if (members % s.connectionsPerUser() != 0) {
            throw new Options.UsageException("--members " + members + " must be a multiple of --connections-per-user "
                    + s.connectionsPerUser() + " (a user's connections stay in one room)");
        }
        double perPublisher = s.rate() / (o.intValue("rooms", 1, 100_000) * (double) publishers);
        if (perPublisher > 150) {
            System.err.printf(Locale.ROOT, "WARNING: %.0f publishes/s per publisher; the gateway's default rate limit"
                    + " is 200 frames/s per connection (GATEWAY_RATE_LIMIT_PER_SECOND): add --publishers%n", perPublisher);
        }
    }

    @Override
    void configure(Worker w, Options o) throws Options.UsageException {
        int members = o.intValue("members", 2, 1_000_000);
        String prefix = w.settings.userPrefix();
        w.roomOf = i -> prefix + "-room-" + (i / members);
    }

    @Override
    boolean isSender(int i, Options o) throws Options.UsageException {
        return i % o.intValue("members", 2, 1_000_000) < o.intValue("publishers", 1, 1_000_000);
    }

    @Override
    int[] sendersOf(int i, Options o) throws Options.UsageException {
        int members = o.intValue("members", 2, 1_000_000);
        int publishers = Math.min(members, o.intValue("publishers", 1, 1_000_000));
        int first = i / members * members;
        int[] out = new int[publishers];
        for (int k = 0; k < publishers; k++) {
            out[k] = first + k;
        }
        return out;
    }

    @Override
    boolean holesAllowed(int i, Options o) throws Options.UsageException {
        // The gateway does not send a publisher its own messages live: its room offsets have those holes.
        return isSender(i, o);
    }

    @Override
    int senders(Options o) throws Options.UsageException {
        return o.intValue("rooms", 1, 100_000) * o.intValue("publishers", 1, 1_000_000);
    }

    @Override
    byte[] prefix(Worker w, int i, Options o) {
        return Frames.publishPrefix(w.roomOf.apply(i));
    }

    @Override
    void metrics(Run run, Result r, Totals t, double seconds) throws Options.UsageException {
        double publishes = t.get("measured_sent") / seconds;
        double deliveries = t.get("measured_received") / seconds;
        r.metrics.put("rooms", run.options.intValue("rooms", 1, 100_000));
        r.metrics.put("members", run.options.intValue("members", 2, 1_000_000));
        r.metrics.put("rate_asked", run.settings.rate());
        r.metrics.put("publishes_per_second", Math.round(publishes));
        r.metrics.put("deliveries_per_second", Math.round(deliveries));
        r.row("throughput", String.format(Locale.ROOT,
                "%,.0f publishes/s -> %,.0f deliveries/s (asked %,.0f publishes/s) over %.0f s",
                publishes, deliveries, run.settings.rate(), seconds));
        latencyRows(r, "latency", "publish-to-delivery latency", t.latency);
        tickLatenessRows(r, t);
    }
}
