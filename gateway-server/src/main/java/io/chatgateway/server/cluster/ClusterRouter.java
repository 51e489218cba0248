package io.chatgateway.server.cluster;

import io.chatgateway.Gateway;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.ServerFrames;
import io.chatgateway.room.Room;
import io.chatgateway.room.RoomRegistry;
import io.chatgateway.routing.LocalDelivery;
import io.chatgateway.routing.Presence;
import io.chatgateway.routing.Router;
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
 * <p>Deliveries write to local recipients first, then hand the frame to the broker for the other nodes; the count
 * is both. When the broker is unavailable the local part still happens and the stage fails with
 * {@link UnavailableException} (except a direct message in single-session mode to a user connected here, who
 * cannot be anywhere else).
 *
 * <p>Registrations and joins complete only once Redis has recorded them (and, for a join, once this node is
 * subscribed to the room's channel), which is what makes {@code welcome} and the {@code ack} to {@code join}
 * promises that hold on every node. Their Redis writes are issued on the connection's event loop, like the
 * clean-ups of {@link #unregister}, so that they reach the broker in the connection's own order.
 */
final class ClusterRouter implements Router {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);

    private final RedisCluster cluster;
    private final ConnectionRegistry registry;
    private final RoomRegistry rooms;
    private final LocalDelivery delivery;
    private final String nodeId;
    private final boolean single;
    private final int maxSessions;

    ClusterRouter(RedisCluster cluster, Gateway gateway, LocalDelivery delivery) {
        this.cluster = cluster;
        this.registry = gateway.connections();
        this.rooms = gateway.rooms();
        this.delivery = delivery;
        this.nodeId = gateway.config().nodeId();
        this.single = gateway.config().sessionMode() == SessionMode.SINGLE;
        this.maxSessions = single ? 1 : gateway.config().maxSessionsPerUser();
    }

    @Override
    public CompletionStage<Void> register(Connection connection, String user) {
        if (!cluster.isAvailable()) {
            return CompletableFuture.failedFuture(cluster.unavailable("cannot register with the cluster"));
        }
        for (Connection old : registry.authenticate(connection, user)) {
            old.kick(KickReason.REPLACED);
        }
        if (!connection.isAuthenticated()) {
            return DONE;
        }
        delivery.addAuthenticated(connection);
        return cluster.submit(Op.register(user, connection.id(), maxSessions)).handle((displaced, error) -> {
            if (error != null) {
                throw new CompletionException(cluster.failure("register", error));
            }
            // The oldest of the user's connections beyond the session limit, when they are on this node.
            for (Object id : (List<?>) displaced) {
                Connection c = registry.byId(RedisCluster.string(id));
                if (c != null && c != connection) {
                    c.kick(KickReason.REPLACED);
                }
            }
            return null;
        });
    }

    @Override
    public void unregister(Connection connection) {
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
            leaveInRedis(room, user, connection.id(), lastHere.contains(room));
        }
    }

    @Override
    public CompletionStage<Boolean> join(Connection connection, String room) {
        if (!cluster.isAvailable()) {
            return CompletableFuture.failedFuture(cluster.unavailable("cannot join across the cluster"));
        }
        switch (rooms.join(connection, room)) {
            case CLOSED:
                return FALSE;
            case ALREADY_MEMBER:
                return TRUE;
            default:
                break;
        }
        String user = connection.user();
        EventLoop loop = connection.channel().eventLoop();
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        cluster.subscriptions().acquire(room).whenComplete((v, subscribeError) -> loop.execute(() -> {
            if (!connection.inRoom(room)) {
                // Closed meanwhile: unregister() has already released the room and cleaned up.
                result.complete(Boolean.FALSE);
                return;
            }
            if (subscribeError != null) {
                undoJoin(connection, room);
                result.completeExceptionally(cluster.failure("subscribe", subscribeError));
                return;
            }
            cluster.submit(Op.join(room, user, connection.id(), true)).whenComplete((announced, error) -> {
                if (error != null) {
                    UnavailableException e = cluster.failure("join", error);
                    loop.execute(() -> {
                        undoJoin(connection, room);
                        result.completeExceptionally(e);
                    });
                    return;
                }
                if (isOne(announced)) {
                    delivery.toRoom(room, ServerFrames.joined(ByteBufAllocator.DEFAULT, room, user), connection);
                }
                result.complete(Boolean.TRUE);
            });
        }));
        return result;
    }

    /** On the connection's event loop: takes back a join that could not be completed. */
    private void undoJoin(Connection connection, String room) {
        RoomRegistry.LeaveResult left = rooms.leave(connection, room);
        if (left != RoomRegistry.LeaveResult.NOT_MEMBER) {
            cluster.subscriptions().release(room);
            leaveInRedis(room, connection.user(), connection.id(), left == RoomRegistry.LeaveResult.LAST_OF_USER);
        }
    }

    @Override
    public CompletionStage<Boolean> leave(Connection connection, String room) {
        RoomRegistry.LeaveResult left = rooms.leave(connection, room);
        if (left == RoomRegistry.LeaveResult.NOT_MEMBER) {
            return FALSE;
        }
        cluster.subscriptions().release(room);
        Op op = leaveInRedis(room, connection.user(), connection.id(), left == RoomRegistry.LeaveResult.LAST_OF_USER);
        // Left here at once; the broker's part happens now, or after an outage.
        return op.attempted.thenApply(v -> Boolean.TRUE);
    }

    /**
     * Records a membership's end in Redis, which decides whether it was the user's last connection in the room on
     * any node and tells the other nodes; this node's members hear it when Redis answers. While the broker is down
     * that answer waits, except in single-session mode, where the user's last connection here is the last anywhere.
     */
    private Op leaveInRedis(String room, String user, String connectionId, boolean lastHere) {
        Op op = Op.leave(room, user, connectionId);
        boolean toldHere = lastHere && single && !cluster.isAvailable();
        if (toldHere) {
            delivery.toRoom(room, ServerFrames.left(ByteBufAllocator.DEFAULT, room, user), null);
        }
        cluster.submitDurable(op).thenAccept(announced -> {
            if (isOne(announced) && !toldHere) {
                delivery.toRoom(room, ServerFrames.left(ByteBufAllocator.DEFAULT, room, user), null);
            }
        });
        return op;
    }

    @Override
    public CompletionStage<Integer> sendToUser(String user, ByteBuf frame, Connection exclude) {
        if (single && registry.isOnline(user)) {
            // One session per user: connected here means connected nowhere else.
            return CompletableFuture.completedFuture(delivery.toUser(user, frame, exclude));
        }
        byte[] envelope = Envelope.encode(Envelope.USER, nodeId, user, "", System.currentTimeMillis(), frame);
        int local = delivery.toUser(user, frame, exclude);
        return remote("send", local, Op.send(user, envelope));
    }

    @Override
    public CompletionStage<Integer> publish(String room, ByteBuf frame, Connection exclude) {
        byte[] envelope = Envelope.encode(Envelope.ROOM, nodeId, room, "", System.currentTimeMillis(), frame);
        int local = delivery.toRoom(room, frame, exclude);
        return remote("publish", local, Op.publish(room, envelope));
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

    void onEnvelope(Envelope e) {
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
            default:
                throw new IllegalArgumentException("unknown envelope kind " + e.kind);
        }
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
