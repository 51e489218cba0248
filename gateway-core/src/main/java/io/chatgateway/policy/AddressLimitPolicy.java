package io.chatgateway.policy;

import io.netty.util.concurrent.Ticker;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one client address may hold and open: {@code max-connections-per-ip} open connections and
 * {@code connect-rate-per-ip} new connections per second (a token bucket holding twice the rate, so a client may
 * open a burst of two seconds' worth at once). IPv6 addresses are grouped by their /64 prefix, which is what one
 * subscriber usually gets; IPv4 addresses count one by one.
 *
 * <p>Memory stays bounded under a flood of distinct addresses: the table holds at most {@code maxAddresses}
 * entries. When it is full, entries without open connections whose bucket has refilled (they carry no
 * information) are dropped first, then, if that is not enough, other entries without open connections (which
 * forgets how fast those addresses connected recently). An address that finds the table full of addresses with
 * open connections is refused ({@link Verdict#TOO_MANY_ADDRESSES}); the table is sized so that this takes more
 * open connections than the gateway allows.
 *
 * <p>Thread-safe: one address's entry is updated under its own lock, different addresses never contend, and at
 * most one thread makes room at a time.
 */
public final class AddressLimitPolicy {
    /** The outcome of {@link #tryAcquire}. */
    public enum Verdict {
        ADMITTED,
        /** The address holds {@code max-connections-per-ip} connections already. */
        TOO_MANY_CONNECTIONS,
        /** The address opens connections faster than {@code connect-rate-per-ip}. */
        TOO_FAST,
        /** The table of addresses is full of addresses with open connections. */
        TOO_MANY_ADDRESSES
    }

    /** After making room, the table is at most this fraction of {@code maxAddresses} full, so the next sweep is far. */
    private static final double SWEEP_TO = 0.75;
    /** A sweep that could not make room is not retried for this long: a full table must not cost a scan per accept. */
    private static final long RETRY_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final int maxConnections;
    private final double perNano;
    private final double capacity;
    private final int maxAddresses;
    private final Ticker ticker;
    private final ConcurrentHashMap<Long, Entry> table = new ConcurrentHashMap<>();
    private final ReentrantLock sweeping = new ReentrantLock();
    private volatile long noSweepUntil;
    private volatile boolean sweptOnce;

    /**
     * @param maxConnections most open connections per address; {@code 0} for no limit
     * @param perSecond      new connections per second per address; {@code 0} for no limit
     * @param maxAddresses   most addresses tracked at once
     * @param ticker         monotonic time
     */
    public AddressLimitPolicy(int maxConnections, double perSecond, int maxAddresses, Ticker ticker) {
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 0)");
        }
        if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: >= 0)");
        }
        if (maxAddresses < 1) {
            throw new IllegalArgumentException("maxAddresses: " + maxAddresses + " (expected: > 0)");
        }
        this.maxConnections = maxConnections;
        this.perNano = perSecond / 1e9;
        // Twice the rate, but at least one connection, so that a rate below 0.5/s still lets anyone in.
        this.capacity = Math.max(1, 2 * perSecond);
        this.maxAddresses = maxAddresses;
        this.ticker = ticker;
    }

    /** {@code true} when either limit is on; when neither is, there is nothing to check. */
    public boolean isEnabled() {
        return maxConnections > 0 || perNano > 0;
    }

    /**
     * Decides on a new connection from {@code address}. {@link Verdict#ADMITTED} counts it as open until
     * {@link #release} is called for it; every other verdict changes nothing that a later call must undo.
     */
    public Verdict tryAcquire(InetAddress address) {
        Long key = key(address);
        long now = ticker.nanoTime();
        for (;;) {
            Entry e = table.get(key);
            if (e == null) {
                if (table.size() >= maxAddresses && !makeRoom(now)) {
                    return Verdict.TOO_MANY_ADDRESSES;
                }
                Entry fresh = new Entry(capacity, now);
                e = table.putIfAbsent(key, fresh);
                if (e == null) {
                    e = fresh;
                }
            }
            synchronized (e) {
                if (e.evicted) {
                    continue; // dropped by a sweep between the lookup and the lock: start over with a new entry
                }
                if (maxConnections > 0 && e.connections >= maxConnections) {
                    return Verdict.TOO_MANY_CONNECTIONS;
                }
                if (perNano > 0) {
                    e.refill(now, perNano, capacity);
                    if (e.tokens < 1) {
                        return Verdict.TOO_FAST;
                    }
                    e.tokens -= 1;
                }
                e.connections++;
                return Verdict.ADMITTED;
            }
        }
    }

    /** A connection admitted for {@code address} has closed. */
    public void release(InetAddress address) {
        Entry e = table.get(key(address));
        if (e == null) {
            return;
        }
        synchronized (e) {
            // An entry with open connections is never evicted, so the admitted connection's entry is this one.
            if (e.connections > 0) {
                e.connections--;
            }
            if (e.connections == 0 && perNano == 0) {
                // Without a rate there is nothing to remember about an address with no connection.
                e.evicted = true;
                table.remove(key(address), e);
            }
        }
    }

    /** Open connections counted for the address's group (its /64 for IPv6). */
    public int connections(InetAddress address) {
        Entry e = table.get(key(address));
        if (e == null) {
            return 0;
        }
        synchronized (e) {
            return e.evicted ? 0 : e.connections;
        }
    }

    /** Addresses (or /64 prefixes) in the table now. */
    public int trackedAddresses() {
        return table.size();
    }

    public int maxAddresses() {
        return maxAddresses;
    }

    /**
     * Drops entries without open connections so that a new address fits; {@code false} when the table stays full.
     */
    private boolean makeRoom(long now) {
        if (sweptOnce && now - noSweepUntil < 0) {
            return table.size() < maxAddresses;
        }
        if (!sweeping.tryLock()) {
            // Someone else is making room; a new address may be refused meanwhile, as when the table is full.
            return table.size() < maxAddresses;
        }
        try {
            if (table.size() < maxAddresses) {
                return true;
            }
            int target = (int) (maxAddresses * SWEEP_TO);
            // First the entries that carry nothing: no connection, a full bucket. Then, if need be, any without a
            // connection.
            sweep(now, true, target);
            if (table.size() > target) {
                sweep(now, false, target);
            }
            boolean room = table.size() < maxAddresses;
            if (!room) {
                sweptOnce = true;
                noSweepUntil = now + RETRY_SWEEP_NANOS;
            }
            return room;
        } finally {
            sweeping.unlock();
        }
    }

    private void sweep(long now, boolean onlyFull, int target) {
        Iterator<Map.Entry<Long, Entry>> it = table.entrySet().iterator();
        while (it.hasNext()) {
            if (!onlyFull && table.size() <= target) {
                return;
            }
            Map.Entry<Long, Entry> me = it.next();
            Entry e = me.getValue();
            synchronized (e) {
                if (e.connections > 0) {
                    continue;
                }
                if (onlyFull) {
                    if (perNano > 0) {
                        e.refill(now, perNano, capacity);
                    }
                    if (e.tokens < capacity) {
                        continue;
                    }
                }
                e.evicted = true;
                table.remove(me.getKey(), e);
            }
        }
    }

    /**
     * The table key of an address: an IPv4 address under a prefix that no IPv6 source address has
     * ({@code ffff:ffff::/32}, inside multicast), an IPv6 address as its /64 prefix.
     */
    static Long key(InetAddress address) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            return 0xFFFF_FFFF_0000_0000L | ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8)
                    | (b[3] & 0xFFL);
        }
        long prefix = 0;
        for (int i = 0; i < 8; i++) {
            prefix = prefix << 8 | (b[i] & 0xFFL);
        }
        return prefix;
    }

    /** One address: its open connections and its bucket. Guarded by its own monitor. */
    private static final class Entry {
        int connections;
        double tokens;
        long lastNanos;
        boolean evicted;

        Entry(double tokens, long now) {
            this.tokens = tokens;
            this.lastNanos = now;
        }

        void refill(long now, double perNano, double capacity) {
            long elapsed = now - lastNanos;
            if (elapsed > 0) {
                tokens = Math.min(capacity, tokens + elapsed * perNano);
                lastNanos = now;
            }
        }
    }
}
