package io.chatgateway.server.http;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows the admin API's answers to an address that keeps presenting wrong tokens: after a few free misses, each
 * further miss is answered a little later, doubling up to a ceiling, and the count decays while the address stays
 * quiet. Guessing the token from one address becomes a matter of centuries; an operator who mistypes once is not
 * slowed at all. A plain policy with an injected clock; thread-safe; memory bounded by {@link #MAX_ADDRESSES}.
 */
final class AdminTarpit {
    /** Misses answered at once. */
    static final int FREE_MISSES = 3;
    /** The first delay, doubled for each miss beyond the free ones. */
    static final long BASE_DELAY_MILLIS = 250;
    /** The longest delay. */
    static final long MAX_DELAY_MILLIS = 10_000;
    /** One miss is forgiven per this much quiet time. */
    static final long DECAY_MILLIS = 60_000;
    /** Addresses tracked; the least recently seen goes first beyond it. */
    static final int MAX_ADDRESSES = 10_000;

    private final LongSupplier clock;
    private final LinkedHashMap<String, long[]> misses = new LinkedHashMap<>(64, 0.75f, true);

    AdminTarpit(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * Records a wrong token from {@code address}.
     *
     * @return how long to wait before answering, in milliseconds
     */
    synchronized long miss(String address) {
        long now = clock.getAsLong();
        long[] m = misses.get(address);
        if (m == null) {
            m = new long[] {0, now};
            misses.put(address, m);
            trim();
        }
        long forgiven = (now - m[1]) / DECAY_MILLIS;
        m[0] = Math.max(0, m[0] - forgiven) + 1;
        m[1] = now;
        long beyond = m[0] - FREE_MISSES;
        if (beyond <= 0) {
            return 0;
        }
        return Math.min(MAX_DELAY_MILLIS, BASE_DELAY_MILLIS << Math.min(beyond - 1, 20));
    }

    /** The right token from {@code address}: its misses are forgotten. */
    synchronized void success(String address) {
        misses.remove(address);
    }

    /** Addresses with misses on record. */
    synchronized int tracked() {
        return misses.size();
    }

    private void trim() {
        Iterator<Map.Entry<String, long[]>> it = misses.entrySet().iterator();
        while (misses.size() > MAX_ADDRESSES && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
