package io.chatgateway.bench;

/**
 * Whether a message's intended time falls in the measured window, decided without a branch.
 *
 * <p>Why no branch: the warm-up exists to compile the bench's hot paths before the measurement, but a test of the
 * window is false for every message of the warm-up, so the JIT compiles its true side as a trap. The first measured
 * message then deoptimizes the send loop and the receive path, and the bench's one core recompiles them (and, for
 * the first time, the latency recorder's paths) while its event loop waits: on a 2-vCPU VM that was 56 compilations
 * in the first measured second and stalls of 5-15 ms on the bench's loop, counted as the gateway's latency. An
 * index computed by arithmetic runs the same instructions on both sides of the window.
 */
final class MeasureWindow {
    private MeasureWindow() {
    }

    /**
     * {@code 0} when {@code t} is in {@code [from, until)}, {@code 1} otherwise, for every {@code long}
     * (so {@code Long.MIN_VALUE..Long.MAX_VALUE} measures everything but {@code Long.MAX_VALUE}, and an empty window
     * nothing).
     */
    static int outside(long t, long from, long until) {
        // In the window iff (t - from) < (until - from), unsigned, both differences wrapping: the range check that
        // holds across the whole long range. The unsigned "less than" as a sign bit, branch-free (Hacker's Delight
        // 2-12).
        long d = t - from;
        long span = until - from;
        long below = ((~d & span) | (~(d ^ span) & (d - span))) >>> 63;
        return 1 - (int) below;
    }
}
