package io.chatgateway.metrics;

import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.FrameType;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.session.Transport;

import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's counters: monotonic, cheap to increment from any event loop ({@link LongAdder}), and read by
 * whatever exports them (the server binds them to Prometheus). Labels are enums, so cardinality is fixed: never a
 * user id or a room name.
 */
public final class GatewayMetrics {
    private final LongAdder[] framesIn = adders(FrameType.values().length);
    private final LongAdder invalidFramesIn = new LongAdder();
    private final LongAdder[] framesOut = adders(OutboundType.values().length);
    private final LongAdder[] errors = adders(ErrorCode.values().length);
    private final LongAdder[] kicks = adders(KickReason.values().length);
    private final LongAdder[] opened = adders(Transport.values().length);
    private final LongAdder[] closed = adders(Transport.values().length);
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder writeFailures = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder authFailures = new LongAdder();
    private final LongAdder rejectedConnections = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    // ---- history and recovery: [room 0 / inbox 1][failed 0 / recovered 1]
    private final LongAdder[] recoveries = adders(4);

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    // ---- recording (engine side)

    /** A valid frame of this type was received. */
    public void frameIn(FrameType type) {
        framesIn[type.ordinal()].increment();
    }

    /** A frame that could not be parsed or had an unknown type was received. */
    public void invalidFrameIn() {
        invalidFramesIn.increment();
    }

    /** {@code n} frames of this type were written. */
    public void framesOut(OutboundType type, int n) {
        framesOut[type.ordinal()].add(n);
    }

    /** An {@code error} frame with this code was sent. */
    public void error(ErrorCode code) {
        errors[code.ordinal()].increment();
        framesOut[OutboundType.ERROR.ordinal()].increment();
    }

    /** A connection was kicked for this reason. */
    public void kick(KickReason reason) {
        kicks[reason.ordinal()].increment();
    }

    /** A connection was registered. */
    public void connectionOpened(Transport transport) {
        opened[transport.ordinal()].increment();
    }

    /** A registered connection was removed. */
    public void connectionClosed(Transport transport) {
        closed[transport.ordinal()].increment();
    }

    /** {@code n} messages were handed to recipient connections. */
    public void deliveries(int n) {
        deliveries.add(n);
    }

    /** A write to a connection failed. */
    public void writeFailure() {
        writeFailures.increment();
    }

    /** A connection was closed because a write to it failed. */
    public void eviction() {
        evictions.increment();
    }

    /** A token was rejected. */
    public void authFailure() {
        authFailures.increment();
    }

    /** A connection was refused because the connection limit was reached. */
    public void rejected() {
        rejectedConnections.increment();
    }

    /** Payload bytes received. */
    public void bytesIn(long n) {
        bytesIn.add(n);
    }

    /** Payload bytes sent. */
    public void bytesOut(long n) {
        bytesOut.add(n);
    }

    // ---- reading (exporter side)

    public long framesIn(FrameType type) {
        return framesIn[type.ordinal()].sum();
    }

    public long invalidFramesIn() {
        return invalidFramesIn.sum();
    }

    public long framesOut(OutboundType type) {
        return framesOut[type.ordinal()].sum();
    }

    public long errors(ErrorCode code) {
        return errors[code.ordinal()].sum();
    }

    public long kicks(KickReason reason) {
        return kicks[reason.ordinal()].sum();
    }

    public long opened(Transport transport) {
        return opened[transport.ordinal()].sum();
    }

    public long closed(Transport transport) {
        return closed[transport.ordinal()].sum();
    }

    public long deliveries() {
        return deliveries.sum();
    }

    public long writeFailures() {
        return writeFailures.sum();
    }

    public long evictions() {
        return evictions.sum();
    }

    public long authFailures() {
        return authFailures.sum();
    }

    public long rejectedConnections() {
        return rejectedConnections.sum();
    }

    public long bytesIn() {
        return bytesIn.sum();
    }

    public long bytesOut() {
        return bytesOut.sum();
    }

    /** Frames received, all types, valid or not. */
    public long messagesIn() {
        long n = invalidFramesIn.sum();
        for (LongAdder a : framesIn) {
            n += a.sum();
        }
        return n;
    }

    // ---- history and recovery

    /**
     * A client resumed with {@code since}: a {@code join} ({@code room}) or an {@code auth} (inbox), which could or
     * could not be recovered.
     */
    public void recovery(boolean room, boolean recovered) {
        recoveries[(room ? 0 : 2) + (recovered ? 1 : 0)].increment();
    }

    /** Resumptions of rooms ({@code room}) or inboxes that were recovered ({@code recovered}) or not. */
    public long recoveries(boolean room, boolean recovered) {
        return recoveries[(room ? 0 : 2) + (recovered ? 1 : 0)].sum();
    }

    /** Frames sent, all types. */
    public long messagesOut() {
        long n = 0;
        for (LongAdder a : framesOut) {
            n += a.sum();
        }
        return n;
    }

    // ==== front door (issue 9): PROXY header, per-address limits, origins, TLS. One block, apart from the rest.

    private final LongAdder[] refused = adders(RefusalReason.values().length);
    private final LongAdder tlsHandshakeFailures = new LongAdder();

    /** A connection was turned away before it became a protocol connection. */
    public void connectionRefused(RefusalReason reason) {
        refused[reason.ordinal()].increment();
    }

    /** A TLS handshake failed (a protocol version or cipher not offered, a plain-text client, a reset mid-way). */
    public void tlsHandshakeFailure() {
        tlsHandshakeFailures.increment();
    }

    public long refused(RefusalReason reason) {
        return refused[reason.ordinal()].sum();
    }

    public long tlsHandshakeFailures() {
        return tlsHandshakeFailures.sum();
    }
}
