package io.chatgateway.policy;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlowConsumerPolicyTest {
    private final SlowConsumerPolicy policy = new SlowConsumerPolicy(1000, Duration.ofSeconds(2));

    @Test
    void waterMarksAreTheLimitAndHalfOfIt() {
        assertEquals(1000, policy.highWaterMark());
        assertEquals(500, policy.lowWaterMark());
    }

    @Test
    void kicksAtOnceAtTheHardLimit() {
        assertFalse(policy.exceedsHardLimit(3999));
        assertTrue(policy.exceedsHardLimit(4000));
    }

    @Test
    void givesTheConfiguredGracePeriod() {
        assertEquals(2_000_000_000L, policy.graceNanos());
    }

    @Test
    void rejectsNonsense() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new SlowConsumerPolicy(1, Duration.ofSeconds(1)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new SlowConsumerPolicy(1000, Duration.ofSeconds(-1)));
    }
}
