package io.chatgateway.session;

import io.chatgateway.history.Position;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gate that keeps a resumed room's live stream from overlapping its replay in a cluster, where the two arrive
 * on different broker connections in either order. Driven step by step, as the connection's event loop would.
 */
class RecoveryGateTest {
    private final List<ByteBuf> made = new ArrayList<>();
    private final List<String> written = new ArrayList<>();

    private ByteBuf frame(String text) {
        ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        made.add(b);
        return b;
    }

    private void write(Object f) {
        ByteBuf b = (ByteBuf) f;
        written.add(b.toString(StandardCharsets.UTF_8));
        b.release();
    }

    /** Offers a live frame as LocalDelivery does: writes it when admitted, drops the caller's reference. */
    private void live(RecoveryGate gate, String epoch, long offset, String text) {
        ByteBuf f = frame(text);
        if (gate.admit(new Position(epoch, offset), f)) {
            write(f);
        } else {
            f.release();
        }
    }

    @Test
    void holdsLiveFramesUntilReleasedThenDropsWhatTheReplayGave() {
        RecoveryGate gate = new RecoveryGate();
        // Live frames 4..6 arrive before the replay answer does; the replay covers up to 5.
        live(gate, "e", 4, "m4");
        live(gate, "e", 5, "m5");
        live(gate, "e", 6, "m6");
        assertTrue(written.isEmpty(), "nothing goes out before the answer");
        written.add("replay m3");
        written.add("replay m4");
        written.add("replay m5");
        written.add("ack");
        gate.release(new Position("e", 5), this::write);
        assertEquals(List.of("replay m3", "replay m4", "replay m5", "ack", "m6"), written);
        assertTrue(gate.isSpent(), "a frame above the floor came: the gate has done its work");
        live(gate, "e", 7, "m7");
        assertEquals("m7", written.get(written.size() - 1));
        made.forEach(b -> assertEquals(0, b.refCnt(), "every frame released"));
    }

    @Test
    void dropsLateDuplicatesThatArriveAfterTheReleaseUntilTheFirstNewOne() {
        RecoveryGate gate = new RecoveryGate();
        gate.release(new Position("e", 5), this::write);
        assertFalse(gate.isSpent());
        // The live stream had not yet delivered 4 and 5, which the replay gave: they come now and are dropped.
        live(gate, "e", 4, "m4");
        live(gate, "e", 5, "m5");
        assertTrue(written.isEmpty());
        live(gate, "e", 6, "m6");
        assertEquals(List.of("m6"), written);
        assertTrue(gate.isSpent());
        made.forEach(b -> assertEquals(0, b.refCnt()));
    }

    @Test
    void letsEphemeralFramesAndAnotherEpochThrough() {
        RecoveryGate gate = new RecoveryGate();
        live(gate, "e", 0, "typing");
        gate.release(new Position("e", 9), this::write);
        assertEquals(List.of("typing"), written, "an ephemeral frame has no offset to be a duplicate by");
        assertFalse(gate.isSpent(), "it says nothing about the offsets still to come");
        live(gate, "new-epoch", 1, "first of a new epoch");
        assertEquals("first of a new epoch", written.get(1), "the history was lost; offsets start over");
        assertTrue(gate.isSpent());
    }

    @Test
    void discardReleasesWhatWaits() {
        RecoveryGate gate = new RecoveryGate();
        live(gate, "e", 1, "m1");
        live(gate, "e", 2, "m2");
        gate.discard();
        made.forEach(b -> assertEquals(0, b.refCnt(), "a closed connection's held frames are released"));
        assertTrue(written.isEmpty());
    }
}
