package io.chatgateway.session;

import io.chatgateway.metrics.OutboundType;
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
    private static final String[] NO_ROOMS = new String[0];
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
    private volatile String[] rooms = NO_ROOMS;
    private volatile long lastActiveMillis;
    private volatile long bytesIn;
    private volatile long bytesOut;
    private volatile long messagesIn;
    private volatile long messagesOut;

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
        String[] r = rooms;
        return r.length == 0 ? Collections.emptyList() : Collections.unmodifiableList(Arrays.asList(r));
    }

    /** {@code true} when this connection has joined {@code room}. */
    public boolean inRoom(String room) {
        for (String r : rooms) {
            if (r.equals(room)) {
                return true;
            }
        }
        return false;
    }

    /** Number of rooms joined. */
    public int roomCount() {
        return rooms.length;
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

    /** Records an outbound frame of {@code bytes} payload bytes. */
    public void recordOutbound(int bytes) {
        messagesOut++;
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
    public boolean addRoom(String room) {
        if (inRoom(room)) {
            return false;
        }
        String[] r = rooms;
        String[] n = Arrays.copyOf(r, r.length + 1);
        n[r.length] = room;
        rooms = n;
        return true;
    }

    /** Removes a room from this connection's list; {@code false} when it was not there. */
    public boolean removeRoom(String room) {
        String[] r = rooms;
        for (int i = 0; i < r.length; i++) {
            if (r[i].equals(room)) {
                String[] n = new String[r.length - 1];
                System.arraycopy(r, 0, n, 0, i);
                System.arraycopy(r, i + 1, n, i, r.length - i - 1);
                rooms = n;
                return true;
            }
        }
        return false;
    }

    /** Clears and returns the room list (on close). */
    public String[] clearRooms() {
        String[] r = rooms;
        rooms = NO_ROOMS;
        return r;
    }

    boolean authenticate(String user) {
        this.user = user;
        return STATE.compareAndSet(this, ConnectionState.CONNECTED, ConnectionState.AUTHENTICATED);
    }

    /** @return the state before, so that the caller knows whether this call did the removal */
    ConnectionState markDisconnected() {
        return STATE.getAndSet(this, ConnectionState.DISCONNECTED);
    }
}
