package io.chatgateway.policy;

import java.time.Duration;

/**
 * When a connection that cannot keep up is closed. Its outbound buffer may go above {@code limitBytes} for a while
 * (a burst, a short network stall): it is closed when it stays above the limit for {@code grace}, or at once when the
 * buffer reaches {@link #HARD_LIMIT_FACTOR} times the limit, which bounds the memory one consumer can hold. Messages
 * are never skipped: until the close, every message is queued.
 *
 * <p>The limit is the channel's high write-buffer water mark; the low water mark is half of it.
 */
public final class SlowConsumerPolicy {
    /** At this multiple of the limit a consumer is closed without waiting for the grace period. */
    public static final int HARD_LIMIT_FACTOR = 4;

    private final int limitBytes;
    private final long graceNanos;

    public SlowConsumerPolicy(int limitBytes, Duration grace) {
        if (limitBytes <= 1) {
            throw new IllegalArgumentException("limitBytes: " + limitBytes + " (expected: > 1)");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace: " + grace + " (expected: >= 0)");
        }
        this.limitBytes = limitBytes;
        this.graceNanos = grace.toNanos();
    }

    /** High write-buffer water mark: above it the channel is unwritable. */
    public int highWaterMark() {
        return limitBytes;
    }

    /** Low write-buffer water mark: below it the channel is writable again. */
    public int lowWaterMark() {
        return limitBytes / 2;
    }

    /** How long a consumer may stay above the limit. */
    public long graceNanos() {
        return graceNanos;
    }

    /** {@code true} when {@code pendingBytes} queued for one connection is too much to wait for. */
    public boolean exceedsHardLimit(long pendingBytes) {
        return pendingBytes >= (long) limitBytes * HARD_LIMIT_FACTOR;
    }
}
