package io.chatgateway.metrics;

/**
 * The frame types the gateway sends, for counting frames out by type.
 */
public enum OutboundType {
    WELCOME("welcome"),
    PONG("pong"),
    ACK("ack"),
    ERROR("error"),
    PRESENCE("presence"),
    MESSAGE("message"),
    JOINED("joined"),
    LEFT("left"),
    KICKED("kicked"),
    HISTORY("history");

    private final String wireName;

    OutboundType(String wireName) {
        this.wireName = wireName;
    }

    /** The type as written on the wire. */
    public String wireName() {
        return wireName;
    }
}
