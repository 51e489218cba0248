package io.chatgateway.routing;

import io.chatgateway.history.Position;

import java.util.List;

/**
 * A join as the router carried it out.
 *
 * @param joined    {@code false} when the connection closed meanwhile (nothing to answer)
 * @param position  the room's epoch and latest offset, or {@code null} when room history is off
 * @param events    whether the room announces joins and leaves (it is within {@code room-events-max-members})
 * @param recovered {@code null} when the join had no {@code since}
 * @param replay    the missed messages' frames, oldest first, to be written before the {@code ack}; empty unless
 *                  recovered
 * @param afterAck  to run on the connection's event loop right after the {@code ack} was written (a cluster router
 *                  opens the connection's recovery gate there), or {@code null}
 */
public record JoinOutcome(boolean joined, Position position, boolean events, Boolean recovered, List<byte[]> replay,
                          Runnable afterAck) {
    /** The connection closed before the join was done. */
    public static final JoinOutcome CLOSED = new JoinOutcome(false, null, false, null, List.of(), null);

    public JoinOutcome {
        replay = List.copyOf(replay);
    }

    /** A join with nothing to run after the ack. */
    public JoinOutcome(boolean joined, Position position, boolean events, Boolean recovered, List<byte[]> replay) {
        this(joined, position, events, recovered, replay, null);
    }
}
