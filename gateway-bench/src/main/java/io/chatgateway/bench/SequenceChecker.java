package io.chatgateway.bench;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Checks what one receiver got from its senders: every sender numbers its messages 0, 1, 2, ... and the receiver
 * feeds each arrival to {@link #accept}. It tells apart a message seen for the first time, a duplicate, and one
 * that overtook (or was overtaken by) another of the same sender. Losses show as holes below the highest number
 * seen ({@link #holes()}); the tail of a stream can only be judged against what the gateway acknowledged, which the
 * caller does with {@code acked recipients - unique}.
 *
 * <p>Not thread-safe: one checker per receiving connection, used on that connection's event loop.
 */
public final class SequenceChecker {
    /** What one arrival was. */
    public enum Outcome {
        /** The next one expected from this sender. */
        IN_ORDER,
        /** First time seen, but a higher number of the same sender arrived before it. */
        OUT_OF_ORDER,
        /** First time seen, above a number still missing (a hole opened; it may be a loss or a reordering). */
        AHEAD,
        /** Seen before. */
        DUPLICATE,
        /** Not a valid sequence number (negative). */
        INVALID
    }

    private static final class Stream {
        long next;
        long max = -1;
        BitSet ahead;
        long unique;
    }

    private final Map<Long, Stream> streams = new HashMap<>(4);
    private long unique;
    private long duplicates;
    private long outOfOrder;
    private long invalid;

    /** Records message {@code seq} of {@code sender}. */
    public Outcome accept(long sender, long seq) {
        if (seq < 0) {
            invalid++;
            return Outcome.INVALID;
        }
        Stream s = streams.get(sender);
        if (s == null) {
            s = new Stream();
            streams.put(sender, s);
        }
        if (seq < s.next || (s.ahead != null && s.ahead.get(index(seq)))) {
            duplicates++;
            return Outcome.DUPLICATE;
        }
        unique++;
        s.unique++;
        boolean overtaken = seq < s.max;
        boolean next = seq == s.next;
        if (next) {
            s.next++;
            if (s.ahead != null) {
                while (s.ahead.get(index(s.next))) {
                    s.ahead.clear(index(s.next));
                    s.next++;
                }
            }
        } else {
            if (s.ahead == null) {
                s.ahead = new BitSet();
            }
            s.ahead.set(index(seq));
        }
        s.max = Math.max(s.max, seq);
        if (overtaken) {
            outOfOrder++;
            return Outcome.OUT_OF_ORDER;
        }
        return next ? Outcome.IN_ORDER : Outcome.AHEAD;
    }

    private static int index(long seq) {
        if (seq > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sequence number too large: " + seq);
        }
        return (int) seq;
    }

    /** Messages seen at least once. */
    public long unique() {
        return unique;
    }

    public long duplicates() {
        return duplicates;
    }

    /** Messages that arrived after a higher number of the same sender. */
    public long outOfOrder() {
        return outOfOrder;
    }

    public long invalid() {
        return invalid;
    }

    /** Numbers never seen below each sender's highest one: certain losses (or messages still on their way). */
    public long holes() {
        long holes = 0;
        for (Stream s : streams.values()) {
            holes += (s.max + 1) - s.unique;
        }
        return holes;
    }

    /** {@code true} when message {@code seq} of {@code sender} has been seen. */
    public boolean contains(long sender, long seq) {
        Stream s = streams.get(sender);
        if (s == null || seq < 0) {
            return false;
        }
        return seq < s.next || (s.ahead != null && seq <= Integer.MAX_VALUE && s.ahead.get((int) seq));
    }

    /** Messages of {@code sender} seen at least once. */
    public long unique(long sender) {
        Stream s = streams.get(sender);
        return s == null ? 0 : s.unique;
    }

    /** Number of senders seen. */
    public int senders() {
        return streams.size();
    }
}
