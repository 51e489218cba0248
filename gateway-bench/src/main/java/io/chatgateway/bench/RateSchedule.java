package io.chatgateway.bench;

/**
 * An open-loop schedule, as wrk2 keeps one: event {@code k} is due at {@code start + k / rate}, whatever happened to
 * the events before it. A sender that fell behind (a stall in the bench, the gateway or the kernel) sends the
 * overdue events at once and their latency still counts from the <em>intended</em> time, so a stall cannot hide
 * behind coordinated omission.
 *
 * <p>Events are due in {@code [start, end)}; times are {@link System#nanoTime()} values.
 */
public final class RateSchedule {
    private final long startNanos;
    private final long endNanos;
    private final double nanosPerEvent;
    private final long total;

    /**
     * @param ratePerSecond events per second, &gt; 0
     * @param startNanos    when event 0 is due
     * @param endNanos      no event is due at or after this time
     */
    public RateSchedule(double ratePerSecond, long startNanos, long endNanos) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: > 0)");
        }
        if (endNanos < startNanos) {
            throw new IllegalArgumentException("endNanos " + endNanos + " before startNanos " + startNanos);
        }
        this.startNanos = startNanos;
        this.endNanos = endNanos;
        this.nanosPerEvent = 1e9 / ratePerSecond;
        this.total = countBefore(endNanos);
    }

    /** When event {@code k} is due. */
    public long intendedTime(long k) {
        return startNanos + (long) (k * nanosPerEvent);
    }

    /** Number of events in the schedule. */
    public long total() {
        return total;
    }

    /** Number of events due at {@code nowNanos}: those whose intended time is at or before it. */
    public long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        return Math.min(total, lastAtOrBefore(nowNanos) + 1);
    }

    /** {@code true} once every event is due. */
    public boolean isComplete(long sent) {
        return sent >= total;
    }

    public long startNanos() {
        return startNanos;
    }

    public long endNanos() {
        return endNanos;
    }

    private long countBefore(long t) {
        if (t <= startNanos) {
            return 0;
        }
        // Largest k with intendedTime(k) < t, plus one.
        long k = (long) ((t - startNanos) / nanosPerEvent);
        while (k > 0 && intendedTime(k) >= t) {
            k--;
        }
        while (intendedTime(k + 1) < t) {
            k++;
        }
        return intendedTime(k) < t ? k + 1 : 0;
    }

    private long lastAtOrBefore(long t) {
        long k = (long) ((t - startNanos) / nanosPerEvent);
        while (k > 0 && intendedTime(k) > t) {
            k--;
        }
        while (intendedTime(k + 1) <= t) {
            k++;
        }
        return k;
    }
}
