package io.chatgateway.policy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnauthenticatedLimitTest {

    @Test
    void countsUpToTheLimitAndFreesOnRelease() {
        UnauthenticatedLimit l = new UnauthenticatedLimit(2);
        assertTrue(l.tryAcquire());
        assertTrue(l.tryAcquire());
        assertFalse(l.tryAcquire());
        assertEquals(2, l.count(), "a refusal counts nothing");
        l.release();
        assertTrue(l.tryAcquire());
        assertThrows(IllegalArgumentException.class, () -> new UnauthenticatedLimit(0));
    }
}
