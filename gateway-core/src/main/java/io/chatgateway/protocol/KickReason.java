package io.chatgateway.protocol;

/**
 * Why the gateway closes a connection of its own accord: the {@code reason} of a {@code kicked} frame.
 */
public enum KickReason {
    /** A newer login of the same user took this connection's place. */
    REPLACED("replaced"),
    /** An operator disconnected the user. */
    ADMIN("admin"),
    /** Nothing was received for the heartbeat interval. */
    IDLE("idle"),
    /** The connection's outbound buffer stayed above the configured limit. */
    SLOW_CONSUMER("slow_consumer"),
    /** The gateway is shutting down. */
    SHUTDOWN("shutdown"),
    /** The connection's token expired without a {@code refresh} (1.1). */
    EXPIRED("expired");

    private final String wireName;

    KickReason(String wireName) {
        this.wireName = wireName;
    }

    /** The reason as written on the wire, e.g. {@code "slow_consumer"}. */
    public String wireName() {
        return wireName;
    }
}
