package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak's memory verdict and its reading of the gateway's metrics. */
class SoakMemoryTest {
    private static final double MIB = 1 << 20;

    private static List<double[]> series(double start, double perMinute, int minutes) {
        List<double[]> p = new ArrayList<>();
        for (int m = 0; m <= minutes; m++) {
            p.add(new double[] {m * 60.0, start + perMinute * m + (m % 2 == 0 ? 3 * MIB : -3 * MIB)});
        }
        return p;
    }

    @Test
    void noisyButLevelMemoryIsFlat() {
        MemorySampler.Flatness f = MemorySampler.flatness("heap", series(200 * MIB, 0, 30), 60, 0.10, 16 * MIB);
        assertTrue(f.judged() && f.flat(), f.describe());
        assertEquals(30, f.n(), "the warm-up sample is left out");
    }

    @Test
    void steadyGrowthIsNotFlat() {
        MemorySampler.Flatness f = MemorySampler.flatness("heap", series(200 * MIB, 2 * MIB, 30), 60, 0.10, 16 * MIB);
        assertTrue(f.judged(), f.describe());
        assertFalse(f.flat(), f.describe());
        assertEquals(120 * MIB, f.slopePerHour(), 5 * MIB);
        assertTrue(f.describe().contains("GROWING"), f.describe());
    }

    @Test
    void growthWithinTheSlackOfASmallHeapIsFlat() {
        MemorySampler.Flatness f = MemorySampler.flatness("heap", series(20 * MIB, 0.3 * MIB, 30), 0, 0.10, 16 * MIB);
        assertTrue(f.flat(), f.describe());
    }

    @Test
    void tooFewSamplesGiveNoVerdict() {
        MemorySampler.Flatness f = MemorySampler.flatness("heap", series(200 * MIB, 10 * MIB, 4), 0, 0.10, 16 * MIB);
        assertFalse(f.judged(), f.describe());
        assertTrue(f.describe().contains("no verdict"), f.describe());
    }

    @Test
    void sumsTheSamplesOfAMetricWithTheLabel() {
        String text = """
                # HELP jvm_memory_used_bytes The amount of used memory
                jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.6777216E7
                jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 4871680.0
                jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 1.6051912E7
                jvm_buffer_memory_used_bytes{id="direct"} 237863.0
                netty_allocator_memory_used{allocator_type="AdaptiveByteBufAllocator",id="1",memory_type="direct"} 131072.0
                netty_allocator_memory_used{allocator_type="AdaptiveByteBufAllocator",id="1",memory_type="heap"} 0.0
                """;
        assertEquals(16_777_216L + 4_871_680L, MemorySampler.sum(text, "jvm_memory_used_bytes", "area=\"heap\""));
        assertEquals(237_863L, MemorySampler.sum(text, "jvm_buffer_memory_used_bytes", "id=\"direct\""));
        assertEquals(131_072L, MemorySampler.sum(text, "netty_allocator_memory_used", "memory_type=\"direct\""));
        assertEquals(-1L, MemorySampler.sum(text, "jvm_gc_live_data_size_bytes", ""));
    }
}
