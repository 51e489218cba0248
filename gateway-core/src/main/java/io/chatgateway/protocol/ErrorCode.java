package io.chatgateway.protocol;

/**
 * The error codes of protocol version 1.1, as they appear in the {@code code} field of an {@code error} frame.
 */
public enum ErrorCode {
    /** Not JSON, not an object, or a missing or wrongly typed field. */
    BAD_REQUEST("bad_request"),
    /** A {@code type} this gateway does not know. */
    UNKNOWN_TYPE("unknown_type"),
    /** A frame other than {@code auth} before authentication. */
    UNAUTHENTICATED("unauthenticated"),
    /** The token was rejected; the connection is closed after this error. */
    UNAUTHORIZED("unauthorized"),
    /** A direct message whose recipient has no connection to write to. */
    USER_OFFLINE("user_offline"),
    /** {@code leave} or {@code publish} for a room the connection is not a member of. */
    NOT_IN_ROOM("not_in_room"),
    /** The connection sends faster than its rate limit allows; the frame was not carried out. */
    RATE_LIMITED("rate_limited"),
    /** A frame above the configured maximum; the connection is closed. */
    FRAME_TOO_LARGE("frame_too_large"),
    /** A WebSocket binary frame; it is ignored. */
    UNSUPPORTED("unsupported"),
    /** The connection limit is reached; the connection is closed. */
    SERVER_BUSY("server_busy"),
    /** In a cluster, the broker cannot be reached; nothing was reported delivered to other nodes. */
    UNAVAILABLE("unavailable"),
    /** A fault of the gateway's own; it is logged. */
    INTERNAL("internal"),
    /** Authenticated, but not allowed: a room without a grant, publish without the right, hidden presence (1.1). */
    FORBIDDEN("forbidden");

    private final String wireName;

    ErrorCode(String wireName) {
        this.wireName = wireName;
    }

    /** The code as written on the wire, e.g. {@code "bad_request"}. */
    public String wireName() {
        return wireName;
    }
}
