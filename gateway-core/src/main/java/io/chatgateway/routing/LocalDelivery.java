package io.chatgateway.routing;

import io.chatgateway.history.Position;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.pipeline.SharedFrame;
import io.chatgateway.pipeline.WriteFailure;
import io.chatgateway.room.Room;
import io.chatgateway.room.RoomRegistry;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes frames to the connections of this node: one user's, one room's, or everyone's.
 *
 * <p>The frame is encoded once by the caller. A frame for one connection is written as it is; a frame for several
 * is wrapped in one {@link SharedFrame} that every recipient gets a reference to, so that its transport framing is
 * built once per transport and each recipient writes a duplicate of the same bytes, whatever its transport. Rooms
 * and "everyone" are {@link ChannelGroup}s. Every write's failure goes to one shared {@link WriteFailure} that evicts
 * the connection (counts the failure, closes the channel, and the registry drops it on close): as the listener of a
 * write to one connection, and directly from a group member's write, which carries no promise of its own (its
 * channel has one for all its shared frames; see {@link SharedFrame#writeTo}). No per-message
 * aggregate future is built, so a stuck recipient holds on to nothing but its own outbound buffer, which the
 * slow-consumer policy bounds.
 *
 * <p>A sequenced room frame without a recovery stamp (a room message with history on, on one node) goes through
 * {@link RoomBatches}: one task per event loop for the room's frames until it runs, writing them to each member as
 * one write.
 *
 * <p>Writes here are {@code write}s, not {@code writeAndFlush}es: the connection's flush handler (at the front of its
 * pipeline) flushes every write by the end of its loop's iteration, and a flush per recipient would only walk the
 * handlers a second time to get there.
 *
 * <p>A recipient is a connection that is authenticated and still open; a connection the gateway is closing (after
 * {@code kicked}) receives nothing more. The returned counts are what {@code ack.recipients} reports.
 */
public final class LocalDelivery {
    private static final Logger log = LoggerFactory.getLogger(LocalDelivery.class);

    private final ConnectionRegistry registry;
    private final RoomRegistry rooms;
    private final GatewayMetrics metrics;
    private final ChannelGroup everyone;
    private final WriteFailure evictOnFailure = this::evict;
    private final RoomBatches batches;

    public LocalDelivery(ConnectionRegistry registry, RoomRegistry rooms, GatewayMetrics metrics,
                         EventExecutor groupExecutor) {
        this.registry = registry;
        this.rooms = rooms;
        this.metrics = metrics;
        this.everyone = new DefaultChannelGroup("authenticated", groupExecutor);
        this.batches = new RoomBatches(evictOnFailure, metrics);
    }

    /** Adds an authenticated connection to the broadcast group (it leaves by itself on close). */
    public void addAuthenticated(Connection c) {
        everyone.add(c.channel());
    }

    /**
     * Writes a direct message to the user's connections on this node except {@code exclude}; releases
     * {@code frame}.
     *
     * @return connections written to
     */
    public int toUser(String user, ByteBuf frame, Connection exclude) {
        return toUser(user, frame, exclude, false);
    }

    /**
     * Writes a direct message to the user's connections on this node except {@code exclude}; releases
     * {@code frame}.
     *
     * @param sequenced the caller holds the lock that orders the user's messages (its inbox): every write is handed
     *                  to the recipient's event loop, even the caller's own, so that writes reach each loop in the
     *                  order of that lock (a write made at once would overtake writes queued before it)
     * @return connections written to
     */
    public int toUser(String user, ByteBuf frame, Connection exclude, boolean sequenced) {
        return toUser(user, frame, exclude, sequenced, null);
    }

    /**
     * Writes a direct message stamped with its place in the user's inbox, as a broker delivers it: each
     * recipient's {@link Connection#admit recovery gate} decides on its own event loop whether it goes out now,
     * waits, or is a duplicate of a replay.
     *
     * @param stamp the message's epoch and offset, or {@code null} for no gate check
     */
    public int toUser(String user, ByteBuf frame, Connection exclude, boolean sequenced, Position stamp) {
        List<Connection> targets = registry.connectionsOf(user);
        if (targets.size() == 1) {
            // The common case: one connection, which gets the frame itself.
            Connection c = targets.get(0);
            if (c != exclude && isRecipient(c)) {
                writeOne(c, frame, sequenced, Connection.INBOX, stamp);
                return counted(OutboundType.MESSAGE, 1);
            }
            frame.release();
            return 0;
        }
        SharedFrame shared = SharedFrame.of(frame);
        try {
            int n = 0;
            for (int i = 0; i < targets.size(); i++) {
                Connection c = targets.get(i);
                if (c != exclude && isRecipient(c)) {
                    writeOne(c, shared.retain(), sequenced, Connection.INBOX, stamp);
                    n++;
                }
            }
            return counted(OutboundType.MESSAGE, n);
        } finally {
            shared.release();
        }
    }

    /** Writes a frame to one connection, if it is still a recipient; releases {@code frame}. */
    public boolean toConnection(Connection c, ByteBuf frame, OutboundType type, boolean sequenced) {
        if (!isRecipient(c)) {
            frame.release();
            return false;
        }
        writeOne(c, frame, sequenced, null, null);
        counted(type, 1);
        return true;
    }

    /**
     * Opens a connection's recovery gate after its replay and answer were written, writing what waited in it; on
     * the connection's event loop.
     */
    public void releaseGate(Connection c, String stream, Position floor) {
        c.releaseGate(stream, floor, f -> send(c.channel(), f));
    }

    /**
     * Writes a room message to the room's members on this node except {@code exclude}; releases {@code frame}.
     *
     * @return connections written to
     */
    public int toRoom(String roomName, ByteBuf frame, Connection exclude) {
        return toRoom(roomName, frame, exclude, OutboundType.MESSAGE, false);
    }

    /**
     * Writes a frame to the room's members on this node except {@code exclude}; releases {@code frame}.
     *
     * @param type      what the frame is, for the counters ({@code message}, {@code joined}, {@code left})
     * @param sequenced the caller holds the lock that orders the room's frames (its history log): see
     *                  {@link #toUser(String, ByteBuf, Connection, boolean)}
     * @return connections written to
     */
    public int toRoom(String roomName, ByteBuf frame, Connection exclude, OutboundType type, boolean sequenced) {
        return toRoom(roomName, frame, exclude, type, sequenced, null);
    }

    /**
     * Writes a room frame stamped with its place in the room's history, as a broker delivers it: each member's
     * {@link Connection#admit recovery gate} decides on its own event loop (see
     * {@link #toUser(String, ByteBuf, Connection, boolean, Position)}).
     *
     * @param stamp the message's epoch and offset, or {@code null} for no gate check
     */
    public int toRoom(String roomName, ByteBuf frame, Connection exclude, OutboundType type, boolean sequenced,
                      Position stamp) {
        SharedFrame shared = SharedFrame.of(frame);
        try {
            Room room = rooms.get(roomName);
            if (room == null) {
                return 0;
            }
            if (sequenced && stamp == null) {
                // One task per loop for all the room's messages until it runs (see RoomBatches).
                return counted(type, batches.add(room, shared, exclude));
            }
            return counted(type, writeToGroup(room.members(), shared, exclude == null ? null : exclude.channel(),
                    null, sequenced, roomName, stamp));
        } finally {
            shared.release();
        }
    }

    /**
     * Writes to every authenticated connection on this node except the user {@code excludeUser}; releases
     * {@code frame}.
     *
     * @return connections written to
     */
    public int toAll(ByteBuf frame, String excludeUser) {
        SharedFrame shared = SharedFrame.of(frame);
        try {
            return counted(OutboundType.MESSAGE, writeToGroup(everyone, shared, null, excludeUser, false, null, null));
        } finally {
            shared.release();
        }
    }

    /**
     * Writes to every member of the group. Members on the calling event loop are written at once; those on other
     * event loops are gathered per loop and written by one task on each, instead of one task per member (which is
     * what writing to a channel from outside its loop costs): a publish to a room of thousands spread over N loops
     * hands N tasks across threads, not thousands. Order is kept: each loop runs the tasks of one publisher in the
     * order they were submitted. When {@code sequenced}, the caller's own loop gets a task like the others.
     */
    private int writeToGroup(ChannelGroup group, SharedFrame frame, Channel exclude, String excludeUser,
                             boolean sequenced, String gate, Position stamp) {
        int n = 0;
        Map<EventLoop, List<Connection>> elsewhere = null;
        int perLoop = 0;
        for (Channel ch : group) {
            if (ch == exclude) {
                continue;
            }
            Connection c = Connection.of(ch);
            if (c == null || !isRecipient(c) || (excludeUser != null && excludeUser.equals(c.user()))) {
                continue;
            }
            EventLoop loop = ch.eventLoop();
            if (!sequenced && loop.inEventLoop()) {
                write(c, frame, gate, stamp);
            } else {
                if (elsewhere == null) {
                    elsewhere = new IdentityHashMap<>(8);
                    // Each loop's list sized for its share of the group at once: grown from ten, the lists of a
                    // room of thousands were a few percent of the bytes a publish allocates.
                    perLoop = group.size() / batches.loopsOf(loop) + 8;
                }
                List<Connection> members = elsewhere.get(loop);
                if (members == null) {
                    members = new ArrayList<>(perLoop);
                    elsewhere.put(loop, members);
                }
                members.add(c);
            }
            n++;
        }
        if (elsewhere != null) {
            for (Map.Entry<EventLoop, List<Connection>> e : elsewhere.entrySet()) {
                List<Connection> members = e.getValue();
                SharedFrame shared = frame.retain();
                try {
                    e.getKey().execute(() -> {
                        // This loop's own copy (see SharedFrame.copy), unless it has a single recipient.
                        SharedFrame local = members.size() > 1 ? shared.copy() : shared.retain();
                        shared.release();
                        try {
                            for (int i = 0; i < members.size(); i++) {
                                write(members.get(i), local, gate, stamp);
                            }
                        } finally {
                            local.release();
                        }
                    });
                } catch (RejectedExecutionException rejected) {
                    // The loop is shutting down: its channels are closing and would fail the writes anyway.
                    shared.release();
                    metrics.writeFailure();
                }
            }
        }
        return n;
    }

    static boolean isRecipient(Connection c) {
        return c.isAuthenticated() && c.channel().isActive();
    }

    /**
     * On the channel's event loop: writes the frame (borrowed, see {@link SharedFrame#writeTo}), unless the member's
     * recovery gate holds it; a failed write evicts the member.
     */
    private void write(Connection c, SharedFrame frame, String gate, Position stamp) {
        if (stamp != null && !c.admit(gate, stamp, frame)) {
            return;
        }
        frame.writeTo(c.channel(), evictOnFailure);
    }

    /**
     * Writes {@code msg} (a ByteBuf or SharedFrame this call owns) to one connection: at once, or from a task on
     * its loop when the write must keep the caller's lock order ({@code sequenced}) or pass its recovery gate.
     */
    private void writeOne(Connection c, Object msg, boolean sequenced, String gate, Position stamp) {
        Channel ch = c.channel();
        boolean here = ch.eventLoop().inEventLoop();
        if (stamp == null && (!sequenced || !here)) {
            // From another thread, write queues a task on the channel's loop itself.
            send(ch, msg);
            return;
        }
        Runnable task = () -> {
            if (stamp != null && !c.admit(gate, stamp, msg)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            send(ch, msg);
        };
        if (here && !sequenced) {
            task.run();
            return;
        }
        try {
            ch.eventLoop().execute(task);
        } catch (RejectedExecutionException rejected) {
            ReferenceCountUtil.release(msg);
            metrics.writeFailure();
        }
    }

    /**
     * How this class writes a frame it owns to a connection (a group member's borrowed frame goes through
     * {@link #write}, with the same failure handler): a {@code write} (its flush handler flushes it by the end of the
     * loop's iteration) whose failure evicts the connection.
     */
    private void send(Channel ch, Object msg) {
        ch.write(msg).addListener(evictOnFailure);
    }

    private int counted(OutboundType type, int n) {
        if (n > 0) {
            metrics.framesOut(type, n);
            if (type == OutboundType.MESSAGE) {
                metrics.deliveries(n);
            }
        }
        return n;
    }

    /** A write to {@code ch} failed: counts it, and closes the channel if it is still open. */
    private void evict(Channel ch, Throwable cause) {
        metrics.writeFailure();
        if (ch.isOpen()) {
            metrics.eviction();
            Connection c = Connection.of(ch);
            if (log.isDebugEnabled()) {
                log.debug("{} write failed, evicting: {}", c == null ? ch : c.logPrefix(), cause.toString());
            }
            ch.close();
        }
    }
}
