package io.chatgateway.session;

/**
 * Hooks on the life of connections. All methods run on the connection's event loop and must not block. A listener
 * that throws is logged and otherwise ignored: it cannot break the registry or other listeners.
 */
public interface ConnectionListener {
    /** A connection was registered (transport ready, not yet authenticated). */
    default void connectionAdded(Connection connection) {
    }

    /** A connection authenticated as {@link Connection#user()}. */
    default void connectionAuthenticated(Connection connection) {
    }

    /** A connection was removed, whatever closed it. Called exactly once per registered connection. */
    default void connectionRemoved(Connection connection) {
    }

    /** A connection hit an error (a fault of the gateway, or a transport error that closes it). */
    default void connectionError(Connection connection, Throwable cause) {
    }
}
