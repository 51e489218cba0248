package io.chatgateway.auth;

/**
 * A token was not accepted. The message is safe to show to the client: it says what was wrong with the token,
 * never anything about the secret.
 */
public final class AuthenticationException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
        super(message, null, false, false);
    }
}
