package io.chatgateway.routing;

import io.chatgateway.policy.Grant;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.LeaveReason;
import io.chatgateway.session.Connection;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Server-side membership on this node: an operator's "add user to room" or "remove user from room", carried out
 * for each of the user's connections here on that connection's own event loop, as the router's connection-scoped
 * calls require. The router tells each connection itself ({@code joined} / {@code left} with its own user).
 */
public final class ServerMembership {
    private ServerMembership() {
    }

    /**
     * Joins each connection to {@code room} with a {@link Grant.Source#SERVER} grant.
     *
     * @return completes with the number of connections in the room afterwards
     */
    public static CompletionStage<Integer> add(Router router, List<Connection> connections, String room,
                                               RoomRight right) {
        Grant grant = new Grant(Grant.Source.SERVER, right);
        // No handler answers a server join: what the router would run after the ack runs here, on the loop.
        return forEach(connections, c -> router.join(c, room, grant, null).thenApply(outcome -> {
            if (outcome.afterAck() != null) {
                outcome.afterAck().run();
            }
            return outcome.joined();
        }));
    }

    /**
     * Takes each connection out of {@code room} with reason {@code removed}.
     *
     * @return completes with the number of connections that were in it
     */
    public static CompletionStage<Integer> remove(Router router, List<Connection> connections, String room) {
        return forEach(connections, c -> router.leave(c, room, LeaveReason.REMOVED));
    }

    private static CompletionStage<Integer> forEach(List<Connection> connections,
                                                    Function<Connection, CompletionStage<Boolean>> action) {
        if (connections.isEmpty()) {
            return CompletableFuture.completedFuture(0);
        }
        AtomicInteger done = new AtomicInteger();
        CompletableFuture<?>[] all = new CompletableFuture<?>[connections.size()];
        for (int i = 0; i < connections.size(); i++) {
            Connection c = connections.get(i);
            CompletableFuture<Boolean> one = new CompletableFuture<>();
            all[i] = one;
            try {
                c.channel().eventLoop().execute(() -> action.apply(c).whenComplete((ok, error) -> {
                    if (error == null && Boolean.TRUE.equals(ok)) {
                        done.incrementAndGet();
                    }
                    one.complete(ok);
                }));
            } catch (RejectedExecutionException closing) {
                one.complete(Boolean.FALSE);
            }
        }
        return CompletableFuture.allOf(all).thenApply(v -> done.get());
    }
}
