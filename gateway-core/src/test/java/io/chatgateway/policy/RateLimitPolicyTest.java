package io.chatgateway.policy;

import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitPolicyTest {
    private final MockTicker ticker = Ticker.newMockTicker();

    @Test
    void allowsABurstThenTheSteadyRate() {
        RateLimitPolicy.Bucket b = new RateLimitPolicy(10, 3, ticker).newBucket();
        assertTrue(b.tryAcquire());
        assertTrue(b.tryAcquire());
        assertTrue(b.tryAcquire());
        assertFalse(b.tryAcquire());
        ticker.advance(99, TimeUnit.MILLISECONDS);
        assertFalse(b.tryAcquire());
        ticker.advance(2, TimeUnit.MILLISECONDS);
        assertTrue(b.tryAcquire());
        assertFalse(b.tryAcquire());
    }

    @Test
    void neverSavesUpMoreThanTheBurst() {
        RateLimitPolicy.Bucket b = new RateLimitPolicy(100, 2, ticker).newBucket();
        ticker.advance(1, TimeUnit.HOURS);
        assertTrue(b.tryAcquire());
        assertTrue(b.tryAcquire());
        assertFalse(b.tryAcquire());
    }

    @Test
    void unlimitedAllowsEverything() {
        RateLimitPolicy.Bucket b = RateLimitPolicy.UNLIMITED.newBucket();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(b.tryAcquire());
        }
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new RateLimitPolicy(-1, 1, ticker));
        assertThrows(IllegalArgumentException.class, () -> new RateLimitPolicy(5, 0, ticker));
    }
}
