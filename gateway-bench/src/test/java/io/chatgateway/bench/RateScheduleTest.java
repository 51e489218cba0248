package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateScheduleTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void schedulesExactlyRateTimesDurationEvents() {
        assertEquals(50_000, new RateSchedule(50_000, 0, 1 * SECOND).total());
        assertEquals(3, new RateSchedule(3, 1000, 1000 + SECOND).total());
        assertEquals(0, new RateSchedule(10, 5, 5).total());
        // 2.5 events per second over 2 s: events at 0, 0.4, 0.8, 1.2, 1.6 s.
        assertEquals(5, new RateSchedule(2.5, 0, 2 * SECOND).total());
    }

    @Test
    void dueCountIsTheNumberOfEventsWhoseIntendedTimeHasCome() {
        RateSchedule s = new RateSchedule(7_919, 123_456, 123_456 + SECOND / 3);
        for (long now = 0; now < 123_456 + SECOND / 2; now += 9_973) {
            long expected = 0;
            for (long k = 0; k < s.total(); k++) {
                if (s.intendedTime(k) <= now) {
                    expected++;
                }
            }
            assertEquals(expected, s.dueBy(now), "at " + now);
        }
    }

    @Test
    void spacesEventsEvenlyFromTheStart() {
        RateSchedule s = new RateSchedule(1000, 5 * SECOND, 6 * SECOND);
        assertEquals(5 * SECOND, s.intendedTime(0));
        assertEquals(5 * SECOND + 1_000_000, s.intendedTime(1));
        assertEquals(5 * SECOND + 999_000_000, s.intendedTime(999));
        assertEquals(0, s.dueBy(5 * SECOND - 1));
        assertEquals(1, s.dueBy(5 * SECOND));
    }

    @Test
    void aStalledSenderCatchesUpWithoutMovingTheIntendedTimes() {
        // A sender that could not run for 300 ms owes 300 events at once, each still stamped with its own intended
        // time: the stall shows up as latency of those events, not as a lower rate (no coordinated omission).
        RateSchedule s = new RateSchedule(1000, 0, SECOND);
        long beforeStall = s.dueBy(100_000_000);
        long afterStall = s.dueBy(400_000_000);
        assertEquals(101, beforeStall);
        assertEquals(401, afterStall);
        assertEquals(150_000_000, s.intendedTime(150));
        assertTrue(s.isComplete(s.dueBy(10 * SECOND)));
        assertEquals(1000, s.dueBy(10 * SECOND));
    }

    @Test
    void rejectsRatesThatAreNotPositive() {
        assertThrows(IllegalArgumentException.class, () -> new RateSchedule(0, 0, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new RateSchedule(-1, 0, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new RateSchedule(Double.NaN, 0, SECOND));
        assertThrows(IllegalArgumentException.class, () -> new RateSchedule(10, SECOND, 0));
    }
}
