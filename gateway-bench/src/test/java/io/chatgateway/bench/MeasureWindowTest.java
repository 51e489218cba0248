package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MeasureWindowTest {

    /** The plain comparison the arithmetic stands in for. */
    private static int expected(long t, long from, long until) {
        return t >= from && t < until ? 0 : 1;
    }

    @Test
    void agreesWithTheComparisonAtTheEdges() {
        long[] edges = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -2, -1, 0, 1, 2, 1_000, Long.MAX_VALUE - 1,
            Long.MAX_VALUE};
        for (long from : edges) {
            for (long until : edges) {
                if (until < from) {
                    continue;
                }
                for (long t : edges) {
                    assertEquals(expected(t, from, until), MeasureWindow.outside(t, from, until),
                            "t=" + t + " in [" + from + ", " + until + ")");
                }
            }
        }
    }

    @Test
    void agreesWithTheComparisonOnRandomWindows() {
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            long a = r.nextLong();
            long b = r.nextLong();
            long from = Math.min(a, b);
            long until = Math.max(a, b);
            // Near the edges half the time, anywhere the rest.
            long t = switch (i % 4) {
                case 0 -> from + r.nextInt(-3, 4);
                case 1 -> until + r.nextInt(-3, 4);
                default -> r.nextLong();
            };
            assertEquals(expected(t, from, until), MeasureWindow.outside(t, from, until),
                    "t=" + t + " in [" + from + ", " + until + ")");
        }
    }

    @Test
    void theSentinelsTheScenariosUse() {
        long now = System.nanoTime();
        // Before a scenario sets a window (Worker's defaults), nothing is measured.
        assertEquals(1, MeasureWindow.outside(now, Long.MAX_VALUE, Long.MAX_VALUE));
        // The capacity scenario measures everything.
        assertEquals(0, MeasureWindow.outside(now, Long.MIN_VALUE, Long.MAX_VALUE));
        assertEquals(0, MeasureWindow.outside(-now, Long.MIN_VALUE, Long.MAX_VALUE));
        // A warm-up, then a measured window, then the drain.
        assertEquals(1, MeasureWindow.outside(now - 1, now, now + 1_000));
        assertEquals(0, MeasureWindow.outside(now, now, now + 1_000));
        assertEquals(0, MeasureWindow.outside(now + 999, now, now + 1_000));
        assertEquals(1, MeasureWindow.outside(now + 1_000, now, now + 1_000));
    }
}
