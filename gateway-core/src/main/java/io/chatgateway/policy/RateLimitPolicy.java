package io.chatgateway.policy;

import io.netty.util.concurrent.Ticker;

/**
 * Token-bucket rate limit for the frames of one connection: {@code ratePerSecond} frames a second on average, with
 * bursts of up to {@code burst} frames. The policy is shared; each connection holds a small {@link Bucket}.
 *
 * <p>No Netty channel types and no threads: time comes from the injected {@link Ticker}, so the policy is tested
 * by moving a mock ticker.
 */
public final class RateLimitPolicy {
    /** A policy that allows everything. */
    public static final RateLimitPolicy UNLIMITED = new RateLimitPolicy(0, 0, Ticker.systemTicker());

    private final double tokensPerNano;
    private final double burst;
    private final Ticker ticker;

    /**
     * @param ratePerSecond frames per second on average; {@code 0} for no limit
     * @param burst         the most frames accepted at once after a quiet period ({@code >= 1} when limited)
     */
    public RateLimitPolicy(double ratePerSecond, int burst, Ticker ticker) {
        if (ratePerSecond < 0) {
            throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: >= 0)");
        }
        if (ratePerSecond > 0 && burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        this.tokensPerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.ticker = ticker;
    }

    /** {@code true} when this policy limits nothing. */
    public boolean isUnlimited() {
        return tokensPerNano == 0;
    }

    /** A full bucket for a new connection. */
    public Bucket newBucket() {
        return new Bucket(this);
    }

    /** The per-connection state of the limit. Not thread-safe: it belongs to one event loop. */
    public static final class Bucket {
        private final RateLimitPolicy policy;
        private double tokens;
        private long refilledAt;

        Bucket(RateLimitPolicy policy) {
            this.policy = policy;
            this.tokens = policy.burst;
            this.refilledAt = policy.ticker.nanoTime();
        }

        /** Takes one token: {@code true} when the frame may be carried out. */
        public boolean tryAcquire() {
            if (policy.isUnlimited()) {
                return true;
            }
            long now = policy.ticker.nanoTime();
            tokens = Math.min(policy.burst, tokens + (now - refilledAt) * policy.tokensPerNano);
            refilledAt = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
