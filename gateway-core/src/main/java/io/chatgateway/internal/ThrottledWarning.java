package io.chatgateway.internal;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A warning that may repeat at a high rate (one per connection, one per frame): the first occurrence is logged in
 * full, later ones at most once per interval with the number suppressed in between, so a fault that hits every
 * connection does not flood the log. Thread-safe and allocation-free when suppressed.
 */
public final class ThrottledWarning {
    private static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Logger log;
    private final String what;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong nextAllowed;
    private final AtomicLong suppressed = new AtomicLong();

    public ThrottledWarning(Logger log, String what) {
        this(log, what, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    /** A warning logged at most once per {@code interval}, for faults that recur on a schedule of their own. */
    public ThrottledWarning(Logger log, String what, Duration interval) {
        this(log, what, interval.toNanos(), System::nanoTime);
    }

    ThrottledWarning(Logger log, String what, long intervalNanos, LongSupplier nanoClock) {
        this.log = log;
        this.what = what;
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
        this.nextAllowed = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * Logs {@code "<prefix> <what>"} with the cause, unless one was logged less than the interval ago.
     *
     * @return {@code true} when this call logged
     */
    public boolean warn(Object prefix, Throwable cause) {
        long now = nanoClock.getAsLong();
        long next = nextAllowed.get();
        if (now - next < 0 || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return false;
        }
        long skipped = suppressed.getAndSet(0);
        if (skipped == 0) {
            log.warn("{} {}", prefix, what, cause);
        } else {
            log.warn("{} {} ({} more like it since the last report)", prefix, what, skipped, cause);
        }
        return true;
    }
}
