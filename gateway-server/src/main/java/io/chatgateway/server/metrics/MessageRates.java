package io.chatgateway.server.metrics;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.protocol.FrameType;
import io.chatgateway.session.ConnectionRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * The recent history of message rates for the admin dashboard: a ring of samples of the engine's counters, one per
 * {@link #sample} call (the server calls it once a second), from which per-second rates are derived on read.
 * Fixed memory: {@code capacity} samples of four numbers.
 */
public final class MessageRates {
    /** Five minutes at one sample a second. */
    public static final int DEFAULT_CAPACITY = 300;

    private final GatewayMetrics metrics;
    private final ConnectionRegistry connections;
    private final long[] times;
    private final long[] received;
    private final long[] delivered;
    private final int[] connectionCounts;
    private int next;
    private int size;

    public MessageRates(GatewayMetrics metrics, ConnectionRegistry connections, int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 2)");
        }
        this.metrics = metrics;
        this.connections = connections;
        this.times = new long[capacity];
        this.received = new long[capacity];
        this.delivered = new long[capacity];
        this.connectionCounts = new int[capacity];
    }

    /** Records the counters as they are at {@code nowMillis}. */
    public synchronized void sample(long nowMillis) {
        times[next] = nowMillis;
        received[next] = metrics.framesIn(FrameType.SEND) + metrics.framesIn(FrameType.PUBLISH);
        delivered[next] = metrics.deliveries();
        connectionCounts[next] = connections.size();
        next = (next + 1) % times.length;
        size = Math.min(size + 1, times.length);
    }

    /**
     * The rates between consecutive samples, oldest first, at most {@code maxPoints} of them (the most recent).
     */
    public synchronized List<Point> history(int maxPoints) {
        int n = Math.min(size - 1, maxPoints);
        List<Point> points = new ArrayList<>(Math.max(n, 0));
        int cap = times.length;
        for (int k = n; k >= 1; k--) {
            int cur = Math.floorMod(next - k, cap);
            int prev = Math.floorMod(cur - 1, cap);
            double seconds = Math.max(1, times[cur] - times[prev]) / 1000.0;
            points.add(new Point(times[cur], (received[cur] - received[prev]) / seconds,
                    (delivered[cur] - delivered[prev]) / seconds, connectionCounts[cur]));
        }
        return points;
    }

    /** Number of samples kept at most. */
    public int capacity() {
        return times.length;
    }

    /**
     * Rates over one sampling interval.
     *
     * @param timeMillis  end of the interval, epoch milliseconds
     * @param received    {@code send} and {@code publish} frames received per second
     * @param delivered   messages handed to recipient connections per second
     * @param connections connections at the end of the interval
     */
    public record Point(long timeMillis, double received, double delivered, int connections) {
    }
}
