package io.chatgateway.session;

import io.chatgateway.history.Position;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.policy.Grant;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.ServerFrames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;

import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One client connection: the per-connection record of the registry, reachable from its channel through
 * {@link #of(Channel)}.
 *
 * <p>Reads are safe from any thread. The mutators are for the gateway's own handlers and run on the connection's
 * event loop, which is the only writer of the counters and the room list; that is why plain volatile fields are
 * enough and no lock is taken.
 */
public final class Connection {
    private static final AttributeKey<Connection> KEY = AttributeKey.valueOf(Connection.class, "connection");
    private static final AtomicReferenceFieldUpdater<Connection, ConnectionState> STATE =
            AtomicReferenceFieldUpdater.newUpdater(Connection.class, ConnectionState.class, "state");
    private static final Membership[] NO_ROOMS = new Membership[0];
    /** How long a kicked connection may take to flush its {@code kicked} frame before it is closed anyway. */
    static final long KICK_FLUSH_TIMEOUT_MILLIS = 1000;

    private final ConnectionRegistry registry;
    private final Channel channel;
    private final String id;
    private final Transport transport;
    private final long createdAtMillis;

    private volatile ConnectionState state = ConnectionState.CONNECTED;
    private volatile String user;
    private volatile CloseReason closeReason;
    private volatile Membership[] rooms = NO_ROOMS;
    private volatile long lastActiveMillis;
    private volatile long bytesIn;
    private volatile long bytesOut;
    private volatile long messagesIn;
    private volatile long messagesOut;
    /** Recovery gates by room ({@link #INBOX} for the inbox); event loop only, {@code null} when none. */
    private java.util.Map<String, RecoveryGate> gates;

    Connection(ConnectionRegistry registry, Channel channel, String id, Transport transport, long createdAtMillis) {
        this.registry = registry;
        this.channel = channel;
        this.id = id;
        this.transport = transport;
        this.createdAtMillis = createdAtMillis;
        this.lastActiveMillis = createdAtMillis;
    }

    /** The connection of a channel, or {@code null} when the channel is not (or not yet) a registered connection. */
    public static Connection of(Channel channel) {
        return channel.attr(KEY).get();
    }

    void attach() {
        channel.attr(KEY).set(this);
    }

    /** The connection id, unique within the cluster (it starts with the node id). */
    public String id() {
        return id;
    }

    public Channel channel() {
        return channel;
    }

    public Transport transport() {
        return transport;
    }

    /** The client's address: the one a PROXY protocol header named, else the socket's peer. */
    public SocketAddress remoteAddress() {
        return ClientAddress.of(channel);
    }

    public ConnectionState state() {
        return state;
    }

    /** The authenticated user, or {@code null} before authentication. */
    public String user() {
        return user;
    }

    public boolean isAuthenticated() {
        return state.isAuthenticated();
    }

    public long createdAtMillis() {
        return createdAtMillis;
    }

    public long lastActiveMillis() {
        return lastActiveMillis;
    }

    /** Payload bytes received (JSON, without transport framing). */
    public long bytesIn() {
        return bytesIn;
    }

    /** Payload bytes sent (JSON, without transport framing). */
    public long bytesOut() {
        return bytesOut;
    }

    public long messagesIn() {
        return messagesIn;
    }

    public long messagesOut() {
        return messagesOut;
    }

    /** Why the gateway is closing this connection, or {@code null} when it is not (or the peer closed it). */
    public CloseReason closeReason() {
        return closeReason;
    }

    /** The rooms this connection has joined, in join order. */
    public List<String> rooms() {
        Membership[] r = rooms;
        if (r.length == 0) {
            return Collections.emptyList();
        }
        String[] names = new String[r.length];
        for (int i = 0; i < r.length; i++) {
            names[i] = r[i].room;
        }
        return Collections.unmodifiableList(Arrays.asList(names));
    }

    /** The rooms this connection has joined, with how each was granted, in join order. */
    public List<Membership> memberships() {
        Membership[] r = rooms;
        return r.length == 0 ? Collections.emptyList() : Collections.unmodifiableList(Arrays.asList(r));
    }

    /** {@code true} when this connection has joined {@code room}. */
    public boolean inRoom(String room) {
        return membership(room) != null;
    }

    /** How this connection is in {@code room}, or {@code null} when it is not. */
    public Membership membership(String room) {
        for (Membership m : rooms) {
            if (m.room.equals(room)) {
                return m;
            }
        }
        return null;
    }

    /** Number of rooms joined. */
    public int roomCount() {
        return rooms.length;
    }

    // ---- recovery gates: the connection's event loop only

    /** The gate key of the user's inbox (never a room name: room names are not empty). */
    public static final String INBOX = "";

    /**
     * Closes a gate for a room (or {@link #INBOX}): live frames stamped for it wait until {@link #releaseGate}. For
     * joins and logins that resume through a broker; see {@link RecoveryGate}.
     */
    public void closeGate(String stream) {
        if (gates == null) {
            gates = new java.util.HashMap<>(4);
        }
        RecoveryGate old = gates.put(stream, new RecoveryGate());
        if (old != null) {
            old.discard();
        }
    }

    /**
     * Whether a live frame stamped with its position in {@code stream} may be written now. {@code false} when a
     * closed gate keeps it (retaining it) or it is a duplicate of what the replay gave.
     */
    public boolean admit(String stream, Position stamp, Object frame) {
        if (gates == null) {
            return true;
        }
        RecoveryGate g = gates.get(stream);
        if (g == null) {
            return true;
        }
        boolean write = g.admit(stamp, frame);
        if (g.isSpent() && !g.isClosed()) {
            gates.remove(stream);
        }
        return write;
    }

    /**
     * Opens the gate after the replay and the answer were written: what waited above {@code floor} goes out, in
     * order, through {@code writer} (which takes ownership of each frame).
     */
    public void releaseGate(String stream, Position floor, java.util.function.Consumer<Object> writer) {
        if (gates == null) {
            return;
        }
        RecoveryGate g = gates.get(stream);
        if (g == null) {
            return;
        }
        g.release(floor, writer);
        if (g.isSpent()) {
            gates.remove(stream);
        }
    }

    /** Forgets a gate (the room was left), releasing what waits in it. */
    public void dropGate(String stream) {
        if (gates != null) {
            RecoveryGate g = gates.remove(stream);
            if (g != null) {
                g.discard();
            }
        }
    }

    /** Releases every gate's frames (the connection closed). */
    public void dropGates() {
        if (gates != null) {
            gates.values().forEach(RecoveryGate::discard);
            gates = null;
        }
    }

    /** {@code [id user]}, for log lines. */
    public String logPrefix() {
        String u = user;
        return u == null ? "[" + id + "]" : "[" + id + " " + u + "]";
    }

    @Override
    public String toString() {
        return "Connection" + logPrefix() + "(" + transport.label() + ", " + state + ", " + remoteAddress() + ")";
    }

    /**
     * Sends {@code kicked} with this reason and closes the connection: once the frame is flushed, or after
     * {@value #KICK_FLUSH_TIMEOUT_MILLIS} ms at the latest. A slow consumer is closed at once, since its frame would
     * only queue behind the backlog. Safe from any thread; a connection that is already closing is left alone.
     *
     * @return the channel's close future
     */
    public ChannelFuture kick(KickReason reason) {
        if (!beginClose(CloseReason.of(reason))) {
            return channel.closeFuture();
        }
        registry.metrics().kick(reason);
        if (!channel.isActive()) {
            return channel.close();
        }
        ByteBuf frame = ServerFrames.kicked(channel.alloc(), reason);
        registry.metrics().framesOut(OutboundType.KICKED, 1);
        if (reason == KickReason.SLOW_CONSUMER) {
            channel.writeAndFlush(frame);
            return channel.close();
        }
        channel.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, KICK_FLUSH_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        return channel.closeFuture();
    }

    /**
     * Closes the connection for a reason of the gateway's (after the caller wrote its last frame, if any).
     * WebSocket connections get the reason's close code.
     */
    public ChannelFuture close(CloseReason reason) {
        beginClose(reason);
        return channel.close();
    }

    // ---- mutators: the gateway's own handlers, on the connection's event loop

    /** Records an inbound frame of {@code bytes} payload bytes. */
    public void recordInbound(int bytes, long nowMillis) {
        messagesIn++;
        bytesIn += bytes;
        lastActiveMillis = nowMillis;
        if (state == ConnectionState.IDLE) {
            STATE.compareAndSet(this, ConnectionState.IDLE, ConnectionState.AUTHENTICATED);
        }
    }

    /** Records {@code frames} outbound frames of {@code bytes} payload bytes in all. */
    public void recordOutbound(int bytes, int frames) {
        messagesOut += frames;
        bytesOut += bytes;
    }

    /** Marks an authenticated connection idle (silent for half the heartbeat interval). */
    public void markIdle() {
        STATE.compareAndSet(this, ConnectionState.AUTHENTICATED, ConnectionState.IDLE);
    }

    /**
     * Starts a close decided by the gateway: moves to {@link ConnectionState#DISCONNECTING} and records the reason.
     *
     * @return {@code false} when the connection was already closing, in which case nothing changed
     */
    public boolean beginClose(CloseReason reason) {
        for (;;) {
            ConnectionState s = state;
            if (s == ConnectionState.DISCONNECTING || s == ConnectionState.DISCONNECTED) {
                return false;
            }
            if (STATE.compareAndSet(this, s, ConnectionState.DISCONNECTING)) {
                closeReason = reason;
                return true;
            }
        }
    }

    /** Adds a room to this connection's list; {@code false} when it was already there. */
    public boolean addRoom(String room, Grant grant) {
        if (inRoom(room)) {
            return false;
        }
        Membership[] r = rooms;
        Membership[] n = Arrays.copyOf(r, r.length + 1);
        n[r.length] = new Membership(room, grant);
        rooms = n;
        return true;
    }

    /** Replaces the grant of a room this connection is in; {@code false} when it is not in it. */
    public boolean regrant(String room, Grant grant) {
        Membership[] r = rooms;
        for (int i = 0; i < r.length; i++) {
            if (r[i].room.equals(room)) {
                Membership[] n = r.clone();
                n[i] = new Membership(room, grant);
                rooms = n;
                return true;
            }
        }
        return false;
    }

    /** Removes a room from this connection's list; {@code false} when it was not there. */
    public boolean removeRoom(String room) {
        Membership[] r = rooms;
        for (int i = 0; i < r.length; i++) {
            if (r[i].room.equals(room)) {
                Membership[] n = new Membership[r.length - 1];
                System.arraycopy(r, 0, n, 0, i);
                System.arraycopy(r, i + 1, n, i, r.length - i - 1);
                rooms = n;
                return true;
            }
        }
        return false;
    }

    /** Clears the room list and returns the rooms' names (on close). */
    public String[] clearRooms() {
        Membership[] r = rooms;
        rooms = NO_ROOMS;
        String[] names = new String[r.length];
        for (int i = 0; i < r.length; i++) {
            names[i] = r[i].room;
        }
        return names;
    }

    boolean authenticate(String user) {
        this.user = user;
        return STATE.compareAndSet(this, ConnectionState.CONNECTED, ConnectionState.AUTHENTICATED);
    }

    /** @return the state before, so that the caller knows whether this call did the removal */
    ConnectionState markDisconnected() {
        return STATE.getAndSet(this, ConnectionState.DISCONNECTED);
    }

    /** One room this connection is in, and the grant it is in it by. Immutable. */
    public static final class Membership {
        private final String room;
        private final Grant grant;

        Membership(String room, Grant grant) {
            this.room = room;
            this.grant = grant;
        }

        public String room() {
            return room;
        }

        public Grant grant() {
            return grant;
        }

        @Override
        public String toString() {
            return room + "(" + grant.source() + ", " + grant.right() + ")";
        }
    }
}
