package io.chatgateway.server.http;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminTarpitTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final AdminTarpit tarpit = new AdminTarpit(now::get);

    @Test
    void answersTheFirstMissesAtOnceThenLaterAndLater() {
        for (int i = 0; i < AdminTarpit.FREE_MISSES; i++) {
            assertEquals(0, tarpit.miss("10.0.0.1"), "miss " + (i + 1) + " is free");
        }
        assertEquals(250, tarpit.miss("10.0.0.1"));
        assertEquals(500, tarpit.miss("10.0.0.1"));
        assertEquals(1000, tarpit.miss("10.0.0.1"));
        long last = 0;
        for (int i = 0; i < 20; i++) {
            last = tarpit.miss("10.0.0.1");
        }
        assertEquals(AdminTarpit.MAX_DELAY_MILLIS, last, "capped");
        assertEquals(0, tarpit.miss("10.0.0.2"), "another address is not slowed");
    }

    @Test
    void quietTimeAndTheRightTokenForgiveMisses() {
        for (int i = 0; i < 6; i++) {
            tarpit.miss("a");
        }
        now.addAndGet(AdminTarpit.DECAY_MILLIS * 10);
        assertEquals(0, tarpit.miss("a"), "ten quiet minutes forgive the six misses");
        for (int i = 0; i < 6; i++) {
            tarpit.miss("b");
        }
        tarpit.success("b");
        assertEquals(0, tarpit.miss("b"));
    }

    @Test
    void remembersABoundedNumberOfAddresses() {
        for (int i = 0; i < AdminTarpit.MAX_ADDRESSES + 500; i++) {
            tarpit.miss("addr-" + i);
        }
        assertEquals(AdminTarpit.MAX_ADDRESSES, tarpit.tracked());
        assertTrue(tarpit.miss("addr-" + (AdminTarpit.MAX_ADDRESSES + 499)) == 0, "recent ones are still counted");
    }
}
