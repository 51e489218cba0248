package io.chatgateway.routing;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.history.History;
import io.chatgateway.history.HistoryPage;
import io.chatgateway.history.MemoryHistory;
import io.chatgateway.history.Position;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.policy.Grant;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.LeaveReason;
import io.chatgateway.protocol.ServerFrames;
import io.chatgateway.room.Room;
import io.chatgateway.room.RoomRegistry;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * The router of a single node: everything is in this process's memory and every stage is complete on return.
 *
 * <p>With history on, every frame for a room (messages, {@code joined}, {@code left}) is assigned its place while
 * holding the room's {@link MemoryHistory.Log} and handed to each member's event loop under it, and so is every
 * direct message under the recipient's inbox; a join or login that resumes from an offset takes its snapshot under
 * the same lock. That is what makes offsets, history and delivery one order, and a replay neither overlap nor
 * miss what arrives live (see docs/architecture.md, "History and recovery").
 */
public class LocalRouter implements Router {
    private static final CompletableFuture<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);

    private final ConnectionRegistry registry;
    private final RoomRegistry rooms;
    private final LocalDelivery delivery;
    private final MemoryHistory history;
    private final int eventsMaxMembers;

    public LocalRouter(Gateway gateway, LocalDelivery delivery) {
        this(gateway.connections(), gateway.rooms(), delivery, memoryHistory(gateway.config(), gateway.clock()),
                gateway.config().roomEventsMaxMembers());
    }

    public LocalRouter(ConnectionRegistry registry, RoomRegistry rooms, LocalDelivery delivery, MemoryHistory history,
                       int eventsMaxMembers) {
        this.registry = registry;
        this.rooms = rooms;
        this.delivery = delivery;
        this.history = history;
        this.eventsMaxMembers = eventsMaxMembers;
    }

    /** The in-memory history a configuration asks for. */
    public static MemoryHistory memoryHistory(GatewayConfig c, LongSupplier clock) {
        // A replay or page is bounded by what one connection may buffer before it counts as a slow consumer.
        long page = Math.max(c.maxFrameBytes(), c.outboundBufferBytes() / 2);
        return new MemoryHistory(c.historySize(), c.historyTtl().toMillis(), c.inboxSize(), c.inboxTtl().toMillis(),
                c.historyMaxBytes(), page, clock);
    }

    @Override
    public History history() {
        return history;
    }

    @Override
    public void sweep() {
        history.expire(room -> rooms.get(room) != null, registry::isOnline);
    }

    // ---- connections

    @Override
    public CompletionStage<Login> register(Connection connection, String user, Position inboxSince) {
        if (!history.inboxesEnabled()) {
            kickDisplaced(registry.authenticate(connection, user));
            delivery.addAuthenticated(connection);
            return CompletableFuture.completedFuture(Login.PLAIN);
        }
        List<Connection> displaced = new ArrayList<>(1);
        Login login = history.withInbox(user, true, inbox -> {
            // Bound under the inbox's lock: a direct message is either in the snapshot or reaches it live.
            displaced.addAll(registry.authenticate(connection, user));
            inbox.touch();
            if (inboxSince == null) {
                return new Login(inbox.position(), null, List.of());
            }
            HistoryPage missed = inbox.replay(inboxSince);
            return new Login(missed.position(), missed.recovered(), missed.messages());
        });
        kickDisplaced(displaced);
        delivery.addAuthenticated(connection);
        return CompletableFuture.completedFuture(login);
    }

    private static void kickDisplaced(List<Connection> displaced) {
        for (Connection old : displaced) {
            old.kick(KickReason.REPLACED);
        }
    }

    @Override
    public void unregister(Connection connection) {
        String user = connection.user();
        List<String> joined = connection.rooms();
        Collection<String> lastOfUser = rooms.leaveAll(connection);
        for (String room : joined) {
            if (lastOfUser.contains(room)) {
                announceLeft(room, user, LeaveReason.DISCONNECT);
            }
        }
        if (user != null && history.inboxesEnabled()) {
            // The inbox outlives the user's last connection by its TTL, counted from now.
            history.withInbox(user, false, inbox -> {
                if (inbox != null) {
                    inbox.touch();
                }
                return null;
            });
        }
    }

    // ---- rooms

    @Override
    public CompletionStage<JoinOutcome> join(Connection connection, String room, Grant grant, Position since) {
        if (!history.roomsEnabled()) {
            return CompletableFuture.completedFuture(joinNow(connection, room, grant, since, null));
        }
        return CompletableFuture.completedFuture(
                history.withRoom(room, log -> joinNow(connection, room, grant, since, log)));
    }

    /** The join itself; with history on, under the room's log, so that the snapshot and membership are one step. */
    private JoinOutcome joinNow(Connection connection, String room, Grant grant, Position since,
                                MemoryHistory.Log log) {
        RoomRegistry.JoinResult r = rooms.join(connection, room, grant);
        if (r == RoomRegistry.JoinResult.CLOSED) {
            return JoinOutcome.CLOSED;
        }
        boolean events = announces(room, 0);
        if (r == RoomRegistry.JoinResult.FIRST_OF_USER && events) {
            delivery.toRoom(room, ServerFrames.joined(ByteBufAllocator.DEFAULT, room, connection.user()), connection,
                    OutboundType.JOINED, log != null);
        }
        if (grant.source() == Grant.Source.SERVER && r != RoomRegistry.JoinResult.ALREADY_MEMBER) {
            // The server put it there: it hears so itself, before anything the room sends it from now on.
            delivery.toConnection(connection, ServerFrames.joined(ByteBufAllocator.DEFAULT, room, connection.user()),
                    OutboundType.JOINED, log != null);
        }
        if (log == null) {
            return new JoinOutcome(true, null, events, since == null ? null : Boolean.FALSE, List.of());
        }
        Position position = log.position();
        if (since == null) {
            return new JoinOutcome(true, position, events, null, List.of());
        }
        if (r == RoomRegistry.JoinResult.ALREADY_MEMBER) {
            // It has been receiving the room all along: nothing to replay, nothing missed in this epoch.
            return new JoinOutcome(true, position, events, since.epoch().equals(position.epoch()), List.of());
        }
        HistoryPage missed = log.replay(since);
        return new JoinOutcome(true, position, events, missed.recovered(), missed.messages());
    }

    @Override
    public CompletionStage<Boolean> leave(Connection connection, String room, LeaveReason reason) {
        RoomRegistry.LeaveResult r = rooms.leave(connection, room);
        if (r == RoomRegistry.LeaveResult.NOT_MEMBER) {
            return FALSE;
        }
        String user = connection.user();
        if (reason == LeaveReason.REMOVED || reason == LeaveReason.REVOKED) {
            // Taken out by the server or a refresh: it hears so itself, after what the room sent it before.
            inOrder(room, () -> delivery.toConnection(connection,
                    ServerFrames.left(ByteBufAllocator.DEFAULT, room, user, reason), OutboundType.LEFT,
                    history.roomsEnabled()));
        }
        if (r == RoomRegistry.LeaveResult.LAST_OF_USER) {
            announceLeft(room, user, reason);
        }
        return TRUE;
    }

    /**
     * Announces a user's {@code left} to the room's remaining members, when the room (counting the user who just
     * left it) is within the announcement limit.
     */
    private void announceLeft(String room, String user, LeaveReason reason) {
        if (!announces(room, 1)) {
            return;
        }
        inOrder(room, () -> delivery.toRoom(room, ServerFrames.left(ByteBufAllocator.DEFAULT, room, user, reason),
                null, OutboundType.LEFT, history.roomsEnabled()));
    }

    /**
     * {@code true} while the room has at most the announcement limit of member users; {@code gone} counts users
     * that just left it.
     */
    private boolean announces(String room, int gone) {
        Room r = rooms.get(room);
        return (r == null ? 0 : r.userCount()) + gone <= eventsMaxMembers;
    }

    /** Runs a delivery in the room's one order: under its log when history is on. */
    private void inOrder(String room, Runnable deliver) {
        if (!history.roomsEnabled()) {
            deliver.run();
            return;
        }
        history.withRoom(room, log -> {
            deliver.run();
            return null;
        });
    }

    // ---- messages

    @Override
    public CompletionStage<Delivery> sendToUser(String user, ByteBuf open, Connection exclude, boolean ephemeral) {
        if (!history.inboxesEnabled()) {
            return done(Delivery.to(delivery.toUser(user, ServerFrames.finishMessage(open, 0), exclude)));
        }
        return done(history.withInbox(user, registry.isOnline(user), inbox -> {
            List<Connection> connections = registry.connectionsOf(user);
            boolean online = !connections.isEmpty();
            boolean othersOnline = connections.size() > (exclude != null && connections.contains(exclude) ? 1 : 0);
            // Nobody to write to and no inbox to keep it in: the sender hears user_offline. A send to oneself that
            // reaches no other connection is not kept either (protocol v1: user_offline).
            if (inbox == null || !othersOnline && (exclude != null || ephemeral || !inbox.isLive(online))) {
                open.release();
                return Delivery.NONE;
            }
            ByteBuf frame = stamp(inbox, open, ephemeral);
            int n = delivery.toUser(user, frame, exclude, true);
            return new Delivery(n, n == 0 && !ephemeral);
        }));
    }

    @Override
    public CompletionStage<Delivery> publish(String room, ByteBuf open, Connection exclude, boolean ephemeral) {
        if (!history.roomsEnabled()) {
            return done(Delivery.to(delivery.toRoom(room, ServerFrames.finishMessage(open, 0), exclude)));
        }
        return done(history.withRoom(room, log -> Delivery.to(delivery.toRoom(room, stamp(log, open, ephemeral),
                exclude, OutboundType.MESSAGE, true))));
    }

    /** Under the log: finishes the frame with the next offset and keeps it, unless ephemeral. */
    private static ByteBuf stamp(MemoryHistory.Log log, ByteBuf open, boolean ephemeral) {
        if (ephemeral) {
            return ServerFrames.finishMessage(open, 0);
        }
        ByteBuf frame = ServerFrames.finishMessage(open, log.nextOffset());
        log.append(frame);
        return frame;
    }

    @Override
    public CompletionStage<Integer> broadcast(ByteBuf frame, String excludeUser) {
        return CompletableFuture.completedFuture(delivery.toAll(frame, excludeUser));
    }

    @Override
    public CompletionStage<Presence> presence(String room, int limit) {
        Collection<String> users;
        if (room == null) {
            users = registry.users();
        } else {
            Room r = rooms.get(room);
            if (r == null) {
                return CompletableFuture.completedFuture(new Presence(List.of(), false));
            }
            users = r.users();
        }
        List<String> list = new ArrayList<>(Math.min(limit, 64));
        Iterator<String> it = users.iterator();
        while (it.hasNext() && list.size() < limit) {
            list.add(it.next());
        }
        return CompletableFuture.completedFuture(new Presence(list, it.hasNext()));
    }

    @Override
    public CompletionStage<Integer> disconnect(String user, KickReason reason) {
        List<Connection> connections = registry.connectionsOf(user);
        for (Connection c : connections) {
            c.kick(reason);
        }
        return CompletableFuture.completedFuture(connections.size());
    }

    // ---- server-side membership

    @Override
    public CompletionStage<Integer> addMember(String user, String room, RoomRight right) {
        return ServerMembership.add(this, registry.connectionsOf(user), room, right);
    }

    @Override
    public CompletionStage<Integer> removeMember(String user, String room) {
        return ServerMembership.remove(this, registry.connectionsOf(user), room);
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
