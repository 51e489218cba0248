package io.chatgateway.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeakDetectionTest {

    @Test
    void reportsBufferThatWasNeverReleased() throws InterruptedException {
        LeakDetection.collect(); // start from a clean slate
        leakOne();
        List<String> leaks = LeakDetection.collect();
        assertFalse(leaks.isEmpty(), "a buffer dropped without release() must be reported");
        assertTrue(leaks.get(0).contains("ByteBuf"), leaks.get(0));
    }

    @Test
    void reportsNothingWhenEveryBufferIsReleased() throws InterruptedException {
        LeakDetection.collect();
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42);
        b.release();
        assertTrue(LeakDetection.collect().isEmpty());
    }

    private static void leakOne() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42);
        // dropped on purpose
    }
}
