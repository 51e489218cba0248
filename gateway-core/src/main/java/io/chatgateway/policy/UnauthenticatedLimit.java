package io.chatgateway.policy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The most connections that are open but not yet authenticated ({@code max-unauthenticated-connections}), across
 * both ports: counted from accept until the connection authenticates or closes, so that sockets that never say
 * anything (or never finish a handshake) cannot fill the connection limit and lock out clients that do
 * authenticate. Thread-safe.
 */
public final class UnauthenticatedLimit {
    private final int max;
    private final AtomicInteger count = new AtomicInteger();

    /** @param max most unauthenticated connections at once, {@code > 0} */
    public UnauthenticatedLimit(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        this.max = max;
    }

    /** Counts one more unauthenticated connection; {@code false} (and nothing counted) when at the limit. */
    public boolean tryAcquire() {
        for (;;) {
            int n = count.get();
            if (n >= max) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** One counted connection authenticated or closed. */
    public void release() {
        count.decrementAndGet();
    }

    /** Unauthenticated connections now. */
    public int count() {
        return count.get();
    }

    public int max() {
        return max;
    }
}
