package io.chatgateway.pipeline;

import io.chatgateway.GatewayConfig;
import io.chatgateway.internal.ThrottledLog;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.policy.AddressLimitPolicy;
import io.chatgateway.policy.UnauthenticatedLimit;
import io.chatgateway.session.ClientAddress;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionListener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The gateway's front door, shared by both ports: the unauthenticated-connection cap and the per-address limits
 * ({@link AddressLimitPolicy}), applied at accept, before any TLS, HTTP or authentication work is spent on a
 * connection; plus the counting and the (throttled, INFO) logging of every refusal at the front door.
 *
 * <p>An admitted connection holds a ticket until it closes: its address's slot, and its unauthenticated slot
 * until it authenticates ({@link #listener()} tells it when) or closes, whichever comes first.
 */
public final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);
    private static final AttributeKey<Ticket> TICKET = AttributeKey.valueOf(Admission.class, "ticket");
    /** The table of addresses holds at least this many, and at least twice the connection limit. */
    static final int MIN_TRACKED_ADDRESSES = 4096;
    static final int MAX_TRACKED_ADDRESSES = 1 << 22;

    private final GatewayMetrics metrics;
    private final UnauthenticatedLimit unauthenticated;
    private final AddressLimitPolicy addresses;
    private final Map<RefusalReason, ThrottledLog> logs = new EnumMap<>(RefusalReason.class);

    public Admission(GatewayConfig config, GatewayMetrics metrics, Ticker ticker) {
        this.metrics = metrics;
        this.unauthenticated = new UnauthenticatedLimit(config.effectiveMaxUnauthenticatedConnections());
        int tracked = (int) Math.min(MAX_TRACKED_ADDRESSES,
                Math.max(MIN_TRACKED_ADDRESSES, 2L * config.maxConnections()));
        AddressLimitPolicy policy = new AddressLimitPolicy(config.maxConnectionsPerIp(), config.connectRatePerIp(),
                tracked, ticker);
        this.addresses = policy.isEnabled() ? policy : null;
        line(RefusalReason.UNAUTHENTICATED, "refused: max-unauthenticated-connections ("
                + unauthenticated.max() + ") reached");
        line(RefusalReason.ADDRESS_CONNECTIONS, "refused: max-connections-per-ip (" + config.maxConnectionsPerIp()
                + ") reached");
        line(RefusalReason.ADDRESS_RATE, "refused: connect-rate-per-ip ("
                + rate(config.connectRatePerIp())
                + "/s) exceeded");
        line(RefusalReason.ADDRESS_TABLE_FULL, "refused: the table of client addresses (" + tracked
                + ") is full of addresses with open connections");
        line(RefusalReason.ORIGIN, "refused a WebSocket handshake: Origin not in allowed-origins (HTTP 403)");
        line(RefusalReason.PROXY_MISSING, "closed: no PROXY protocol header (proxy-protocol=on)");
        line(RefusalReason.PROXY_INVALID, "closed: invalid PROXY protocol header (proxy-protocol=on)");
    }

    private static String rate(double perSecond) {
        return perSecond == Math.rint(perSecond) ? Long.toString((long) perSecond)
                : String.format(Locale.ROOT, "%s", perSecond);
    }

    private void line(RefusalReason reason, String what) {
        logs.put(reason, new ThrottledLog(log, ThrottledLog.Level.INFO, what));
    }

    /** Releases a connection's unauthenticated slot when it authenticates; register it with the connection registry. */
    public ConnectionListener listener() {
        return new ConnectionListener() {
            @Override
            public void connectionAuthenticated(Connection connection) {
                Ticket t = connection.channel().attr(TICKET).get();
                if (t != null) {
                    t.authenticated();
                }
            }
        };
    }

    /** The unauthenticated-connection cap and its current count. */
    public UnauthenticatedLimit unauthenticated() {
        return unauthenticated;
    }

    /** The per-address limits, or {@code null} when both are off. */
    public AddressLimitPolicy addressLimits() {
        return addresses;
    }

    // ---- for the front-door handlers

    /**
     * At accept: counts the connection as unauthenticated, or says why it must be refused.
     *
     * @return {@code null} when admitted so far
     */
    RefusalReason acceptConnection(Channel ch) {
        if (!unauthenticated.tryAcquire()) {
            return RefusalReason.UNAUTHENTICATED;
        }
        Ticket t = new Ticket(unauthenticated, addresses);
        ch.attr(TICKET).set(t);
        ch.closeFuture().addListener(t);
        return null;
    }

    /**
     * Once the client address is known (at accept, or after the PROXY header): applies the per-address limits.
     *
     * @return {@code null} when admitted
     */
    RefusalReason checkAddress(Channel ch) {
        if (addresses == null) {
            return null;
        }
        SocketAddress a = ClientAddress.of(ch);
        if (!(a instanceof InetSocketAddress) || ((InetSocketAddress) a).getAddress() == null) {
            return null; // not an IP client (a local or in-memory channel): nothing to count against
        }
        InetAddress ip = ((InetSocketAddress) a).getAddress();
        switch (addresses.tryAcquire(ip)) {
            case ADMITTED:
                Ticket t = ch.attr(TICKET).get();
                if (t != null && !t.holdAddress(ip)) {
                    addresses.release(ip); // closed meanwhile: the close listener has run already
                }
                return null;
            case TOO_MANY_CONNECTIONS:
                return RefusalReason.ADDRESS_CONNECTIONS;
            case TOO_FAST:
                return RefusalReason.ADDRESS_RATE;
            default:
                return RefusalReason.ADDRESS_TABLE_FULL;
        }
    }

    /** Counts and logs a refusal at the front door. */
    void refused(RefusalReason reason, Object who, boolean quiet) {
        metrics.connectionRefused(reason);
        if (quiet) {
            log.debug("{} {}", who, reason.label());
        } else {
            logs.get(reason).log(who, null);
        }
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    /**
     * What an admitted connection holds. Released exactly once each: the unauthenticated slot on authentication or
     * close, the address slot on close.
     */
    private static final class Ticket implements ChannelFutureListener {
        private static final AtomicIntegerFieldUpdater<Ticket> UNAUTHENTICATED =
                AtomicIntegerFieldUpdater.newUpdater(Ticket.class, "unauthenticatedHeld");

        private final UnauthenticatedLimit limit;
        private final AddressLimitPolicy addresses;
        private volatile int unauthenticatedHeld = 1;
        private InetAddress address;
        private boolean closed;

        Ticket(UnauthenticatedLimit limit, AddressLimitPolicy addresses) {
            this.limit = limit;
            this.addresses = addresses;
        }

        void authenticated() {
            if (UNAUTHENTICATED.compareAndSet(this, 1, 0)) {
                limit.release();
            }
        }

        /** @return {@code false} when the channel closed already, so the caller gives the slot back itself */
        synchronized boolean holdAddress(InetAddress ip) {
            if (closed) {
                return false;
            }
            address = ip;
            return true;
        }

        @Override
        public void operationComplete(ChannelFuture f) {
            authenticated();
            InetAddress ip;
            synchronized (this) {
                closed = true;
                ip = address;
                address = null;
            }
            if (ip != null) {
                addresses.release(ip);
            }
        }
    }
}
