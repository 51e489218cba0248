package io.chatgateway.server.health;

/**
 * Where the server is in its life. Moves forward only:
 * {@code STARTING -> READY -> DRAINING -> STOPPED} ({@code STARTING -> STOPPED} when stopped before it started).
 * Only {@link #READY} takes traffic; {@code /readyz} answers 503 in every other state, while {@code /healthz} answers
 * 200 for as long as the process can answer at all.
 */
public enum Lifecycle {
    /** Binding ports and connecting what the node depends on. */
    STARTING,
    /** Accepting and serving connections. */
    READY,
    /** Shutting down: no new connections, existing ones kicked with {@code shutdown}. */
    DRAINING,
    /** Stopped; event loops are gone. */
    STOPPED;

    /** Lower-case name for JSON and logs. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
