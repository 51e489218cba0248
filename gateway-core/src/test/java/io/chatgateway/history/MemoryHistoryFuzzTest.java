package io.chatgateway.history;

import io.chatgateway.testing.Fuzzing;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MemoryHistory}'s rings of bytes against a plain model (one list of frames per log): any run of appends of
 * any sizes (empty to several times the ring's smallest size, so that frames wrap around the ring's end and the
 * ring grows and shrinks), clock steps past the TTL, count trims and budget evictions leaves every log holding
 * exactly the latest frames the model holds, byte for byte, in order, and the node's byte count equal to what the
 * model counts.
 */
@AddLifecycleHook(Fuzzing.class)
class MemoryHistoryFuzzTest {
    private static final int SIZE = 6;
    private static final long TTL = 1_000;

    /** One step: append {@code bytes} bytes to log {@code log}, or (with {@code bytes} < 0) let time pass. */
    record Step(int log, int bytes, long millis) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> append = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.frequencyOf(
                        Tuple.of(6, Arbitraries.integers().between(0, 40)),
                        Tuple.of(2, Arbitraries.integers().between(41, 300)),
                        Tuple.of(1, Arbitraries.just(0))))
                .as((log, bytes) -> new Step(log, bytes, 0));
        Arbitrary<Step> wait = Arbitraries.longs().between(1, TTL).map(ms -> new Step(0, -1, ms));
        return Arbitraries.frequencyOf(Tuple.of(8, append), Tuple.of(1, wait))
                .list().ofMaxSize(120);
    }

    @Property(tries = 400)
    void holdsExactlyTheLatestFramesOfEveryLog(@ForAll("steps") List<Step> steps,
                                               @ForAll("budgets") long budget) {
        AtomicLong now = new AtomicLong(1_000_000);
        MemoryHistory h = new MemoryHistory(SIZE, TTL, SIZE, TTL, budget, 1 << 20, now::get);
        Map<String, Deque<Kept>> model = new HashMap<>();
        byte fill = 0;
        for (Step step : steps) {
            if (step.bytes() < 0) {
                now.addAndGet(step.millis());
                continue;
            }
            // A millisecond per append: no two entries share a time, so the oldest of all is never a tie.
            now.incrementAndGet();
            String room = "r" + step.log();
            byte[] frame = new byte[step.bytes()];
            for (int i = 0; i < frame.length; i++) {
                frame[i] = fill++;
            }
            h.withRoom(room, log -> {
                log.nextOffset();
                log.append(Unpooled.wrappedBuffer(frame));
                return null;
            });
            long t = now.get();
            Deque<Kept> kept = model.computeIfAbsent(room, r -> new ArrayDeque<>());
            kept.addLast(new Kept(frame, t));
            // The model's bounds, in the order the history applies them: age, count, then the node's budget.
            model.values().forEach(k -> k.removeIf(e -> e.time() < t - TTL));
            if (kept.size() > SIZE) {
                kept.removeFirst();
            }
            while (bytes(model) > budget) {
                oldestOfAll(model).removeFirst();
            }
            assertHolds(h, room, kept);
        }
        // Reads expire by the clock as the model does; the budget only ever acts on appends.
        long t = now.get();
        model.values().forEach(k -> k.removeIf(e -> e.time() < t - TTL));
        for (Map.Entry<String, Deque<Kept>> e : model.entrySet()) {
            assertHolds(h, e.getKey(), e.getValue());
        }
        assertEquals(bytes(model), h.stats().bytes(), "bytes counted");
    }

    @Provide
    Arbitrary<Long> budgets() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(1L << 30)),
                Tuple.of(1, Arbitraries.longs().between(MemoryHistory.ENTRY_OVERHEAD, 2_000)));
    }

    private record Kept(byte[] frame, long time) {
    }

    private static void assertHolds(MemoryHistory h, String room, Deque<Kept> expected) {
        HistoryPage page = h.read(room, null, SIZE).toCompletableFuture().join();
        List<byte[]> want = new ArrayList<>();
        expected.forEach(k -> want.add(k.frame()));
        assertEquals(want.size(), page.messages().size(), () -> room + ": " + page.messages().size() + " held, "
                + want.size() + " expected");
        for (int i = 0; i < want.size(); i++) {
            int at = i;
            assertArrayEquals(want.get(i), page.messages().get(i),
                    () -> room + " frame " + at + ": " + Arrays.toString(page.messages().get(at)));
        }
        assertTrue(page.position().offset() >= want.size());
    }

    private static long bytes(Map<String, Deque<Kept>> model) {
        long n = 0;
        for (Deque<Kept> k : model.values()) {
            for (Kept e : k) {
                n += e.frame().length + MemoryHistory.ENTRY_OVERHEAD;
            }
        }
        return n;
    }

    /** The log whose oldest entry is the oldest of all; ties go to any of them, as the history's heap does. */
    private static Deque<Kept> oldestOfAll(Map<String, Deque<Kept>> model) {
        Deque<Kept> oldest = null;
        for (Deque<Kept> k : model.values()) {
            if (!k.isEmpty() && (oldest == null || k.peekFirst().time() < oldest.peekFirst().time())) {
                oldest = k;
            }
        }
        return oldest;
    }
}
