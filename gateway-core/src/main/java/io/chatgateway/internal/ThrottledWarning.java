package io.chatgateway.internal;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A warning that may repeat at a high rate (one per connection, one per frame): the first occurrence is logged in
 * full, later ones at most once per interval with the number suppressed in between, so a fault that hits every
 * connection does not flood the log. Thread-safe and allocation-free when suppressed. A {@link ThrottledLog} at
 * {@link ThrottledLog.Level#WARN}.
 */
public final class ThrottledWarning {
    private final ThrottledLog line;

    public ThrottledWarning(Logger log, String what) {
        this.line = new ThrottledLog(log, ThrottledLog.Level.WARN, what);
    }

    /** A warning logged at most once per {@code interval}, for faults that recur on a schedule of their own. */
    public ThrottledWarning(Logger log, String what, Duration interval) {
        this.line = new ThrottledLog(log, ThrottledLog.Level.WARN, what, interval.toNanos(), System::nanoTime);
    }

    ThrottledWarning(Logger log, String what, long intervalNanos, LongSupplier nanoClock) {
        this.line = new ThrottledLog(log, ThrottledLog.Level.WARN, what, intervalNanos, nanoClock);
    }

    /**
     * Logs {@code "<prefix> <what>"} with the cause, unless one was logged less than the interval ago.
     *
     * @return {@code true} when this call logged
     */
    public boolean warn(Object prefix, Throwable cause) {
        return line.log(prefix, cause);
    }
}
