package io.chatgateway.session;

/**
 * Lifecycle of a {@link Connection}. Transitions only move forward, except {@link #AUTHENTICATED} and
 * {@link #IDLE}, which alternate as traffic stops and resumes:
 *
 * <pre>
 * CONNECTED --auth--&gt; AUTHENTICATED &lt;--traffic / silence--&gt; IDLE
 *     |                     |                                  |
 *     +---------------------+------ kick / error --------------+--&gt; DISCONNECTING --&gt; DISCONNECTED
 *     +---------------------+------ peer closes ---------------+-------------------------^
 * </pre>
 *
 * A connection is registered in state {@code CONNECTED} (the transport is ready, for WebSocket the handshake is
 * done); {@code DISCONNECTED} is set exactly once, when the registry removes it.
 */
public enum ConnectionState {
    /** Transport ready, not yet authenticated. */
    CONNECTED,
    /** Authenticated and active. */
    AUTHENTICATED,
    /** Authenticated, but nothing received for half the heartbeat interval; dropped at the full interval. */
    IDLE,
    /** The gateway decided to close it (kick, protocol error); the close is under way. */
    DISCONNECTING,
    /** Closed and removed from the registry. */
    DISCONNECTED;

    /** {@code true} for the states in which the connection has a user. */
    public boolean isAuthenticated() {
        return this == AUTHENTICATED || this == IDLE;
    }
}
