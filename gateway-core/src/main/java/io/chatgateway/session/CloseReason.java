package io.chatgateway.session;

import io.chatgateway.protocol.KickReason;

/**
 * Why the gateway closed a connection. WebSocket connections get the {@link #webSocketCode()} in their close frame;
 * TCP connections are simply closed after the last frame (a {@code kicked} or an {@code error}).
 *
 * <table>
 * <caption>WebSocket close codes</caption>
 * <tr><th>reason</th><th>code</th></tr>
 * <tr><td>{@link #NORMAL}</td><td>1000</td></tr>
 * <tr><td>{@link #SHUTDOWN}</td><td>1001 (going away)</td></tr>
 * <tr><td>{@link #POLICY}: auth failure or timeout, too many malformed frames</td><td>1008</td></tr>
 * <tr><td>{@link #FRAME_TOO_LARGE}</td><td>1009</td></tr>
 * <tr><td>{@link #INTERNAL}</td><td>1011</td></tr>
 * <tr><td>{@link #SERVER_BUSY}</td><td>1013 (try again later)</td></tr>
 * <tr><td>{@link #REPLACED}</td><td>4000</td></tr>
 * <tr><td>{@link #ADMIN}</td><td>4001</td></tr>
 * <tr><td>{@link #IDLE}</td><td>4002</td></tr>
 * <tr><td>{@link #SLOW_CONSUMER}</td><td>4003</td></tr>
 * <tr><td>{@link #EXPIRED}</td><td>4004</td></tr>
 * </table>
 */
public enum CloseReason {
    NORMAL(1000, "normal closure"),
    SHUTDOWN(1001, "server shutting down"),
    POLICY(1008, "policy violation"),
    FRAME_TOO_LARGE(1009, "frame too large"),
    INTERNAL(1011, "internal error"),
    SERVER_BUSY(1013, "server busy"),
    REPLACED(4000, "replaced by a newer session"),
    ADMIN(4001, "disconnected by an operator"),
    IDLE(4002, "idle"),
    SLOW_CONSUMER(4003, "slow consumer"),
    EXPIRED(4004, "token expired");

    private final int webSocketCode;
    private final String description;

    CloseReason(int webSocketCode, String description) {
        this.webSocketCode = webSocketCode;
        this.description = description;
    }

    /** The status code of the WebSocket close frame. */
    public int webSocketCode() {
        return webSocketCode;
    }

    /** Short text for the close frame and the logs. */
    public String description() {
        return description;
    }

    /** The close reason that goes with a kick. */
    public static CloseReason of(KickReason kick) {
        switch (kick) {
            case REPLACED: return REPLACED;
            case ADMIN: return ADMIN;
            case IDLE: return IDLE;
            case SLOW_CONSUMER: return SLOW_CONSUMER;
            case SHUTDOWN: return SHUTDOWN;
            case EXPIRED: return EXPIRED;
            default: throw new IllegalArgumentException(kick.name());
        }
    }
}
