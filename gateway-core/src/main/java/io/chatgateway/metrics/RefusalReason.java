package io.chatgateway.metrics;

/**
 * Why a connection was turned away at the front door, before it became a protocol connection: the {@code reason}
 * label of {@code gateway_connections_refused_total}.
 */
public enum RefusalReason {
    /** A WebSocket handshake whose {@code Origin} is not in {@code allowed-origins} (HTTP 403). */
    ORIGIN("origin"),
    /** The client address holds {@code max-connections-per-ip} connections already. */
    ADDRESS_CONNECTIONS("address_connections"),
    /** The client address opens connections faster than {@code connect-rate-per-ip}. */
    ADDRESS_RATE("address_rate"),
    /** The table of client addresses is full of addresses with open connections. */
    ADDRESS_TABLE_FULL("address_table_full"),
    /** {@code max-unauthenticated-connections} are open and not yet authenticated. */
    UNAUTHENTICATED("unauthenticated"),
    /** {@code proxy-protocol=on}, and no PROXY header came (the connection closed or timed out first). */
    PROXY_MISSING("proxy_missing"),
    /** {@code proxy-protocol=on}, and what came first was not a valid PROXY v1 or v2 header. */
    PROXY_INVALID("proxy_invalid");

    private final String label;

    RefusalReason(String label) {
        this.label = label;
    }

    /** The metric label. */
    public String label() {
        return label;
    }
}
