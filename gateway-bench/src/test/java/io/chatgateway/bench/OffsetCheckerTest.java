package io.chatgateway.bench;

import io.chatgateway.bench.OffsetChecker.Outcome;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffsetCheckerTest {

    private static void feed(OffsetChecker c, long from, long to) {
        for (long o = from; o <= to; o++) {
            assertEquals(Outcome.IN_ORDER, c.accept(o), "offset " + o);
        }
    }

    @Test
    void liveThenReplayThenLiveIsOneStreamWithNothingLost() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 4);
        feed(c, 5, 10);
        assertEquals(10, c.since());
        c.beginResume();
        feed(c, 11, 14);
        assertTrue(c.resumed("e1", 14, true));
        feed(c, 15, 20);
        c.finish(20);
        assertEquals(16, c.unique());
        assertEquals(4, c.replayed());
        assertEquals(1, c.recoveredTrue());
        assertEquals(0, c.lost() + c.duplicates() + c.outOfOrder() + c.falseRecoveries());
    }

    @Test
    void aGapInLiveDeliveryIsLostAndTheTailCountsAgainstTheLatestOffset() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 3);
        assertEquals(Outcome.AHEAD, c.accept(5));
        c.finish(8);
        assertEquals(1 + 3, c.lost(), "4 never came, and 6..8 of the room's latest 8 never came");
    }

    @Test
    void aReplayThatStartsAboveSincePlusOneIsAFalseRecovery() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 10);
        c.beginResume();
        assertEquals(Outcome.AHEAD, c.accept(12));
        assertFalse(c.resumed("e1", 12, true));
        assertEquals(1, c.falseRecoveries());
        c.finish(12);
        assertEquals(1, c.lost());
    }

    @Test
    void recoveredTrueWithAnOffsetAboveTheReplayIsAFalseRecoveryAndItsMissingMessagesAreLost() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 10);
        c.beginResume();
        c.accept(11);
        assertFalse(c.resumed("e1", 15, true));
        assertEquals(Outcome.AHEAD, c.accept(16), "live goes on above the claimed offset, over the hole");
        c.finish(16);
        assertEquals(1, c.falseRecoveries());
        assertEquals(4, c.lost(), "12..15 were claimed and never sent");
    }

    @Test
    void recoveredTrueInAnotherEpochIsAFalseRecovery() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 5);
        c.beginResume();
        assertFalse(c.resumed("e2", 3, true));
        assertEquals(1, c.falseRecoveries());
        assertEquals(1, c.newEpochs());
    }

    @Test
    void repeatsAndSwapsAcrossAReplayAreDuplicatesAndOutOfOrder() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 10);
        c.beginResume();
        assertEquals(Outcome.DUPLICATE, c.accept(10), "since itself again");
        assertEquals(Outcome.AHEAD, c.accept(12));
        assertEquals(Outcome.OUT_OF_ORDER, c.accept(11), "the lowest missing one, after a higher one");
        assertTrue(c.resumed("e1", 12, true), "nothing missing in (10, 12]");
        assertEquals(Outcome.DUPLICATE, c.accept(12), "live after the ack repeats the replay");
        assertEquals(2, c.duplicates());
        assertEquals(1, c.outOfOrder());
        c.finish(12);
        assertEquals(0, c.lost());
    }

    @Test
    void recoveredFalseExcusesExactlyWhatItCoversAndNothingBelowItMayArriveLater() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 10);
        c.beginResume();
        assertFalse(c.resumed("e1", 25, false));
        assertEquals(15, c.excused());
        assertEquals(1, c.recoveredFalse());
        assertEquals(Outcome.DUPLICATE, c.accept(20), "covered by the answer");
        assertEquals(Outcome.IN_ORDER, c.accept(26));
        c.finish(26);
        assertEquals(0, c.lost());
        assertEquals(0, c.falseRecoveries());
    }

    @Test
    void messagesBeforeARecoveredFalseAreCountedAsReplayedWithoutRecovery() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 3);
        c.beginResume();
        c.accept(4);
        c.resumed("e1", 6, false);
        assertEquals(1, c.replayedWithoutRecovery());
        assertEquals(2, c.excused());
    }

    @Test
    void aNewEpochIsReportedItsOldTailUnsizedAndTheNewStreamStartsAtTheAnswer() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 7);
        c.beginResume();
        assertFalse(c.resumed("e2", 2, false));
        assertEquals(1, c.newEpochs());
        assertEquals(1, c.unsized());
        assertEquals("e2", c.sinceEpoch());
        assertEquals(2, c.excused(), "1 and 2 of the new epoch were never sent");
        assertEquals(Outcome.IN_ORDER, c.accept(3));
        c.finish(3);
        assertEquals(0, c.lost());
    }

    @Test
    void anAnswerBelowWhatWasDeliveredIsInconsistent() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        feed(c, 1, 9);
        c.beginResume();
        c.resumed("e1", 5, false);
        assertEquals(1, c.inconsistentAnswers());
        assertEquals(0, c.excused());
    }

    @Test
    void aPublishersOwnHolesAreNotLostButItsDuplicatesAndReordersStillCount() {
        OffsetChecker c = new OffsetChecker(true);
        c.start("e1", 0);
        c.accept(2);
        c.accept(5);
        assertEquals(Outcome.DUPLICATE, c.accept(5));
        assertEquals(Outcome.OUT_OF_ORDER, c.accept(4));
        c.finish(9);
        assertEquals(0, c.lost());
        assertEquals(1, c.duplicates());
        assertEquals(1, c.outOfOrder());
    }

    @Test
    void messagesWithoutAnOffsetAreInvalid() {
        OffsetChecker c = new OffsetChecker(false);
        c.start("e1", 0);
        assertEquals(Outcome.INVALID, c.accept(-1));
        assertEquals(1, c.invalid());
    }
}
