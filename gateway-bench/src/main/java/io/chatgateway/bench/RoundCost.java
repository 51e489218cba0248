package io.chatgateway.bench;

import java.util.Locale;
import java.util.Map;

/**
 * What one round of a capacity step cost the server and the clients, and which of them was busier.
 *
 * <p>A round is the publishers' messages of one moment; its time to the last member cannot be shorter than the CPU
 * that round took a side, spread over the cores that side may use (the server's fan-out and the clients' reads
 * both have to happen before the last member has the last message). So the side whose CPU per round per core is
 * larger is the one that bounds the step: the busier side. How much of the step's percentile that bound explains
 * is given beside it; the rest is waiting (the two sides' work only partly overlaps, queues, pauses). The rule
 * assumes a side's work spreads over its cores; a server with one event loop per core and a bench with one thread
 * per core do, about.
 */
record RoundCost(double serverMsPerCore, int serverCores, double benchMsPerCore, int benchCores, double percentileMs,
                 String percentileLabel) {
    static final String SERVER = "server";
    static final String CLIENTS = "clients";

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

    /** The busier side: {@link #SERVER} or {@link #CLIENTS}. */
    String side() {
        return serverMsPerCore >= benchMsPerCore ? SERVER : CLIENTS;
    }

    /** The share of the percentile that the busier side's CPU per round per core accounts for. */
    double shareOfPercentile() {
        return Math.max(serverMsPerCore, benchMsPerCore) / percentileMs;
    }

    /** One line for the summary. */
    String describe(long clients) {
        String costs = String.format(Locale.ROOT, "at %,d clients a round took the server %.1f ms of CPU per core"
                        + " (%d core(s)) and the clients %.1f ms per core (%d core(s)); the busier side accounts for %.0f %%"
                        + " of the %s (%.1f ms): ", clients, serverMsPerCore, serverCores, benchMsPerCore, benchCores,
                100 * shareOfPercentile(), percentileLabel, percentileMs);
        return side().equals(SERVER) ? costs + "the server's cores"
                : costs + "the clients' cores (a cheaper server cannot show more here: give the bench more cores or"
                        + " another machine)";
    }
}
