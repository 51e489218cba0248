package io.chatgateway.auth;

import io.chatgateway.policy.RoomRight;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Turns a client's token into a {@link Principal}, and checks room tokens.
 *
 * <p>Implementations must be thread-safe and must never block: they are called on event loops. A check that needs
 * I/O (fetching a key set) returns a stage that completes later, off the event loop; the connection waits for it.
 * A rejected token fails the stage with an {@link AuthenticationException}, whose message is sent to the client.
 */
public interface Authenticator {
    /** Verifies a connection token (the {@code auth} frame, the handshake, or a {@code refresh}). */
    CompletionStage<Principal> authenticate(String token);

    /**
     * Verifies a room token from a {@code join} frame: a JWT checked like a connection token, whose {@code sub} is
     * {@code user} and whose {@code room} claim is {@code room}.
     *
     * @return the right it grants in that room
     */
    CompletionStage<RoomRight> authorizeRoom(String token, String user, String room);

    /** {@code true} for development mode, where the token is the user id and nothing is verified. */
    default boolean isDevelopmentMode() {
        return false;
    }

    /** Clock-skew allowance: a connection stays authorized until its token's {@code exp} plus this. */
    default Duration leeway() {
        return Duration.ZERO;
    }
}
