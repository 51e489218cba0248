package io.chatgateway.bench;

import java.util.BitSet;

/**
 * Checks one stream of offsets (protocol 1.1, "History and recovery") that one logical client sees across all its
 * connections: a room it is a member of, or its inbox. Offsets must continue exactly one by one within an epoch,
 * over live delivery and replay alike, from the position the first {@code ack} (or {@code welcome}) reported to
 * the room's latest offset at the end.
 *
 * <p>The life of a stream: {@link #start} with the position of the first answer; {@link #accept} every message;
 * at a reconnect {@link #since} gives the position to resume from (the highest offset seen, as a client would send
 * it) and {@link #beginResume} marks what follows as the replay; {@link #resumed} judges the answer; {@link #finish}
 * judges the tail against the room's latest offset. What it counts:
 *
 * <ul>
 *   <li><b>lost</b>: offsets never seen up to the highest seen (or the room's latest, at the end), except those the
 *       gateway excused with {@code recovered: false};
 *   <li><b>duplicates</b>: an offset seen before, or at or below a position an answer covered;
 *   <li><b>out of order</b>: an offset arriving after a higher one (it filled a hole, so it is not lost);
 *   <li><b>false recoveries</b>: {@code recovered: true} although the replay did not continue at {@code since + 1}
 *       up to the answer's offset (or in another epoch);
 *   <li><b>replayed without recovery</b>: messages sent before a {@code recovered: false} (the protocol says none);
 *   <li><b>inconsistent answers</b>: an answer whose offset is below one already delivered in its epoch;
 *   <li>and, as the gateway reported them, {@code recovered} true and false, the offsets a {@code recovered: false}
 *       excused, new epochs, and excusals whose size cannot be known (a new epoch ends the old one at an unknown
 *       offset).
 * </ul>
 *
 * A stream with {@code holesAllowed} (a room publisher, which the gateway does not send its own messages live)
 * counts everything but lost offsets.
 *
 * <p>Not thread-safe: it belongs to the client's event loop.
 */
public final class OffsetChecker {
    /** What one arrival was. */
    public enum Outcome { IN_ORDER, AHEAD, OUT_OF_ORDER, DUPLICATE, INVALID }

    private final boolean holesAllowed;
    private String epoch;
    /** Offsets at or below it are accounted for: before the stream's start, or covered by an answer. */
    private long base;
    /** Lowest offset above {@link #base} not seen. */
    private long next;
    private long max;
    /** Offsets seen above {@link #next}, indexed from {@link #base}. */
    private BitSet ahead;

    private boolean resuming;
    private long sinceOffset;
    private long replayedNow;

    private long unique;
    private long duplicates;
    private long outOfOrder;
    private long invalid;
    private long lost;
    private long excused;
    private long recoveredTrue;
    private long recoveredFalse;
    private long falseRecoveries;
    private long replayed;
    private long replayedWithoutRecovery;
    private long inconsistent;
    private long newEpochs;
    private long unsized;

    /** @param holesAllowed offsets may be missing for good (a publisher's own messages); they are not lost */
    public OffsetChecker(boolean holesAllowed) {
        this.holesAllowed = holesAllowed;
    }

    /** {@code true} once {@link #start} had a position. */
    public boolean isStarted() {
        return epoch != null;
    }

    /** The stream's first position: messages after {@code offset} are expected, one by one. */
    public void start(String epoch, long offset) {
        this.epoch = epoch;
        rebase(Math.max(0, offset));
    }

    /** Records the message at {@code offset} ({@code <= 0}: the frame had none). */
    public Outcome accept(long offset) {
        if (offset <= 0 || epoch == null) {
            invalid++;
            return Outcome.INVALID;
        }
        if (resuming) {
            replayedNow++;
        }
        if (offset <= base || offset < next || (offset > next && isSeen(offset))) {
            duplicates++;
            return Outcome.DUPLICATE;
        }
        unique++;
        if (offset == next) {
            // The lowest missing offset: in order, unless a higher one came first.
            boolean late = offset < max;
            max = Math.max(max, offset);
            next++;
            while (next <= max && isSeen(next)) {
                next++;
            }
            if (late) {
                outOfOrder++;
                return Outcome.OUT_OF_ORDER;
            }
            return Outcome.IN_ORDER;
        }
        if (ahead == null) {
            ahead = new BitSet();
        }
        ahead.set(index(offset));
        if (offset < max) {
            outOfOrder++;
            return Outcome.OUT_OF_ORDER;
        }
        max = offset;
        return Outcome.AHEAD;
    }

    /** Where a client resumes from: this epoch and the highest offset it has seen; {@code null} before a start. */
    public String sinceEpoch() {
        return epoch;
    }

    /** See {@link #sinceEpoch()}. */
    public long since() {
        return max;
    }

    /** The client has just sent {@code since}: what arrives until {@link #resumed} is the replay. */
    public void beginResume() {
        resuming = true;
        sinceOffset = max;
        replayedNow = 0;
    }

    /** {@code true} between {@link #beginResume} and {@link #resumed}. */
    public boolean isResuming() {
        return resuming;
    }

    /**
     * Judges the answer to a resume: the gateway's position and {@code recovered} ({@code null} when the answer had
     * none, which the protocol does not allow after a {@code since}: counted as not recovered, of unknown size).
     *
     * @return {@code true} when the gateway said it recovered and the replay bears it out
     */
    public boolean resumed(String answerEpoch, long answerOffset, Boolean recovered) {
        resuming = false;
        replayed += replayedNow;
        long offset = Math.max(0, answerOffset);
        if (Boolean.TRUE.equals(recovered)) {
            recoveredTrue++;
            if (answerEpoch == null || !answerEpoch.equals(epoch)) {
                falseRecoveries++;
                newEpoch(answerEpoch, offset);
                return false;
            }
            boolean gap = unseen(sinceOffset, offset) > 0;
            if (offset < max) {
                inconsistent++;
                gap = true;
            }
            if (gap) {
                falseRecoveries++;
            }
            // What it claimed to have sent and did not stays a hole: lost when the stream is judged.
            max = Math.max(max, offset);
            return !gap;
        }
        recoveredFalse++;
        if (replayedNow > 0) {
            replayedWithoutRecovery += replayedNow;
        }
        if (recovered == null || answerEpoch == null || !answerEpoch.equals(epoch)) {
            newEpoch(answerEpoch, offset);
            return false;
        }
        if (offset < max) {
            inconsistent++;
            offset = max;
        }
        excused += offset - max;
        settleHoles();
        rebase(offset);
        return false;
    }

    /**
     * Judges the stream at the end of the run.
     *
     * @param latestOffset the room's latest offset in this stream's epoch, or {@code -1} when unknown (an inbox)
     */
    public void finish(long latestOffset) {
        if (epoch == null) {
            return;
        }
        if (latestOffset > max) {
            max = latestOffset;
        }
        settleHoles();
        rebase(max);
    }

    private void newEpoch(String answerEpoch, long offset) {
        newEpochs++;
        // Whatever the old epoch held after what was seen is gone with it, by the gateway's word; how much is
        // unknown. Of the new epoch, everything up to the answer's offset was never sent.
        unsized++;
        settleHoles();
        epoch = answerEpoch == null ? "?" : answerEpoch;
        excused += offset;
        rebase(offset);
    }

    /** Offsets never seen up to {@link #max} are lost for good (none may arrive after an answer covers them). */
    private void settleHoles() {
        if (!holesAllowed) {
            lost += unseen(base, max);
        }
    }

    private void rebase(long offset) {
        base = offset;
        next = offset + 1;
        max = offset;
        ahead = null;
    }

    /** Offsets in (from, to] not seen. */
    private long unseen(long from, long to) {
        long lo = Math.max(from + 1, next);
        if (to < lo) {
            return 0;
        }
        long seen = ahead == null ? 0 : ahead.get(index(lo), index(to) + 1).cardinality();
        return to - lo + 1 - seen;
    }

    private boolean isSeen(long offset) {
        return ahead != null && offset > base && ahead.get(index(offset));
    }

    private int index(long offset) {
        long i = offset - base - 1;
        if (i > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset too far ahead: " + offset);
        }
        return (int) i;
    }

    public long unique() {
        return unique;
    }

    public long duplicates() {
        return duplicates;
    }

    public long outOfOrder() {
        return outOfOrder;
    }

    public long invalid() {
        return invalid;
    }

    /** Offsets lost so far: settled at each answer that covers them and at {@link #finish}. */
    public long lost() {
        return lost;
    }

    /** Offsets a {@code recovered: false} of the same epoch said were not recovered. */
    public long excused() {
        return excused;
    }

    public long recoveredTrue() {
        return recoveredTrue;
    }

    public long recoveredFalse() {
        return recoveredFalse;
    }

    public long falseRecoveries() {
        return falseRecoveries;
    }

    /** Messages that arrived between a {@code since} and its answer. */
    public long replayed() {
        return replayed;
    }

    public long replayedWithoutRecovery() {
        return replayedWithoutRecovery;
    }

    public long inconsistentAnswers() {
        return inconsistent;
    }

    public long newEpochs() {
        return newEpochs;
    }

    /** Excusals whose size cannot be known (a new epoch). */
    public long unsized() {
        return unsized;
    }

    /** The current epoch, or {@code null} before a start. */
    public String epoch() {
        return epoch;
    }
}
