package io.chatgateway.history;

import io.netty.buffer.Unpooled;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryHistoryTest {
    private final AtomicLong now = new AtomicLong(1_000_000);

    private MemoryHistory history(int roomSize, long maxBytes) {
        return new MemoryHistory(roomSize, 60_000, 10, 30_000, maxBytes, 1 << 20, now::get);
    }

    /** Publishes like the router: next offset, frame with it, append; returns the offset. */
    private static long publish(MemoryHistory h, String room, String text) {
        return h.withRoom(room, log -> {
            long offset = log.nextOffset();
            log.append(Unpooled.wrappedBuffer(frame(text, offset)));
            return offset;
        });
    }

    private static long send(MemoryHistory h, String user, String text) {
        return h.withInbox(user, true, inbox -> {
            long offset = inbox.nextOffset();
            inbox.append(Unpooled.wrappedBuffer(frame(text, offset)));
            return offset;
        });
    }

    private static byte[] frame(String text, long offset) {
        return ("{\"body\":\"" + text + "\",\"offset\":" + offset + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> bodies(HistoryPage page) {
        List<String> out = new ArrayList<>();
        for (byte[] m : page.messages()) {
            String s = new String(m, StandardCharsets.UTF_8);
            out.add(s.substring(s.indexOf(":\"") + 2, s.indexOf("\",")));
        }
        return out;
    }

    private static Position position(MemoryHistory h, String room) {
        return h.withRoom(room, MemoryHistory.Log::position);
    }

    private static boolean live(MemoryHistory h, String user, boolean online) {
        Boolean live = h.withInbox(user, false, inbox -> inbox.isLive(online));
        return live;
    }

    @Test
    void offsetsAreConsecutiveFromOnePerRoomAndInbox() {
        MemoryHistory h = history(100, 1 << 20);
        assertEquals(0, position(h, "a").offset(), "a room without messages is at 0");
        assertEquals(1, publish(h, "a", "a1"));
        assertEquals(1, publish(h, "b", "b1"));
        assertEquals(2, publish(h, "a", "a2"));
        assertEquals(1, send(h, "alice", "d1"));
        assertEquals(3, publish(h, "a", "a3"));
        assertEquals(3, position(h, "a").offset());
        assertEquals(List.of("a1", "a2", "a3"), bodies(h.read("a", null, 10).toCompletableFuture().join()));
    }

    @Test
    void keepsAtMostTheConfiguredCountDroppingTheOldest() {
        MemoryHistory h = history(3, 1 << 20);
        for (int i = 1; i <= 5; i++) {
            publish(h, "r", "m" + i);
        }
        assertEquals(List.of("m3", "m4", "m5"), bodies(h.read("r", null, 10).toCompletableFuture().join()));
        assertEquals(2, h.stats().trimmed());
        assertEquals(3, h.stats().entries());
        Position p = position(h, "r");
        assertEquals(Boolean.FALSE, h.withRoom("r", log -> log.replay(new Position(p.epoch(), 1))).recovered(),
                "message 2 is gone: recovering from 1 would leave a gap");
        HistoryPage fromTwo = h.withRoom("r", log -> log.replay(new Position(p.epoch(), 2)));
        assertEquals(Boolean.TRUE, fromTwo.recovered());
        assertEquals(List.of("m3", "m4", "m5"), bodies(fromTwo));
    }

    @Test
    void dropsMessagesOlderThanTheTtlByTheInjectedClock() {
        MemoryHistory h = history(100, 1 << 20);
        publish(h, "r", "old");
        now.addAndGet(40_000);
        publish(h, "r", "young");
        now.addAndGet(30_000); // "old" is now 70 s old, past the 60 s ttl; "young" 30 s
        assertEquals(List.of("young"), bodies(h.read("r", null, 10).toCompletableFuture().join()));
        Position p = position(h, "r");
        assertEquals(Boolean.FALSE, h.withRoom("r", log -> log.replay(new Position(p.epoch(), 0))).recovered());
        assertEquals(List.of("young"), bodies(h.withRoom("r", log -> log.replay(new Position(p.epoch(), 1)))));
        assertEquals(1, h.stats().expired());
    }

    @Test
    void theSweepExpiresUntouchedLogsAndDropsEmptyUnusedOnesWithTheirEpoch() {
        MemoryHistory h = history(100, 1 << 20);
        publish(h, "quiet", "x");
        Position before = position(h, "quiet");
        now.addAndGet(61_000);
        h.expire(room -> false, user -> false);
        assertEquals(0, h.stats().entries());
        assertEquals(0, h.stats().streams(), "an empty log nobody uses is dropped");
        Position after = position(h, "quiet");
        assertNotEquals(before.epoch(), after.epoch(), "its history was lost: a new epoch");
        assertEquals(0, after.offset());
    }

    @Test
    void aLogInUseKeepsItsEpochAndOffsetsWhenItsMessagesExpire() {
        MemoryHistory h = history(100, 1 << 20);
        publish(h, "busy", "x");
        Position before = position(h, "busy");
        now.addAndGet(61_000);
        h.expire(room -> room.equals("busy"), user -> false);
        assertEquals(before, position(h, "busy"));
        assertEquals(2, publish(h, "busy", "y"));
    }

    @Test
    void theMemoryBudgetEvictsTheOldestEntriesOfAllLogsFirst() {
        byte[] sample = frame("r0", 1);
        long perEntry = sample.length + MemoryHistory.ENTRY_OVERHEAD;
        MemoryHistory h = history(100, perEntry * 4 + perEntry / 2);
        publish(h, "a", "a1");
        now.incrementAndGet();
        send(h, "alice", "d1");
        now.incrementAndGet();
        publish(h, "b", "b1");
        now.incrementAndGet();
        publish(h, "a", "a2");
        assertEquals(4, h.stats().entries());
        now.incrementAndGet();
        publish(h, "b", "b2"); // over budget: the oldest of all, a1, goes
        assertEquals(List.of("a2"), bodies(h.read("a", null, 10).toCompletableFuture().join()));
        now.incrementAndGet();
        publish(h, "c", "c1"); // next oldest: alice's d1 (an inbox entry)
        assertEquals(0, h.withInbox("alice", false, MemoryHistory.Log::size));
        assertEquals(List.of("b1", "b2"), bodies(h.read("b", null, 10).toCompletableFuture().join()));
        assertEquals(2, h.stats().evicted());
        assertTrue(h.stats().bytes() <= perEntry * 4 + perEntry / 2, "within the budget: " + h.stats());
    }

    @Test
    void countsTheBytesItHolds() {
        MemoryHistory h = history(100, 1 << 20);
        publish(h, "a", "x");
        send(h, "u", "y");
        long expected = frame("x", 1).length + frame("y", 1).length + 2L * MemoryHistory.ENTRY_OVERHEAD;
        assertEquals(expected, h.stats().bytes());
        assertEquals(2, h.stats().entries());
    }

    @Test
    void epochsDifferBetweenLogsAndBetweenInstances() {
        Set<String> epochs = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            MemoryHistory h = history(10, 1 << 20);
            epochs.add(position(h, "r").epoch());
            epochs.add(position(h, "s").epoch());
            epochs.add(h.withInbox("u", true, MemoryHistory.Log::position).epoch());
        }
        assertEquals(9, epochs.size(), epochs.toString());
    }

    @Test
    void replayRecoversOnlyTheSameEpochAndNothingBeyondTheLatest() {
        MemoryHistory h = history(100, 1 << 20);
        publish(h, "r", "m1");
        publish(h, "r", "m2");
        String epoch = position(h, "r").epoch();
        assertEquals(Boolean.FALSE, h.withRoom("r", log -> log.replay(new Position("other", 1))).recovered());
        assertEquals(Boolean.FALSE, h.withRoom("r", log -> log.replay(new Position(epoch, 3))).recovered(),
                "an offset the room never reached");
        HistoryPage none = h.withRoom("r", log -> log.replay(new Position(epoch, 2)));
        assertEquals(Boolean.TRUE, none.recovered());
        assertTrue(none.messages().isEmpty(), "nothing missed");
        assertEquals(List.of("m2"), bodies(h.withRoom("r", log -> log.replay(new Position(epoch, 1)))));
    }

    @Test
    void pagesGiveTheLatestWithoutSinceAndThePageAfterSinceWithIt() {
        MemoryHistory h = history(100, 1 << 20);
        for (int i = 1; i <= 6; i++) {
            publish(h, "r", "m" + i);
        }
        String epoch = position(h, "r").epoch();
        HistoryPage latest = h.read("r", null, 2).toCompletableFuture().join();
        assertEquals(List.of("m5", "m6"), bodies(latest));
        assertNull(latest.recovered());
        HistoryPage after = h.read("r", new Position(epoch, 2), 2).toCompletableFuture().join();
        assertEquals(List.of("m3", "m4"), bodies(after), "the first page after since, to page on from m4");
        assertEquals(Boolean.TRUE, after.recovered());
        assertEquals(6, after.position().offset());
    }

    @Test
    void aReplayLargerThanAPageIsNotAttemptedAndAPageIsCutToFit() {
        MemoryHistory h = new MemoryHistory(100, 60_000, 10, 30_000, 1 << 20, 100, now::get);
        for (int i = 1; i <= 5; i++) {
            publish(h, "r", "message-" + i); // 31 bytes each
        }
        String epoch = position(h, "r").epoch();
        HistoryPage replay = h.withRoom("r", log -> log.replay(new Position(epoch, 0)));
        assertEquals(Boolean.FALSE, replay.recovered(), "155 bytes would not fit in 100");
        assertTrue(replay.messages().isEmpty());
        HistoryPage page = h.read("r", null, 5).toCompletableFuture().join();
        assertEquals(List.of("message-3", "message-4", "message-5"), bodies(page), "the latest that fit");
    }

    @Test
    void anInboxIsLiveWhileItsUserIsOnlineAndForItsTtlAfter() {
        MemoryHistory h = history(100, 1 << 20);
        assertNull(h.withInbox("bob", false, inbox -> inbox), "no inbox before the first login");
        h.withInbox("bob", true, inbox -> {
            inbox.touch();
            return null;
        });
        now.addAndGet(29_000);
        assertTrue(live(h, "bob", false));
        now.addAndGet(2_000);
        assertFalse(live(h, "bob", false), "31 s after, past the 30 s ttl");
        assertTrue(live(h, "bob", true), "online is live whatever the time");
        h.expire(room -> false, user -> false);
        assertNull(h.withInbox("bob", false, inbox -> inbox), "a dead empty inbox is dropped");
    }
}
