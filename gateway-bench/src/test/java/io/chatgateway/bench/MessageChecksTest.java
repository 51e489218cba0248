package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lost-message check, and what it says when the drain ran out of time. */
class MessageChecksTest {

    private static Result.Check lostCheck(long ackRecipients, long unique, Duration drainCutShort) {
        Totals t = new Totals();
        t.counters.put("sent", ackRecipients);
        t.counters.put("acks", ackRecipients);
        t.counters.put("ack_recipients", ackRecipients);
        t.counters.put("unique", unique);
        Result r = new Result("direct");
        Scenario.messageChecks(r, t, drainCutShort);
        return r.checks.stream().filter(c -> c.name().startsWith("lost")).findFirst().orElseThrow();
    }

    @Test
    void everyAcknowledgedRecipientReachedPasses() {
        Result.Check c = lostCheck(1000, 1000, null);
        assertTrue(c.passed());
        assertEquals("0", c.detail());
    }

    @Test
    void missingDeliveriesFailAndACutShortDrainSaysTheyMayStillBeQueued() {
        Result.Check settled = lostCheck(1000, 977, null);
        assertFalse(settled.passed());
        assertEquals("23", settled.detail(), "the drain settled: these are losses, nothing to add");

        Result.Check cut = lostCheck(1000, 977, Duration.ofSeconds(10));
        assertFalse(cut.passed(), "the bench cannot tell a backlog from a loss, so it still fails");
        assertTrue(cut.detail().startsWith("23 "), cut.detail());
        assertTrue(cut.detail().contains("10s drain") && cut.detail().contains("--drain"), cut.detail());
    }
}
