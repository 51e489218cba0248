package io.chatgateway.bench;

import io.chatgateway.bench.SequenceChecker.Outcome;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SequenceCheckerTest {

    @Test
    void aCleanStreamIsAllInOrder() {
        SequenceChecker c = new SequenceChecker();
        for (long q = 0; q < 1000; q++) {
            assertEquals(Outcome.IN_ORDER, c.accept(7, q));
        }
        assertEquals(1000, c.unique());
        assertEquals(0, c.duplicates());
        assertEquals(0, c.outOfOrder());
        assertEquals(0, c.holes());
    }

    @Test
    void saysSoWhenTheStreamIsWrong() {
        SequenceChecker c = new SequenceChecker();
        long[] stream = {0, 1, 1, 3, 2, 5, 0, 6};
        Outcome[] expected = {Outcome.IN_ORDER, Outcome.IN_ORDER, Outcome.DUPLICATE, Outcome.AHEAD,
            Outcome.OUT_OF_ORDER, Outcome.AHEAD, Outcome.DUPLICATE, Outcome.AHEAD};
        for (int i = 0; i < stream.length; i++) {
            assertEquals(expected[i], c.accept(1, stream[i]), "message " + i + " (seq " + stream[i] + ")");
        }
        assertEquals(6, c.unique());
        assertEquals(2, c.duplicates());
        assertEquals(1, c.outOfOrder());
        assertEquals(1, c.holes(), "4 never arrived");
    }

    @Test
    void aDuplicateAheadOfAHoleIsStillADuplicate() {
        SequenceChecker c = new SequenceChecker();
        c.accept(1, 0);
        c.accept(1, 5);
        assertEquals(Outcome.DUPLICATE, c.accept(1, 5));
        assertEquals(4, c.holes());
        c.accept(1, 1);
        c.accept(1, 2);
        c.accept(1, 3);
        c.accept(1, 4);
        assertEquals(0, c.holes());
        assertEquals(Outcome.IN_ORDER, c.accept(1, 6));
        assertEquals(Outcome.DUPLICATE, c.accept(1, 4));
    }

    @Test
    void keepsSendersApart() {
        SequenceChecker c = new SequenceChecker();
        assertEquals(Outcome.IN_ORDER, c.accept(1, 0));
        assertEquals(Outcome.IN_ORDER, c.accept(2, 0));
        assertEquals(Outcome.IN_ORDER, c.accept(2, 1));
        assertEquals(Outcome.IN_ORDER, c.accept(1, 1));
        assertEquals(2, c.senders());
        assertEquals(0, c.duplicates());
    }

    @Test
    void rejectsNegativeSequenceNumbers() {
        SequenceChecker c = new SequenceChecker();
        assertEquals(Outcome.INVALID, c.accept(1, -3));
        assertEquals(1, c.invalid());
        assertEquals(0, c.unique());
    }

    @Test
    void countsLossesAsHolesBelowTheHighestNumberSeen() {
        SequenceChecker c = new SequenceChecker();
        for (long q = 0; q < 100; q++) {
            if (q % 10 != 3) {
                c.accept(4, q);
            }
        }
        assertEquals(10, c.holes());
        assertEquals(90, c.unique());
        assertEquals(0, c.outOfOrder());
    }
}
