package io.chatgateway.routing;

import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.ServerFrames;
import io.chatgateway.room.Room;
import io.chatgateway.room.RoomRegistry;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The router of a single node: everything is in this process's memory and every stage is complete on return.
 */
public class LocalRouter implements Router {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<Boolean> TRUE = CompletableFuture.completedFuture(Boolean.TRUE);
    private static final CompletableFuture<Boolean> FALSE = CompletableFuture.completedFuture(Boolean.FALSE);

    private final ConnectionRegistry registry;
    private final RoomRegistry rooms;
    private final LocalDelivery delivery;

    public LocalRouter(ConnectionRegistry registry, RoomRegistry rooms, LocalDelivery delivery) {
        this.registry = registry;
        this.rooms = rooms;
        this.delivery = delivery;
    }

    @Override
    public CompletionStage<Void> register(Connection connection, String user) {
        for (Connection old : registry.authenticate(connection, user)) {
            old.kick(KickReason.REPLACED);
        }
        delivery.addAuthenticated(connection);
        return DONE;
    }

    @Override
    public void unregister(Connection connection) {
        String user = connection.user();
        for (String room : rooms.leaveAll(connection)) {
            delivery.toRoom(room, ServerFrames.left(connection.channel().alloc(), room, user), null);
        }
    }

    @Override
    public CompletionStage<Boolean> join(Connection connection, String room) {
        switch (rooms.join(connection, room)) {
            case FIRST_OF_USER:
                delivery.toRoom(room, ServerFrames.joined(connection.channel().alloc(), room, connection.user()),
                        connection);
                return TRUE;
            case JOINED:
            case ALREADY_MEMBER:
                return TRUE;
            default:
                return FALSE;
        }
    }

    @Override
    public CompletionStage<Boolean> leave(Connection connection, String room) {
        switch (rooms.leave(connection, room)) {
            case LAST_OF_USER:
                delivery.toRoom(room, ServerFrames.left(connection.channel().alloc(), room, connection.user()), null);
                return TRUE;
            case LEFT:
                return TRUE;
            default:
                return FALSE;
        }
    }

    @Override
    public CompletionStage<Integer> sendToUser(String user, ByteBuf frame, Connection exclude) {
        return CompletableFuture.completedFuture(delivery.toUser(user, frame, exclude));
    }

    @Override
    public CompletionStage<Integer> publish(String room, ByteBuf frame, Connection exclude) {
        return CompletableFuture.completedFuture(delivery.toRoom(room, frame, exclude));
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
}
