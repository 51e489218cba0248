package io.chatgateway.bench;

/**
 * What a scenario hears from its connections. Called on the connection's event loop; implementations keep to
 * counters and histograms that tolerate concurrent writers.
 */
interface ClientListener {
    /** The connection is authenticated; the scanner holds the {@code welcome}. */
    default void onWelcome(BenchClient c, FrameScanner welcome, long nowNanos) {
    }

    /** Could not connect or authenticate; {@code reason} is short and stable (it is counted by reason). */
    default void onConnectFailed(BenchClient c, String reason) {
    }

    /** A {@code message}; the scanner holds its fields. */
    default void onMessage(BenchClient c, FrameScanner frame, long nowNanos) {
    }

    /** An {@code ack}; the scanner holds its fields ({@code recipients}, a join's position and recovery). */
    default void onAck(BenchClient c, FrameScanner ack, long nowNanos) {
    }

    /** A {@code history} answer. */
    default void onHistory(BenchClient c, FrameScanner history) {
    }

    default void onError(BenchClient c, String code) {
    }

    /** The answer to a {@code presence} request: {@code errorCode} {@code null} for a {@code presence} frame. */
    default void onPresence(BenchClient c, String errorCode) {
    }

    /** A {@code joined} or {@code left} announcement. */
    default void onMembership(BenchClient c) {
    }

    default void onKicked(BenchClient c, String reason) {
    }

    /** A frame the bench did not expect (unknown type, malformed JSON, binary). */
    default void onUnexpected(BenchClient c, String what) {
    }

    /** An authenticated connection closed. */
    default void onClosed(BenchClient c) {
    }
}
