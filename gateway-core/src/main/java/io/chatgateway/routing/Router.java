package io.chatgateway.routing;

import io.chatgateway.history.History;
import io.chatgateway.history.Position;
import io.chatgateway.policy.Grant;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.LeaveReason;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.CompletionStage;

/**
 * The seam between the protocol and delivery: everything that reaches beyond one connection goes through here.
 * {@link LocalRouter} serves a single node from memory; a cluster router serves many nodes through a broker
 * without any change to the handlers. Each router brings the {@link History} it writes.
 *
 * <p>Methods that take a {@code frame} take ownership of it (they release it). A <em>message</em> frame is passed
 * open, as {@link io.chatgateway.protocol.ServerFrames#openMessage} built it: the router finishes it with the
 * offset it assigns, since with history on the offset is only known in delivery order. Methods may complete on any
 * thread; local implementations complete before they return. A stage that fails with {@link UnavailableException}
 * means that recipients on other nodes could not be served; nothing was reported as delivered to them.
 *
 * <p>Connection-scoped calls ({@link #register}, {@link #join}, {@link #leave}, {@link #unregister}) are made on
 * the connection's event loop, in the order of the client's frames. Frames a router writes to a connection for a
 * room or an inbox reach it in offset order; what {@link #join} and {@link #register} return to replay comes
 * before all of them, so the caller writes the replay and its answer before it returns to the event loop.
 */
public interface Router {

    /**
     * Binds a connection whose token was accepted to its user and makes it reachable. Completes once {@code send}
     * from any node reaches it; only then does the client get {@code welcome}. Applies the session policy:
     * connections of the same user that this login displaces, on any node, are kicked with {@code replaced}.
     *
     * @param inboxSince where the client's inbox left off, or {@code null}
     */
    CompletionStage<Login> register(Connection connection, String user, Position inboxSince);

    /** Forgets a closed connection: leaves its rooms (announcing {@code left} where due) and unregisters it. */
    void unregister(Connection connection);

    /**
     * Joins a room under a grant. Completes once {@code publish} from any node reaches the connection; announces
     * {@code joined} on the user's first connection in the room, while the room is within the announcement limit.
     * Joining a room the connection is already in changes its grant and replays nothing.
     *
     * @param since where the client's view of the room left off, or {@code null}
     */
    CompletionStage<JoinOutcome> join(Connection connection, String room, Grant grant, Position since);

    /**
     * Leaves a room; announces {@code left} with {@code reason} on the user's last connection in the room. For
     * {@link LeaveReason#REMOVED} and {@link LeaveReason#REVOKED} the connection itself is told too.
     *
     * @return completes with {@code false} when the connection was not a member
     */
    CompletionStage<Boolean> leave(Connection connection, String room, LeaveReason reason);

    /**
     * Writes a direct message to every connection of {@code user}, except {@code exclude} (may be {@code null}),
     * and keeps it in the user's inbox unless {@code ephemeral}.
     *
     * @param open the message frame without its closing brace
     */
    CompletionStage<Delivery> sendToUser(String user, ByteBuf open, Connection exclude, boolean ephemeral);

    /**
     * Writes a room message to every member connection of {@code room}, except {@code exclude} (may be
     * {@code null}), and keeps it in the room's history unless {@code ephemeral}.
     *
     * @param open the message frame without its closing brace
     */
    CompletionStage<Delivery> publish(String room, ByteBuf open, Connection exclude, boolean ephemeral);

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

    /**
     * Server-side membership: every connection of {@code user}, on every node, joins {@code room} with a
     * {@link Grant.Source#SERVER} grant, and each is told with {@code joined} carrying its own user.
     *
     * @return completes with the number of the user's connections that are now in the room
     */
    CompletionStage<Integer> addMember(String user, String room, RoomRight right);

    /**
     * Takes every connection of {@code user}, on every node, out of {@code room}, with {@code left} (reason
     * {@code removed}) to each of them and to the others.
     *
     * @return completes with the number of the user's connections that left
     */
    CompletionStage<Integer> removeMember(String user, String room);

    /** The history this router writes. */
    History history();

    /** Housekeeping the owner runs now and then (every second): expiring history, for instance. */
    default void sweep() {
    }
}
