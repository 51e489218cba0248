package io.chatgateway.routing;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageIdsTest {

    @Test
    void idsAreNodeStartAndSequence() {
        MessageIds ids = new MessageIds("node1", 36L * 36 + 1);
        assertEquals("node1-101-1", ids.next());
        assertEquals("node1-101-2", ids.next());
        for (int i = 3; i < 36; i++) {
            ids.next();
        }
        assertEquals("node1-101-10", ids.next(), "the sequence is base 36 too");
    }

    @Test
    void aNodeRestartedUnderTheSameIdDoesNotRepeatItsIds() {
        Set<String> seen = new HashSet<>();
        MessageIds firstRun = new MessageIds("gateway-1", 1_700_000_000_000L);
        for (int i = 0; i < 1000; i++) {
            assertTrue(seen.add(firstRun.next()));
        }
        MessageIds secondRun = new MessageIds("gateway-1", 1_700_000_000_001L);
        for (int i = 0; i < 1000; i++) {
            assertTrue(seen.add(secondRun.next()), "a restart one millisecond later repeats nothing");
        }
        assertNotEquals(new MessageIds("a", 5).next(), new MessageIds("b", 5).next(), "nodes never share ids");
    }
}
