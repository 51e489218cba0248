package io.chatgateway.server.cluster;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.history.History;
import io.chatgateway.history.Position;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.policy.Grant;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.LeaveReason;
import io.chatgateway.protocol.ServerFrames;
import io.chatgateway.room.Room;
import io.chatgateway.room.RoomRegistry;
import io.chatgateway.routing.Delivery;
import io.chatgateway.routing.JoinOutcome;
import io.chatgateway.routing.LocalDelivery;
import io.chatgateway.routing.Login;
import io.chatgateway.routing.Presence;
import io.chatgateway.routing.Router;
import io.chatgateway.routing.ServerMembership;
import io.chatgateway.routing.UnavailableException;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.chatgateway.session.SessionMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The router of a cluster node: this node's connections and rooms are served from memory through
 * {@link LocalDelivery}, everything beyond them through {@link RedisCluster}.
 *
 * <p>Without history, deliveries write to local recipients first, then hand the frame to the broker for the other
 * nodes; the count is both. When the broker is unavailable the local part still happens and the stage fails with
 * {@link UnavailableException} (except a direct message in single-session mode to a user connected here, who
 * cannot be anywhere else).
 *
 * <p>With history (room history, inboxes), offsets come from Redis: one script assigns the offset, keeps the frame
 * and publishes it to every node that serves the room or user, this one included, so every member everywhere gets
 * the same offsets in the same order. Nothing is then delivered locally first. While the broker is unavailable the
 * node carries on as without history for what it can serve alone: local recipients get the message without an
 * offset (it is not kept), and the sender hears {@code unavailable} where other nodes would have been needed. A
 * join or login that resumes
 * reads the history from Redis while live frames for the connection wait in its recovery gate; the handler writes
 * the replay and the answer, then opens the gate, which drops what the replay already gave (see
 * docs/architecture.md).
 *
 * <p>Registrations and joins complete only once Redis has recorded them (and, for a join, once this node is
 * subscribed to the room's channel), which is what makes {@code welcome} and the {@code ack} to {@code join}
 * promises that hold on every node. Their Redis writes are issued on the connection's event loop, like the
 * clean-ups of {@link #unregister}, so that they reach the broker in the connection's own order.
 */
final class ClusterRouter implements Router {
    private static final CompletableFuture<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);

    private final RedisCluster cluster;
    private final ConnectionRegistry registry;
    private final RoomRegistry rooms;
    private final LocalDelivery delivery;
    private final String nodeId;
    private final boolean single;
    private final int maxSessions;
    private final boolean roomHistory;
    private final boolean inboxes;
    private final RedisHistory history;

    ClusterRouter(RedisCluster cluster, Gateway gateway, LocalDelivery delivery) {
        GatewayConfig config = gateway.config();
        this.cluster = cluster;
        this.registry = gateway.connections();
        this.rooms = gateway.rooms();
        this.delivery = delivery;
        this.nodeId = config.nodeId();
        this.single = config.sessionMode() == SessionMode.SINGLE;
        this.maxSessions = sessionLimit(config);
        this.roomHistory = config.isHistoryEnabled();
        this.inboxes = config.isInboxEnabled();
        this.history = new RedisHistory(cluster, Math.max(config.maxFrameBytes(), config.outboundBufferBytes() / 2));
    }

    @Override
    public History history() {
        return history;
    }

    // ---- connections

    /** The cluster-wide session limit of a user, as REG applies it: 1 in single-session mode; 0 for none. */
    static int sessionLimit(GatewayConfig config) {
        return config.sessionMode() == SessionMode.SINGLE ? 1 : config.maxSessionsPerUser();
    }

    /**
     * Kicks with {@code replaced} the connections of this node that a REG displaced ({@code displaced}: its reply,
     * connection ids), except {@code keep}.
     *
     * @return how many were kicked
     */
    static int kickDisplaced(ConnectionRegistry registry, Object displaced, Connection keep) {
        int kicked = 0;
        for (Object id : (List<?>) displaced) {
            Connection c = registry.byId(RedisCluster.string(id));
            if (c != null && c != keep) {
                c.kick(KickReason.REPLACED);
                kicked++;
            }
        }
        return kicked;
    }

    @Override
    public CompletionStage<Login> register(Connection connection, String user, Position inboxSince) {
        if (!cluster.isAvailable()) {
            return CompletableFuture.failedFuture(cluster.unavailable("cannot register with the cluster"));
        }
        if (inboxes) {
            // Direct messages that reach this node for the connection wait until its welcome is out.
            connection.closeGate(Connection.INBOX);
        }
        for (Connection old : registry.authenticate(connection, user)) {
            old.kick(KickReason.REPLACED);
        }
        if (!connection.isAuthenticated()) {
            connection.dropGate(Connection.INBOX);
            return CompletableFuture.completedFuture(Login.PLAIN);
        }
        delivery.addAuthenticated(connection);
        CompletableFuture<Object> registered = cluster.submit(Op.register(user, connection.id(), maxSessions));
        // In the same batch, after the registration: from here on this node gets the user's messages live.
        CompletableFuture<Object> read = inboxes ? cluster.submit(Op.inboxRead(user, inboxSince, 0))
                : CompletableFuture.completedFuture(null);
        return registered.thenCombine(read, (displaced, inbox) -> {
            // The oldest of the user's connections beyond the session limit, when they are on this node.
            kickDisplaced(registry, displaced, connection);
            if (inbox == null) {
                return Login.PLAIN;
            }
            RedisHistory.Read r = history.replay(inbox);
            return new Login(r.position(), inboxSince == null ? null : r.recovered(), r.messages(),
                    () -> delivery.releaseGate(connection, Connection.INBOX, r.position()));
        }).handle((login, error) -> {
            if (error != null) {
                throw new CompletionException(cluster.failure("register", error));
            }
            return login;
        });
    }

    @Override
    public void unregister(Connection connection) {
        connection.dropGates();
        List<String> joined = connection.rooms();
        Collection<String> lastHere = rooms.leaveAll(connection);
        for (String room : joined) {
            cluster.subscriptions().release(room);
        }
        String user = connection.user();
        if (user == null) {
            return;
        }
        cluster.submitDurable(Op.unregister(user, connection.id()));
        for (String room : joined) {
            leaveInRedis(room, user, connection.id(), lastHere.contains(room), LeaveReason.DISCONNECT);
        }
    }

    // ---- rooms

    @Override
    public CompletionStage<JoinOutcome> join(Connection connection, String room, Grant grant, Position since) {
        if (!cluster.isAvailable()) {
            return CompletableFuture.failedFuture(cluster.unavailable("cannot join across the cluster"));
        }
        RoomRegistry.JoinResult joined = rooms.join(connection, room, grant);
        switch (joined) {
            case CLOSED:
                return CompletableFuture.completedFuture(JoinOutcome.CLOSED);
            case ALREADY_MEMBER:
                return alreadyMember(connection, room, since);
            default:
                break;
        }
        if (roomHistory) {
            // Room messages for the connection wait until its ack is out (see RecoveryGate).
            connection.closeGate(room);
        }
        String user = connection.user();
        EventLoop loop = connection.channel().eventLoop();
        CompletableFuture<JoinOutcome> result = new CompletableFuture<>();
        cluster.subscriptions().acquire(room).whenComplete((v, subscribeError) -> loop.execute(() -> {
            if (!connection.inRoom(room)) {
                // Closed meanwhile: unregister() has already released the room and cleaned up.
                result.complete(JoinOutcome.CLOSED);
                return;
            }
            if (subscribeError != null) {
                undoJoin(connection, room);
                result.completeExceptionally(cluster.failure("subscribe", subscribeError));
                return;
            }
            // Subscribed: every message published from now on reaches this node. The read comes after, in the
            // same batch, so that what it misses arrives live (and what both have, the gate drops).
            CompletableFuture<Object> recorded = cluster.submit(Op.join(room, user, connection.id(), true));
            CompletableFuture<Object> read = roomHistory ? cluster.submit(Op.roomRead(room, since, 0))
                    : CompletableFuture.completedFuture(null);
            recorded.thenCombine(read, (flags, page) -> {
                long f = (Long) flags;
                if ((f & 1) != 0) {
                    delivery.toRoom(room, ServerFrames.joined(ByteBufAllocator.DEFAULT, room, user), connection,
                            OutboundType.JOINED, false);
                }
                RedisHistory.Read r = page == null ? null : history.replay(page);
                return outcome(connection, room, grant, since, (f & 2) != 0, r);
            }).whenComplete((outcome, error) -> loop.execute(() -> {
                if (error != null) {
                    undoJoin(connection, room);
                    result.completeExceptionally(cluster.failure("join", error));
                } else {
                    result.complete(outcome);
                }
            }));
        }));
        return result;
    }

    private JoinOutcome outcome(Connection connection, String room, Grant grant, Position since, boolean events,
                                RedisHistory.Read read) {
        boolean toSelf = grant.source() == Grant.Source.SERVER;
        Runnable afterAck = () -> {
            if (toSelf) {
                // The server put it there: it hears so itself, before anything the room sends it from now on.
                delivery.toConnection(connection, ServerFrames.joined(ByteBufAllocator.DEFAULT, room,
                        connection.user()), OutboundType.JOINED, false);
            }
            if (read != null) {
                delivery.releaseGate(connection, room, read.position());
            }
        };
        if (read == null) {
            return new JoinOutcome(true, null, events, since == null ? null : Boolean.FALSE, List.of(), afterAck);
        }
        return new JoinOutcome(true, read.position(), events, since == null ? null : read.recovered(),
                read.messages(), afterAck);
    }

    /** A join of a room the connection is in: nothing to replay; the ack still tells the room's position. */
    private CompletionStage<JoinOutcome> alreadyMember(Connection connection, String room, Position since) {
        CompletableFuture<Object> flags = cluster.submit(Op.join(room, connection.user(), connection.id(), false));
        CompletableFuture<Object> read = roomHistory ? cluster.submit(Op.roomRead(room, null, 0))
                : CompletableFuture.completedFuture(null);
        return flags.thenCombine(read, (f, page) -> {
            boolean events = (((Long) f) & 2) != 0;
            if (page == null) {
                return new JoinOutcome(true, null, events, since == null ? null : Boolean.FALSE, List.of());
            }
            Position position = history.replay(page).position();
            return new JoinOutcome(true, position, events,
                    since == null ? null : since.epoch().equals(position.epoch()), List.of());
        }).handle((outcome, error) -> {
            if (error != null) {
                throw new CompletionException(cluster.failure("join", error));
            }
            return outcome;
        });
    }

    /** On the connection's event loop: takes back a join that could not be completed. */
    private void undoJoin(Connection connection, String room) {
        connection.dropGate(room);
        RoomRegistry.LeaveResult left = rooms.leave(connection, room);
        if (left != RoomRegistry.LeaveResult.NOT_MEMBER) {
            cluster.subscriptions().release(room);
            leaveInRedis(room, connection.user(), connection.id(), left == RoomRegistry.LeaveResult.LAST_OF_USER,
                    LeaveReason.LEAVE);
        }
    }

    @Override
    public CompletionStage<Boolean> leave(Connection connection, String room, LeaveReason reason) {
        RoomRegistry.LeaveResult left = rooms.leave(connection, room);
        if (left == RoomRegistry.LeaveResult.NOT_MEMBER) {
            return FALSE;
        }
        connection.dropGate(room);
        cluster.subscriptions().release(room);
        if (reason == LeaveReason.REMOVED || reason == LeaveReason.REVOKED) {
            delivery.toConnection(connection, ServerFrames.left(ByteBufAllocator.DEFAULT, room, connection.user(),
                    reason), OutboundType.LEFT, false);
        }
        Op op = leaveInRedis(room, connection.user(), connection.id(), left == RoomRegistry.LeaveResult.LAST_OF_USER,
                reason);
        // Left here at once; the broker's part happens now, or after an outage.
        return op.attempted.thenApply(v -> Boolean.TRUE);
    }

    /**
     * Records a membership's end in Redis, which decides whether it was the user's last connection in the room on
     * any node and tells the other nodes; this node's members hear it when Redis answers. While the broker is down
     * that answer waits, except in single-session mode, where the user's last connection here is the last anywhere.
     */
    private Op leaveInRedis(String room, String user, String connectionId, boolean lastHere, LeaveReason reason) {
        Op op = Op.leave(room, user, connectionId, reason);
        boolean toldHere = lastHere && single && !cluster.isAvailable();
        if (toldHere) {
            delivery.toRoom(room, ServerFrames.left(ByteBufAllocator.DEFAULT, room, user, reason), null,
                    OutboundType.LEFT, false);
        }
        cluster.submitDurable(op).thenAccept(announced -> {
            if (isOne(announced) && !toldHere) {
                delivery.toRoom(room, ServerFrames.left(ByteBufAllocator.DEFAULT, room, user, reason), null,
                        OutboundType.LEFT, false);
            }
        });
        return op;
    }

    // ---- messages

    @Override
    public CompletionStage<Delivery> sendToUser(String user, ByteBuf open, Connection exclude, boolean ephemeral) {
        if (inboxes && cluster.isAvailable()) {
            Op op = Op.inboxSend(user, open, ephemeral, exclude == null ? "" : exclude.id());
            return cluster.submit(op).handle((r, error) -> {
                if (error != null) {
                    throw new CompletionException(cluster.failure("send", error));
                }
                if (r instanceof Long) {
                    throw new CompletionException(cluster.unavailable("send timed out in Redis"));
                }
                List<?> reply = (List<?>) r;
                return new Delivery(((Long) reply.get(0)).intValue(), (Long) reply.get(1) == 1);
            });
        }
        // Without inboxes, or while the broker is down (then without an offset, and not kept: this node carries on
        // for its own users as it does without history).
        ByteBuf frame = ServerFrames.finishMessage(open, 0);
        if (single && !cluster.isAvailable() && registry.isOnline(user)) {
            // One session per user, and no login can happen anywhere while the broker is down: connected here
            // means connected nowhere else. With the broker up that does not hold: a login on another node that
            // replaces the session here is recorded in Redis (and welcomed) before its kick reaches this node, and
            // the kicked connection stays in the registry until it has closed. Only Redis, which ran that login's
            // REG, knows where the user is now.
            return CompletableFuture.completedFuture(Delivery.to(delivery.toUser(user, frame, exclude)));
        }
        byte[] envelope = Envelope.encode(Envelope.USER, nodeId, user, "", System.currentTimeMillis(), frame);
        int local = delivery.toUser(user, frame, exclude);
        return remote("send", local, Op.send(user, envelope)).thenApply(Delivery::to);
    }

    @Override
    public CompletionStage<Delivery> publish(String room, ByteBuf open, Connection exclude, boolean ephemeral) {
        if (roomHistory && cluster.isAvailable()) {
            Op op = Op.historyPublish(room, open, ephemeral, exclude == null ? "" : exclude.id());
            return cluster.submit(op).handle((count, error) -> {
                if (error != null) {
                    throw new CompletionException(cluster.failure("publish", error));
                }
                if ((Long) count < 0) {
                    throw new CompletionException(cluster.unavailable("publish timed out in Redis"));
                }
                return Delivery.to(((Long) count).intValue());
            });
        }
        // Without history, or while the broker is down: local members now (without an offset), then unavailable.
        ByteBuf frame = ServerFrames.finishMessage(open, 0);
        byte[] envelope = Envelope.encode(Envelope.ROOM, nodeId, room, "", System.currentTimeMillis(), frame);
        int local = delivery.toRoom(room, frame, exclude);
        return remote("publish", local, Op.publish(room, envelope)).thenApply(Delivery::to);
    }

    @Override
    public CompletionStage<Integer> broadcast(ByteBuf frame, String excludeUser) {
        byte[] envelope = Envelope.encode(Envelope.ALL, nodeId, excludeUser == null ? "" : excludeUser, "",
                System.currentTimeMillis(), frame);
        int local = delivery.toAll(frame, excludeUser);
        return remote("broadcast", local, Op.broadcast(excludeUser, envelope));
    }

    @Override
    public CompletionStage<Integer> disconnect(String user, KickReason reason) {
        List<Connection> connections = registry.connectionsOf(user);
        for (Connection c : connections) {
            c.kick(reason);
        }
        byte[] envelope = Envelope.encode(Envelope.DISCONNECT, nodeId, user, reason.wireName(),
                System.currentTimeMillis());
        return remote("disconnect", connections.size(), Op.disconnect(user, envelope));
    }

    @Override
    public CompletionStage<Integer> addMember(String user, String room, RoomRight right) {
        return membership(ServerMembership.add(this, registry.connectionsOf(user), room, right),
                Op.membership(user, room, right));
    }

    @Override
    public CompletionStage<Integer> removeMember(String user, String room) {
        return membership(ServerMembership.remove(this, registry.connectionsOf(user), room),
                Op.membership(user, room, null));
    }

    /** This node's part, then the other nodes' through the broker; the count is both. */
    private CompletionStage<Integer> membership(CompletionStage<Integer> local, Op op) {
        return local.thenCompose(here -> remote("membership", here, op));
    }

    /** Completes with {@code local} plus what the broker handed to other nodes, or fails saying what was done here. */
    private CompletionStage<Integer> remote(String what, int local, Op op) {
        if (!cluster.isAvailable()) {
            return CompletableFuture.failedFuture(withLocal(cluster.unavailable(what + " reached this node only"),
                    local));
        }
        return cluster.submit(op).handle((remote, error) -> {
            if (error != null) {
                throw new CompletionException(withLocal(cluster.failure(what, error), local));
            }
            long handed = (Long) remote;
            if (handed < 0) {
                // Redis ran the batch after its deadline, when this node had stopped waiting: not delivered.
                throw new CompletionException(withLocal(cluster.unavailable(what + " timed out in Redis"), local));
            }
            return local + (int) handed;
        });
    }

    private static UnavailableException withLocal(UnavailableException e, int local) {
        return local == 0 ? e
                : new UnavailableException(e.getMessage() + "; delivered to " + local + " connection(s) on this node");
    }

    @Override
    public CompletionStage<Presence> presence(String room, int limit) {
        Collection<String> here;
        if (room == null) {
            here = registry.users();
        } else {
            Room r = rooms.get(room);
            here = r == null ? Collections.emptySet() : r.users();
        }
        return cluster.presence(room, limit).thenApply(reply -> {
            LinkedHashSet<String> users = new LinkedHashSet<>();
            for (String u : here) {
                if (users.size() > limit) {
                    break;
                }
                users.add(u);
            }
            for (Object u : (List<?>) reply.get(0)) {
                if (users.size() > limit) {
                    break;
                }
                users.add(RedisCluster.string(u));
            }
            boolean more = ((Long) reply.get(1)) == 1 || users.size() > limit;
            List<String> list = new ArrayList<>(Math.min(users.size(), limit));
            for (String u : users) {
                if (list.size() == limit) {
                    break;
                }
                list.add(u);
            }
            return new Presence(list, more);
        });
    }

    // ---- what other nodes send this one

    /** Test seam: while not null, envelopes from the broker wait here instead of being handled. */
    private volatile List<Envelope> held;

    /** Test seam: holds every envelope the broker hands this node until {@link #releaseEnvelopes()}. */
    synchronized void holdEnvelopes() {
        if (held == null) {
            held = new ArrayList<>();
        }
    }

    /** Test seam: handles the held envelopes, in the order they arrived, and stops holding. */
    synchronized void releaseEnvelopes() {
        List<Envelope> h = held;
        held = null;
        if (h != null) {
            for (Envelope e : h) {
                handle(e);
            }
        }
    }

    void onEnvelope(Envelope e) {
        if (held != null) {
            synchronized (this) {
                if (held != null) {
                    held.add(e);
                    return;
                }
            }
        }
        handle(e);
    }

    private void handle(Envelope e) {
        switch (e.kind) {
            case Envelope.USER:
                if (registry.isOnline(e.a)) {
                    delivery.toUser(e.a, e.frame(ByteBufAllocator.DEFAULT), null);
                }
                break;
            case Envelope.ROOM:
                if (!nodeId.equals(e.origin) && rooms.get(e.a) != null) {
                    Connection exclude = e.b.isEmpty() ? null : registry.byId(e.b);
                    delivery.toRoom(e.a, e.frame(ByteBufAllocator.DEFAULT), exclude);
                }
                break;
            case Envelope.ROOM_SEQUENCED:
                if (rooms.get(e.a) != null) {
                    Envelope.Stamp s = e.stamp();
                    delivery.toRoom(e.a, e.frame(ByteBufAllocator.DEFAULT), excluded(s), OutboundType.MESSAGE, false,
                            s.position());
                }
                break;
            case Envelope.INBOX:
                if (registry.isOnline(e.a)) {
                    Envelope.Stamp s = e.stamp();
                    delivery.toUser(e.a, e.frame(ByteBufAllocator.DEFAULT), excluded(s), false, s.position());
                }
                break;
            case Envelope.ALL:
                delivery.toAll(e.frame(ByteBufAllocator.DEFAULT), e.a.isEmpty() ? null : e.a);
                break;
            case Envelope.KICK:
                KickReason reason = reason(e.a);
                for (String id : e.b.split(" ")) {
                    Connection c = registry.byId(id);
                    if (c != null) {
                        c.kick(reason);
                    }
                }
                break;
            case Envelope.DISCONNECT:
                for (Connection c : registry.connectionsOf(e.a)) {
                    c.kick(reason(e.b));
                }
                break;
            case Envelope.MEMBERSHIP:
                int space = e.b.indexOf(' ');
                String op = e.b.substring(0, space);
                String room = e.b.substring(space + 1);
                List<Connection> mine = registry.connectionsOf(e.a);
                if (op.equals("L")) {
                    ServerMembership.remove(this, mine, room);
                } else {
                    ServerMembership.add(this, mine, room, op.equals("Jr") ? RoomRight.READ : RoomRight.PUBLISH);
                }
                break;
            default:
                throw new IllegalArgumentException("unknown envelope kind " + e.kind);
        }
    }

    private Connection excluded(Envelope.Stamp s) {
        return s.excludedConnection().isEmpty() ? null : registry.byId(s.excludedConnection());
    }

    private static KickReason reason(String wireName) {
        for (KickReason r : KickReason.values()) {
            if (r.wireName().equals(wireName)) {
                return r;
            }
        }
        return KickReason.ADMIN;
    }

    private static boolean isOne(Object scriptResult) {
        return scriptResult instanceof Long && (Long) scriptResult == 1L;
    }
}
