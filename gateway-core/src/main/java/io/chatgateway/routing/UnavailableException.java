package io.chatgateway.routing;

/**
 * A routing operation needed another node and the broker could not be reached in time. Answered to clients as
 * {@code error} {@code unavailable}.
 */
public class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnavailableException(String message) {
        super(message, null, false, false);
    }

    public UnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
