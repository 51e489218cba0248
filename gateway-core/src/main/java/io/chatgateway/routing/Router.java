package io.chatgateway.routing;

import io.chatgateway.protocol.KickReason;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.CompletionStage;

/**
 * The seam between the protocol and delivery: everything that reaches beyond one connection goes through here.
 * {@link LocalRouter} serves a single node from memory; a cluster router serves many nodes through a broker
 * without any change to the handlers.
 *
 * <p>Methods that take a {@code frame} take ownership of it (they release it). Methods may complete on any thread;
 * local implementations complete before they return. A stage that fails with {@link UnavailableException} means
 * that recipients on other nodes could not be served; nothing was reported as delivered to them.
 *
 * <p>Connection-scoped calls ({@link #register}, {@link #join}, {@link #leave}, {@link #unregister}) are made on
 * the connection's event loop, in the order of the client's frames.
 */
public interface Router {

    /**
     * Binds a connection whose token was accepted to its user and makes it reachable. Completes once {@code send}
     * from any node reaches it; only then does the client get {@code welcome}. Applies the session policy:
     * connections of the same user that this login displaces, on any node, are kicked with {@code replaced}.
     */
    CompletionStage<Void> register(Connection connection, String user);

    /** Forgets a closed connection: leaves its rooms (announcing {@code left} where due) and unregisters it. */
    void unregister(Connection connection);

    /**
     * Joins a room. Completes once {@code publish} from any node reaches the connection; announces {@code joined}
     * on the user's first connection in the room.
     *
     * @return completes with {@code true} when the connection is (now) a member
     */
    CompletionStage<Boolean> join(Connection connection, String room);

    /**
     * Leaves a room; announces {@code left} on the user's last connection in the room.
     *
     * @return completes with {@code false} when the connection was not a member
     */
    CompletionStage<Boolean> leave(Connection connection, String room);

    /**
     * Writes a direct-message frame to every connection of {@code user}, except {@code exclude} (may be
     * {@code null}).
     *
     * @return completes with the number of connections written to (or handed to the broker for)
     */
    CompletionStage<Integer> sendToUser(String user, ByteBuf frame, Connection exclude);

    /**
     * Writes a room frame to every member connection of {@code room}, except {@code exclude} (may be {@code null}).
     *
     * @return completes with the number of connections written to (or handed to the broker for)
     */
    CompletionStage<Integer> publish(String room, ByteBuf frame, Connection exclude);

    /**
     * Writes a frame to every authenticated connection, except those of {@code excludeUser} (may be {@code null}).
     *
     * @return completes with the number of connections written to (or handed to the broker for)
     */
    CompletionStage<Integer> broadcast(ByteBuf frame, String excludeUser);

    /**
     * Who is online in {@code room}, or on the whole gateway when {@code room} is {@code null}, at most
     * {@code limit} users.
     */
    CompletionStage<Presence> presence(String room, int limit);

    /**
     * Kicks every connection of {@code user}.
     *
     * @return completes with the number of connections kicked
     */
    CompletionStage<Integer> disconnect(String user, KickReason reason);
}
