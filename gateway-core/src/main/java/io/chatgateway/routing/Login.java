package io.chatgateway.routing;

import io.chatgateway.history.Position;

import java.util.List;

/**
 * A login as the router carried it out: the user's inbox position (when inboxes are on) and, when the client
 * resumed with {@code since}, whether the missed direct messages could be recovered and those messages (to be
 * written, in order, before {@code welcome}).
 *
 * @param inbox     the inbox's epoch and latest offset, or {@code null} when inboxes are off
 * @param recovered {@code null} when the login had no {@code since}
 * @param replay    the missed messages' frames, oldest first; empty unless recovered
 * @param afterWelcome to run on the connection's event loop right after {@code welcome} was written, or
 *                     {@code null}
 */
public record Login(Position inbox, Boolean recovered, List<byte[]> replay, Runnable afterWelcome) {
    public static final Login PLAIN = new Login(null, null, List.of(), null);

    public Login {
        replay = List.copyOf(replay);
    }

    /** A login with nothing to run after the welcome. */
    public Login(Position inbox, Boolean recovered, List<byte[]> replay) {
        this(inbox, recovered, replay, null);
    }
}
