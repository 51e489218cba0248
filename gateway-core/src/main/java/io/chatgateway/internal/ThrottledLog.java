package io.chatgateway.internal;

import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A log line that may repeat at a high rate (one per connection, one per frame, one per refused socket): the first
 * occurrence is logged, later ones at most once per interval with the number suppressed in between, so that a
 * fault or a flood that hits every connection does not flood the log. Thread-safe and allocation-free when
 * suppressed.
 */
public final class ThrottledLog {
    /** The level the line is logged at. */
    public enum Level {
        INFO, WARN
    }

    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Logger log;
    private final Level level;
    private final String what;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong nextAllowed;
    private final AtomicLong suppressed = new AtomicLong();

    public ThrottledLog(Logger log, Level level, String what) {
        this(log, level, what, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    ThrottledLog(Logger log, Level level, String what, long intervalNanos, LongSupplier nanoClock) {
        this.log = log;
        this.level = level;
        this.what = what;
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
        this.nextAllowed = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * Logs {@code "<prefix> <what>"}, with the cause if there is one, unless a line was logged less than the
     * interval ago.
     *
     * @param cause may be {@code null}
     * @return {@code true} when this call logged
     */
    public boolean log(Object prefix, Throwable cause) {
        if (!isEnabled()) {
            return false;
        }
        long now = nanoClock.getAsLong();
        long next = nextAllowed.get();
        if (now - next < 0 || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return false;
        }
        long skipped = suppressed.getAndSet(0);
        if (skipped == 0) {
            emit("{} {}", prefix, what, cause);
        } else {
            emit("{} {} ({} more like it since the last report)", prefix, what, skipped, cause);
        }
        return true;
    }

    private boolean isEnabled() {
        return level == Level.WARN ? log.isWarnEnabled() : log.isInfoEnabled();
    }

    private void emit(String format, Object... args) {
        if (level == Level.WARN) {
            log.warn(format, args);
        } else {
            log.info(format, args);
        }
    }
}
