package io.chatgateway.auth;

/**
 * Turns a client's token into a user id.
 *
 * <p>Implementations must be thread-safe and fast: they run on event loops, once per login.
 */
public interface Authenticator {
    /**
     * @return the user id the token stands for
     * @throws AuthenticationException when the token is not accepted; its message is sent to the client
     */
    String authenticate(String token) throws AuthenticationException;

    /** {@code true} for development mode, where the token is the user id and nothing is verified. */
    default boolean isDevelopmentMode() {
        return false;
    }
}
