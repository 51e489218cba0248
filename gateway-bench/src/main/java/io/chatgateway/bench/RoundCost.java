package io.chatgateway.bench;

import java.util.Locale;
import java.util.Map;

/**
 * What one round of a capacity step cost the server and the clients, and which of them limited it.
 *
 * <p>A round is the publishers' messages of one moment; its time to the last member cannot be shorter than the CPU
 * that round took a side, spread over the cores that side may use (the server's fan-out and the clients' reads
 * both have to happen before the last member has the last message). So the side whose CPU per round per core is
 * larger is the one that bounds the step, and it is the limit when that bound explains at least half of the
 * step's percentile; below that, neither side's CPU accounts for the latency (queueing, scheduling, the network).
 * The rule assumes a side's work spreads over its cores; a server with one event loop per core and a bench with
 * one thread per core do, about.
 */
record RoundCost(double serverMsPerCore, int serverCores, double benchMsPerCore, int benchCores, double percentileMs,
                 String percentileLabel) {
    static final String SERVER = "server";
    static final String CLIENTS = "clients";
    static final String NEITHER = "neither";

    /** From a step's figures, or {@code null} when either side's CPU or the percentile is unknown. */
    static RoundCost of(Map<String, Object> step, String pLabel) {
        Object server = step.get("server_cpu_ms_per_round");
        Object bench = step.get("bench_cpu_ms_per_round");
        Object p = step.get(pLabel + "_ms");
        if (server == null || bench == null || !(p instanceof Double) || ((Double) p).isNaN()) {
            return null;
        }
        int sc = (int) (long) step.get("server_cores");
        int bc = (int) (long) step.get("bench_cores");
        return new RoundCost((double) server / sc, sc, (double) bench / bc, bc, (double) p, pLabel);
    }

    /** {@link #SERVER}, {@link #CLIENTS} or {@link #NEITHER}. */
    String side() {
        double bound = Math.max(serverMsPerCore, benchMsPerCore);
        if (bound < percentileMs / 2) {
            return NEITHER;
        }
        return serverMsPerCore >= benchMsPerCore ? SERVER : CLIENTS;
    }

    /** One line for the summary. */
    String describe(long clients) {
        String costs = String.format(Locale.ROOT, "at %,d clients a round took the server %.1f ms of CPU per core"
                        + " (%d core(s)) and the clients %.1f ms per core (%d core(s)), against a %s of %.1f ms: ", clients,
                serverMsPerCore, serverCores, benchMsPerCore, benchCores, percentileLabel, percentileMs);
        switch (side()) {
            case SERVER:
                return costs + "the server's cores";
            case CLIENTS:
                return costs + "the clients' cores (a cheaper server cannot show more here: give the bench more cores"
                        + " or another machine)";
            default:
                return costs + "neither side's CPU (the time went to waiting: queues, scheduling, the network)";
        }
    }
}
