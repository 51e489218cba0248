package io.chatgateway.session;

import io.chatgateway.history.Position;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a connection's live frames of one room (or its inbox) wait while it resumes through a broker, and the floor
 * below which they are duplicates of its replay. Used in a cluster, where the broker's replay answer and the live
 * stream arrive on different connections and so in no set order:
 *
 * <ol>
 *   <li>while the join's (or login's) answer is on its way the gate is closed and live frames wait in it;
 *   <li>once the caller has written the replay and the answer, {@link #release} opens it at the floor (the
 *       position the answer reported): frames of that epoch at or below the floor are dropped, the rest are
 *       written in the order they came;
 *   <li>the first frame above the floor means every earlier one has come (the broker's stream is in order), and the
 *       gate is removed.
 * </ol>
 *
 * Frames without an offset (ephemeral) always pass once the gate is open. Not thread-safe: it belongs to the
 * connection's event loop, as do the frames it holds (which it owns and releases when dropped).
 */
final class RecoveryGate {
    private List<Object> held = new ArrayList<>(4);
    private List<Position> stamps = new ArrayList<>(4);
    private Position floor;

    /** {@code true} while the answer has not been written. */
    boolean isClosed() {
        return held != null;
    }

    /**
     * Decides about one live frame.
     *
     * @return {@code true} to write it now; {@code false} when the gate kept it (closed) or dropped it (a duplicate)
     */
    boolean admit(Position stamp, Object frame) {
        if (held != null) {
            held.add(ReferenceCountUtil.retain(frame));
            stamps.add(stamp);
            return false;
        }
        return !isDuplicate(stamp);
    }

    /** {@code true} once the gate has seen a frame above its floor and can be forgotten. */
    boolean isSpent() {
        return floor == null;
    }

    private boolean isDuplicate(Position stamp) {
        if (stamp.offset() == 0 || floor == null) {
            return false;
        }
        if (!stamp.epoch().equals(floor.epoch())) {
            floor = null;
            return false;
        }
        if (stamp.offset() <= floor.offset()) {
            return true;
        }
        floor = null;
        return false;
    }

    /** Opens the gate at {@code floor} and writes what waited above it, in order. */
    void release(Position floor, Consumer<Object> writer) {
        this.floor = floor;
        List<Object> frames = held;
        List<Position> at = stamps;
        held = null;
        stamps = null;
        if (frames == null) {
            return;
        }
        for (int i = 0; i < frames.size(); i++) {
            Object f = frames.get(i);
            if (isDuplicate(at.get(i))) {
                ReferenceCountUtil.release(f);
            } else {
                writer.accept(f);
            }
        }
    }

    /** Releases what waits (the connection closed). */
    void discard() {
        if (held != null) {
            held.forEach(ReferenceCountUtil::release);
            held = null;
            stamps = null;
        }
    }
}
