package io.chatgateway.server.health;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadinessTest {
    private final AtomicReference<Lifecycle> state = new AtomicReference<>(Lifecycle.STARTING);
    private final Readiness readiness = new Readiness(state::get);

    @Test
    void isReadyOnlyInReady() {
        for (Lifecycle l : Lifecycle.values()) {
            state.set(l);
            Readiness.Report r = readiness.evaluate();
            assertEquals(l == Lifecycle.READY, r.ready(), l.name());
            assertEquals(l == Lifecycle.READY ? null : l.label(), r.reason());
        }
    }

    @Test
    void aFailingCheckMakesTheNodeNotReadyAndIsNamed() {
        state.set(Lifecycle.READY);
        AtomicBoolean up = new AtomicBoolean();
        readiness.add(ReadinessCheck.of("ok", () -> true));
        readiness.add(ReadinessCheck.of("broker", up::get));
        Readiness.Report down = readiness.evaluate();
        assertFalse(down.ready());
        assertEquals("broker: unavailable", down.reason());
        assertTrue(down.checks().get("ok").ready());
        assertFalse(down.checks().get("broker").ready());
        up.set(true);
        Readiness.Report ok = readiness.evaluate();
        assertTrue(ok.ready());
        assertNull(ok.reason());
    }

    @Test
    void checksStillRunAndShowWhileNotStarted() {
        readiness.add(ReadinessCheck.of("broker", () -> false));
        Readiness.Report r = readiness.evaluate();
        assertEquals("starting", r.reason(), "the lifecycle is the first reason");
        assertFalse(r.checks().get("broker").ready());
    }

    @Test
    void aNotReadyResultNeedsAReason() {
        assertThrows(IllegalArgumentException.class, () -> new ReadinessCheck.Result(false, null));
        assertThrows(IllegalArgumentException.class, () -> ReadinessCheck.Result.notReady(" "));
    }

    @Test
    void refusesASecondCheckWithTheSameName() {
        readiness.add(ReadinessCheck.of("x", () -> true));
        assertThrows(IllegalArgumentException.class, () -> readiness.add(ReadinessCheck.of("x", () -> false)));
        assertEquals(1, readiness.checks().size());
    }
}
