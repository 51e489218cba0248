package io.chatgateway.session;

import io.chatgateway.internal.ThrottledWarning;
import io.chatgateway.metrics.GatewayMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Every connection of this gateway node, keyed by {@link ChannelId}, by connection id and, once authenticated, by
 * user.
 *
 * <p>All operations are thread-safe and take no global lock: the maps are {@link ConcurrentHashMap}s and a user's
 * connections are an immutable array replaced under that user's map bin ({@code compute}), so two logins of one
 * user are serialised while logins of different users never wait for each other.
 *
 * <p>Removal happens exactly once per connection, whatever closes the channel (client, heartbeat, kick, write
 * failure, shutdown): {@link #register} hooks the channel's close future, and the transition to
 * {@link ConnectionState#DISCONNECTED} decides which call does the work. The registry never holds a closed channel
 * for longer than it takes its close future to notify.
 */
public final class ConnectionRegistry {
    private static final Logger log = LoggerFactory.getLogger(ConnectionRegistry.class);
    private static final ThrottledWarning listenerFailed = new ThrottledWarning(log, "connection listener failed");
    private static final Connection[] NONE = new Connection[0];

    private final int maxConnections;
    private final SessionMode sessionMode;
    private final int maxSessionsPerUser;
    private final String idPrefix;
    private final GatewayMetrics metrics;
    private final LongSupplier clock;

    private final ConcurrentHashMap<ChannelId, Connection> byChannel = new ConcurrentHashMap<>(1024);
    private final ConcurrentHashMap<String, Connection> byId = new ConcurrentHashMap<>(1024);
    private final ConcurrentHashMap<String, Connection[]> byUser = new ConcurrentHashMap<>(1024);
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger authenticated = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder createdAtSum = new LongAdder();
    private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();
    private final ChannelFutureListener removeOnClose = f -> {
        Connection c = Connection.of(f.channel());
        if (c != null) {
            remove(c);
        }
    };

    /**
     * @param maxConnections     the most connections held at once; the next one is refused
     * @param sessionMode        single or multi
     * @param maxSessionsPerUser in multi mode, the most connections of one user (ignored in single mode)
     * @param idPrefix           prefix of connection ids, unique per node in a cluster
     * @param clock              wall clock in epoch milliseconds
     */
    public ConnectionRegistry(int maxConnections, SessionMode sessionMode, int maxSessionsPerUser, String idPrefix,
                              GatewayMetrics metrics, LongSupplier clock) {
        if (maxConnections <= 0) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: > 0)");
        }
        if (maxSessionsPerUser <= 0) {
            throw new IllegalArgumentException("maxSessionsPerUser: " + maxSessionsPerUser + " (expected: > 0)");
        }
        this.maxConnections = maxConnections;
        this.sessionMode = sessionMode;
        this.maxSessionsPerUser = sessionMode == SessionMode.SINGLE ? 1 : maxSessionsPerUser;
        this.idPrefix = idPrefix;
        this.metrics = metrics;
        this.clock = clock;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    /** Adds a listener; it sees events from then on. */
    public void addListener(ConnectionListener listener) {
        listeners.add(listener);
    }

    public void removeListener(ConnectionListener listener) {
        listeners.remove(listener);
    }

    /**
     * Registers a channel whose transport is ready.
     *
     * @return the new connection, or {@code null} when the connection limit is reached (the caller answers
     *         {@code server_busy} and closes the channel)
     */
    public Connection register(Channel channel, Transport transport) {
        if (size.incrementAndGet() > maxConnections) {
            size.decrementAndGet();
            metrics.rejected();
            return null;
        }
        Connection c = new Connection(this, channel, idPrefix + Long.toString(sequence.incrementAndGet(), 36), transport,
                clock.getAsLong());
        c.attach();
        byChannel.put(channel.id(), c);
        byId.put(c.id(), c);
        createdAtSum.add(c.createdAtMillis());
        metrics.connectionOpened(transport);
        for (ConnectionListener l : listeners) {
            try {
                l.connectionAdded(c);
            } catch (Throwable t) {
                listenerFailed.warn(c.logPrefix() + " " + l + " in connectionAdded:", t);
            }
        }
        // Added last: if the channel is already closed this runs at once, and removal must see a complete entry.
        channel.closeFuture().addListener(removeOnClose);
        return c;
    }

    /**
     * Binds an authenticated connection to its user and applies the session policy.
     *
     * @return the user's connections that this login displaces (to be kicked with {@code replaced}); empty when
     *         none. When the connection is already closing, nothing is bound and the result is empty.
     */
    public List<Connection> authenticate(Connection c, String user) {
        if (!c.authenticate(user)) {
            return Collections.emptyList();
        }
        List<Connection> displaced = new ArrayList<>(1);
        byUser.compute(user, (u, current) -> {
            Connection[] existing = current == null ? NONE : current;
            int keep = Math.min(existing.length, maxSessionsPerUser - 1);
            // The oldest connections come first; the ones that no longer fit are displaced.
            for (int i = 0; i < existing.length - keep; i++) {
                displaced.add(existing[i]);
            }
            Connection[] next = Arrays.copyOfRange(existing, existing.length - keep, existing.length + 1);
            next[keep] = c;
            return next;
        });
        // Displaced connections left the user's array here, so their later remove() will not find them.
        authenticated.addAndGet(1 - displaced.size());
        if (c.state() == ConnectionState.DISCONNECTED) {
            // Closed while we bound it: remove() may have run before our compute, so unbind here too.
            unbindUser(c);
        }
        for (ConnectionListener l : listeners) {
            try {
                l.connectionAuthenticated(c);
            } catch (Throwable t) {
                listenerFailed.warn(c.logPrefix() + " " + l + " in connectionAuthenticated:", t);
            }
        }
        return displaced;
    }

    /**
     * Removes a connection. Idempotent: only the first call for a connection does anything.
     *
     * @return {@code true} when this call removed it
     */
    public boolean remove(Connection c) {
        ConnectionState before = c.markDisconnected();
        if (before == ConnectionState.DISCONNECTED) {
            return false;
        }
        byChannel.remove(c.channel().id(), c);
        byId.remove(c.id(), c);
        if (c.user() != null) {
            unbindUser(c);
        }
        size.decrementAndGet();
        createdAtSum.add(-c.createdAtMillis());
        metrics.connectionClosed(c.transport());
        for (ConnectionListener l : listeners) {
            try {
                l.connectionRemoved(c);
            } catch (Throwable t) {
                listenerFailed.warn(c.logPrefix() + " " + l + " in connectionRemoved:", t);
            }
        }
        return true;
    }

    private void unbindUser(Connection c) {
        boolean[] removed = new boolean[1];
        byUser.computeIfPresent(c.user(), (u, current) -> {
            for (int i = 0; i < current.length; i++) {
                if (current[i] == c) {
                    removed[0] = true;
                    if (current.length == 1) {
                        return null;
                    }
                    Connection[] next = new Connection[current.length - 1];
                    System.arraycopy(current, 0, next, 0, i);
                    System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                    return next;
                }
            }
            return current;
        });
        if (removed[0]) {
            authenticated.decrementAndGet();
        }
    }

    /** Tells the listeners about an error on a connection. */
    public void fireError(Connection c, Throwable cause) {
        for (ConnectionListener l : listeners) {
            try {
                l.connectionError(c, cause);
            } catch (Throwable t) {
                listenerFailed.warn(c.logPrefix() + " " + l + " in connectionError:", t);
            }
        }
    }

    // ---- lookups

    public Connection get(ChannelId id) {
        return byChannel.get(id);
    }

    public Connection get(Channel channel) {
        return Connection.of(channel);
    }

    /** The connection with this connection id, or {@code null}. */
    public Connection byId(String connectionId) {
        return byId.get(connectionId);
    }

    /** The user's connections on this node, oldest first; empty when the user has none. */
    public List<Connection> connectionsOf(String user) {
        Connection[] c = byUser.get(user);
        return c == null ? Collections.emptyList() : Collections.unmodifiableList(Arrays.asList(c));
    }

    /** {@code true} when the user has at least one authenticated connection on this node. */
    public boolean isOnline(String user) {
        return byUser.containsKey(user);
    }

    /** The users with an authenticated connection on this node (a live view, weakly consistent). */
    public Set<String> users() {
        return Collections.unmodifiableSet(byUser.keySet());
    }

    /** Every registered connection (a live view, weakly consistent). */
    public Iterator<Connection> iterator() {
        return Collections.unmodifiableCollection(byChannel.values()).iterator();
    }

    /** All connections as a list (a snapshot). */
    public List<Connection> snapshot() {
        return new ArrayList<>(byChannel.values());
    }

    public int size() {
        return size.get();
    }

    public int authenticatedCount() {
        return authenticated.get();
    }

    public int userCount() {
        return byUser.size();
    }

    public int maxConnections() {
        return maxConnections;
    }

    public SessionMode sessionMode() {
        return sessionMode;
    }

    public int maxSessionsPerUser() {
        return maxSessionsPerUser;
    }

    /** Average age of the registered connections, in milliseconds, at {@code nowMillis}. */
    public long averageAgeMillis(long nowMillis) {
        int n = size.get();
        if (n <= 0) {
            return 0;
        }
        return Math.max(0, nowMillis - createdAtSum.sum() / n);
    }
}
