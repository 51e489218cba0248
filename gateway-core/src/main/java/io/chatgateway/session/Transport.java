package io.chatgateway.session;

/**
 * How a connection reached the gateway.
 */
public enum Transport {
    WEBSOCKET("websocket"),
    TCP("tcp");

    private final String label;

    Transport(String label) {
        this.label = label;
    }

    /** Lower-case name for logs and metric labels. */
    public String label() {
        return label;
    }
}
