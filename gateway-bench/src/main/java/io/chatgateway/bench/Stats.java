package io.chatgateway.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters and latency recorders of one worker. Writers are the event loops (any number at once); the
 * reporter thread takes a snapshot each second ({@link #progress()}) and keeps the totals.
 *
 * <p>Every message the bench sends is accounted for: it is answered ({@code ack} or {@code error}) or counted as
 * unanswered; every delivery is unique, a duplicate, out of order or invalid; losses are the acknowledged recipients
 * that never got the message.
 */
final class Stats {
    /** Counter names, in the order reports show them. */
    enum Counter {
        CONNECTED, CONNECT_FAILED, CLOSED, SENT, SEND_SKIPPED, ACKS, ACK_RECIPIENTS, ERRORS,
        RECEIVED, UNIQUE, DUPLICATES, OUT_OF_ORDER, INVALID, UNEXPECTED, KICKED, MEMBERSHIP,
        MEASURED_SENT, MEASURED_RECEIVED,
        // Reconnect runs (--reconnect-rate): as they happen
        RECONNECTS, RECONNECT_FAILURES, RECONNECTS_ABANDONED, DROPS_SKIPPED, SENDS_REASSIGNED, UNKNOWN_SENDS,
        // Reconnect runs: judged at the end, from every client's offset streams and sequence numbers
        ROOM_RECOVERED, ROOM_NOT_RECOVERED, INBOX_RECOVERED, INBOX_NOT_RECOVERED, REPLAYED, BLIND_RESUMES,
        OFFSET_UNIQUE, OFFSET_LOST, OFFSET_DUPLICATES, OFFSET_OUT_OF_ORDER, OFFSET_INVALID, OFFSETS_EXCUSED,
        FALSE_RECOVERIES, REPLAYED_UNRECOVERED, INCONSISTENT_ANSWERS, NEW_EPOCHS, UNSIZED_EXCUSALS,
        HISTORY_UNANSWERED, ACKED_EXPECTED, ACKED_DELIVERED, ACKED_LOST, ACKED_UNJUDGED, OUT_OF_ORDER_EXCUSED,
        DELIVERED_DESPITE_ERROR, DELIVERED_DESPITE_UNAVAILABLE,
        // Soak: presence requests and their answers, short-lived connections (churn)
        PRESENCE_ASKED, PRESENCE_ANSWERED, PRESENCE_ERRORS, CHURN_STARTED, CHURN_OPENED, CHURN_FAILED, CHURN_CLOSED,
        CHURN_LOST, CHURN_RECEIVED, CHURN_ERRORS;

        String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final LongAdder[] counters = new LongAdder[Counter.values().length];
    private final long[] lastReported = new long[Counter.values().length];
    final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
    final Map<String, LongAdder> kicks = new ConcurrentHashMap<>();
    final Map<String, LongAdder> unexpected = new ConcurrentHashMap<>();

    /** Delivery latency (intended send time to arrival) of the measured messages, microseconds. */
    private final Recorder latency = new Recorder(3);
    /**
     * The same for the messages outside the measured window (warm-up, drain): shown second by second, never in the
     * totals. Recording them keeps the warm-up on the measurement's code paths (see {@link MeasureWindow}).
     */
    private final Recorder outsideLatency = new Recorder(3);
    /** Indexed by {@link MeasureWindow#outside}. */
    private final Recorder[] latencies = {latency, outsideLatency};
    /**
     * How late the senders' schedule ticks ran, microseconds, indexed like {@link #latencies}: the bench's own
     * stalls. Only the measured one reaches the totals.
     */
    private final Recorder[] tickLateness = {new Recorder(3), new Recorder(3)};
    /** Connect + authenticate latency, microseconds. */
    private final Recorder connect = new Recorder(3);
    /** Reconnect runs: from dropping a connection to the answer with recovered: true, microseconds. */
    private final Recorder reconnect = new Recorder(3);
    private final Histogram latencyTotal = Histograms.create();
    private final Histogram connectTotal = Histograms.create();
    private Histogram latencyInterval;
    private Histogram outsideInterval;
    private Histogram connectInterval;

    Stats() {
        for (int i = 0; i < counters.length; i++) {
            counters[i] = new LongAdder();
        }
    }

    void add(Counter c, long n) {
        counters[c.ordinal()].add(n);
    }

    void increment(Counter c) {
        counters[c.ordinal()].increment();
    }

    long get(Counter c) {
        return counters[c.ordinal()].sum();
    }

    static void count(Map<String, LongAdder> map, String key) {
        map.computeIfAbsent(key == null ? "unknown" : key, k -> new LongAdder()).increment();
    }

    /** A measured message's latency. */
    void recordLatency(long nanos) {
        recordLatency(nanos, 0);
    }

    /** A message's latency, {@code outside} as {@link MeasureWindow#outside} gives it. */
    void recordLatency(long nanos, int outside) {
        latencies[outside].recordValue(Math.max(0, nanos / 1000));
    }

    /** How late a send tick ran; {@code outside} as {@link MeasureWindow#outside} gives it for the tick's due time. */
    void recordTickLateness(long nanos, int outside) {
        tickLateness[outside].recordValue(Math.max(0, nanos / 1000));
    }

    void recordConnect(long nanos) {
        connect.recordValue(Math.max(0, nanos / 1000));
    }

    void recordReconnect(long nanos) {
        reconnect.recordValue(Math.max(0, nanos / 1000));
    }

    /** The counts and latencies since the last call, and the running totals; called by one thread. */
    synchronized ObjectNode progress() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("event", "progress");
        n.put("nanos", System.nanoTime());
        ObjectNode delta = n.putObject("delta");
        ObjectNode total = n.putObject("total");
        for (Counter c : Counter.values()) {
            long v = get(c);
            delta.put(c.key(), v - lastReported[c.ordinal()]);
            total.put(c.key(), v);
            lastReported[c.ordinal()] = v;
        }
        latencyInterval = latency.getIntervalHistogram(latencyInterval);
        outsideInterval = outsideLatency.getIntervalHistogram(outsideInterval);
        connectInterval = connect.getIntervalHistogram(connectInterval);
        latencyTotal.add(latencyInterval);
        connectTotal.add(connectInterval);
        n.put("latency", Histograms.encode(latencyInterval));
        n.put("outside_latency", Histograms.encode(outsideInterval));
        n.put("connect", Histograms.encode(connectInterval));
        return n;
    }

    /** Forgets the connect latencies recorded so far (connections that only warmed the gateway up). */
    synchronized void discardConnectLatencies() {
        connectInterval = connect.getIntervalHistogram(connectInterval);
        connectTotal.reset();
    }

    /** Everything, for the final report (after a last {@link #progress()}). */
    synchronized ObjectNode totals() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        ObjectNode counts = n.putObject("counters");
        for (Counter c : Counter.values()) {
            counts.put(c.key(), get(c));
        }
        putMap(n.putObject("failures"), failures);
        putMap(n.putObject("errors"), errorCodes);
        putMap(n.putObject("kicks"), kicks);
        putMap(n.putObject("unexpected"), unexpected);
        n.put("latency", Histograms.encode(latencyTotal));
        n.put("connect", Histograms.encode(connectTotal));
        n.put("reconnect", Histograms.encode(reconnect.getIntervalHistogram()));
        n.put("tick_lateness", Histograms.encode(tickLateness[0].getIntervalHistogram()));
        return n;
    }

    private static void putMap(ObjectNode out, Map<String, LongAdder> map) {
        map.forEach((k, v) -> out.put(k, v.sum()));
    }
}
