package io.chatgateway.history;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Room histories and user inboxes of a single node, in memory: one {@link Log} per room and per user, each the
 * latest messages as the serialised frames that were delivered, with consecutive offsets in an epoch.
 *
 * <p>Bounds: per log by count ({@code history-size}, {@code inbox-size}) and by age ({@code history-ttl-seconds},
 * {@code inbox-ttl-seconds}), and node-wide by {@code history-max-bytes}, beyond which the oldest entries of all
 * logs go first. Entries leave a log only from its oldest end, so what a log holds is always a run of consecutive
 * offsets ending at its latest.
 *
 * <p>Each log is also the lock that orders its messages: the router assigns an offset, appends and hands the frame
 * to every recipient's event loop while holding the log's monitor ({@link #withRoom}, {@link #withInbox}), so the
 * offset order, the history order and every recipient's delivery order are one order. Joins and logins that want
 * the messages after an offset take the same monitor, so that what they replay and what reaches them live neither
 * overlap nor leave a gap. Entries and byte counts are guarded by one node-wide lock, taken inside a log's
 * monitor and never the other way round.
 *
 * <p>Epochs: random per process start plus a counter, so a restarted node never reuses one. A log is dropped when
 * it holds nothing and nobody uses it (a room without members here, an inbox whose user has been gone for the
 * inbox TTL); it starts over with a new epoch.
 *
 * <p>Storage: each log keeps its frames' bytes in one ring of bytes of its own, with the start, length and time of
 * each entry in primitive arrays, not as one {@code byte[]} per message. A kept message is then no object the
 * collector has to trace: appending one copies bytes into an array that is usually already old, which writes no
 * reference, so a young collection neither copies the history nor scans cards that point into it. (With one
 * {@code byte[]} per message, every append dirtied a card of an old log; 10,000 inboxes taking a message a second
 * made G1's young pauses 35-45 ms of card scanning on one core: docs/benchmarks.md, "Direct-message tail".) The
 * ring doubles while its log fills, is cut to its frames and a little headroom (an eighth of them, at most four
 * frames) when the log is full (where a busy log stays), grows by that headroom when a full log's frames outgrow
 * it, and is halved when expiry or the budget leaves it more than half free: a full log holds a few frames more
 * than its frames, a filling or draining one at most twice.
 *
 * <p>Memory per kept message: its frame's bytes plus {@value #ENTRY_OVERHEAD} bytes counted for its slot (start,
 * length, time) and its share of the ring's headroom (measured in {@code docs/benchmarks.md}).
 */
public final class MemoryHistory implements History {
    /** Bytes counted per entry beyond its frame: its slot (start 4, length 4, time 8) and the ring's headroom. */
    public static final int ENTRY_OVERHEAD = 32;

    /** Smallest ring a log allocates. */
    private static final int MIN_RING = 64;
    private static final byte[] NO_BYTES = new byte[0];
    private static final int[] NO_INTS = new int[0];
    private static final long[] NO_LONGS = new long[0];

    private final int roomSize;
    private final int inboxSize;
    private final long roomTtlMillis;
    private final long inboxTtlMillis;
    private final long maxBytes;
    private final long maxPageBytes;
    private final LongSupplier clock;
    private final String epochPrefix;
    private final AtomicLong epochs = new AtomicLong();
    private final ConcurrentHashMap<String, Log> rooms = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Log> inboxes = new ConcurrentHashMap<>();

    private final Object lock = new Object();
    private final Heap roomHeap = new Heap();
    private final Heap inboxHeap = new Heap();
    private long bytes;
    private long entries;
    private long trimmed;
    private long expired;
    private long evicted;

    /**
     * @param roomSize      messages per room; {@code 0} for no room history
     * @param roomTtlMillis age of the oldest room message kept
     * @param inboxSize     messages per inbox; {@code 0} for no inboxes
     * @param inboxTtlMillis age of the oldest direct message kept, and how long an inbox outlives its user's
     *                       last connection
     * @param maxBytes      node-wide budget
     * @param maxPageBytes  most frame bytes in one replay or page (bounded by what one connection may buffer)
     * @param clock         wall clock, epoch milliseconds
     */
    public MemoryHistory(int roomSize, long roomTtlMillis, int inboxSize, long inboxTtlMillis, long maxBytes,
                         long maxPageBytes, LongSupplier clock) {
        if (roomSize < 0 || inboxSize < 0) {
            throw new IllegalArgumentException("sizes: " + roomSize + ", " + inboxSize + " (expected: >= 0)");
        }
        if (roomTtlMillis <= 0 || inboxTtlMillis <= 0 || maxBytes <= 0 || maxPageBytes <= 0) {
            throw new IllegalArgumentException("ttls, maxBytes and maxPageBytes must be > 0");
        }
        this.roomSize = roomSize;
        this.inboxSize = inboxSize;
        this.roomTtlMillis = roomTtlMillis;
        this.inboxTtlMillis = inboxTtlMillis;
        this.maxBytes = maxBytes;
        this.maxPageBytes = maxPageBytes;
        this.clock = clock;
        long r = ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36);
        this.epochPrefix = Long.toString(r, 36) + Long.toString(clock.getAsLong() % (36L * 36 * 36), 36) + "-";
    }

    /** {@code true} when rooms keep history. */
    public boolean roomsEnabled() {
        return roomSize > 0;
    }

    /** {@code true} when users have inboxes. */
    public boolean inboxesEnabled() {
        return inboxSize > 0;
    }

    /**
     * Runs {@code action} holding the monitor of the room's log (created when missing). Everything that must be in
     * the room's one order (a message, an announcement, a join's snapshot) happens inside.
     */
    public <T> T withRoom(String room, Function<Log, T> action) {
        for (;;) {
            Log log = rooms.computeIfAbsent(room, r -> new Log(r, false, newEpoch()));
            synchronized (log) {
                if (!log.dropped) {
                    return action.apply(log);
                }
            }
        }
    }

    /**
     * Runs {@code action} holding the monitor of the user's inbox. With {@code create}, a missing inbox is made;
     * without, a missing inbox gives {@code action} a {@code null} log (without any lock held).
     */
    public <T> T withInbox(String user, boolean create, Function<Log, T> action) {
        for (;;) {
            Log log = create ? inboxes.computeIfAbsent(user, u -> new Log(u, true, newEpoch()))
                    : inboxes.get(user);
            if (log == null) {
                return action.apply(null);
            }
            synchronized (log) {
                if (!log.dropped) {
                    return action.apply(log);
                }
            }
        }
    }

    private String newEpoch() {
        return epochPrefix + Long.toString(epochs.incrementAndGet(), 36);
    }

    /**
     * {@inheritDoc} A room never used here gets its log (and epoch) now, as a join would; an unused empty log is
     * dropped again by the next {@link #expire}.
     */
    @Override
    public CompletionStage<HistoryPage> read(String room, Position since, int limit) {
        return CompletableFuture.completedFuture(withRoom(room, log -> log.page(since, limit)));
    }

    /**
     * Drops entries past their age, and logs that hold nothing and are not in use. Call now and then (the server
     * does, every second); appends and reads also expire what they touch.
     *
     * @param roomInUse  whether a room has members on this node
     * @param userOnline whether a user has a connection on this node
     */
    public void expire(Predicate<String> roomInUse, Predicate<String> userOnline) {
        long now = clock.getAsLong();
        synchronized (lock) {
            expireHeads(roomHeap, now - roomTtlMillis);
            expireHeads(inboxHeap, now - inboxTtlMillis);
        }
        for (Log log : rooms.values()) {
            if (log.size() == 0 && !roomInUse.test(log.key)) {
                synchronized (log) {
                    if (log.size() == 0 && !roomInUse.test(log.key)) {
                        log.dropped = true;
                        rooms.remove(log.key, log);
                    }
                }
            }
        }
        for (Log log : inboxes.values()) {
            if (log.size() == 0 && !log.isLive(userOnline.test(log.key))) {
                synchronized (log) {
                    if (log.size() == 0 && !log.isLive(userOnline.test(log.key))) {
                        log.dropped = true;
                        inboxes.remove(log.key, log);
                    }
                }
            }
        }
    }

    private void expireHeads(Heap heap, long cutoff) {
        Log oldest;
        while ((oldest = heap.peek()) != null && oldest.times[oldest.head] < cutoff) {
            oldest.dropOldest();
            expired++;
        }
    }

    @Override
    public HistoryStats stats() {
        synchronized (lock) {
            return new HistoryStats(bytes, entries, rooms.size() + inboxes.size(), trimmed, expired, evicted);
        }
    }

    /**
     * The history of one room or one inbox. Its monitor orders its messages; only the router takes it, through
     * {@link #withRoom} and {@link #withInbox}, and every method here is called holding it.
     */
    public final class Log {
        private final String key;
        private final boolean inbox;
        private final String epoch;
        private long last;
        /** Entries, oldest at {@code head}: where each frame starts in {@link #ring}, its length, when it came. */
        private int[] starts = NO_INTS;
        private int[] lengths = NO_INTS;
        private long[] times = NO_LONGS;
        private int head;
        private int count;
        /** The frames' bytes, back to back from the oldest entry's start, wrapping at the end. */
        private byte[] ring = NO_BYTES;
        private int ringUsed;
        private int heapIndex = -1;
        private boolean dropped;
        private volatile long lastSeenMillis;

        private Log(String key, boolean inbox, String epoch) {
            this.key = key;
            this.inbox = inbox;
            this.epoch = epoch;
            this.lastSeenMillis = clock.getAsLong();
        }

        /** The epoch and the latest offset assigned. */
        public Position position() {
            return new Position(epoch, last);
        }

        /**
         * Assigns the next offset to a message and keeps its frame. The caller builds the frame with the offset in
         * it; {@code frame} is the exact bytes delivered.
         */
        public long nextOffset() {
            return ++last;
        }

        /**
         * Keeps a copy of the frame of the message that got offset {@link #position()}'s offset, just assigned: its
         * readable bytes, which stay the caller's.
         */
        public void append(ByteBuf frame) {
            long now = clock.getAsLong();
            int size = inbox ? inboxSize : roomSize;
            int length = frame.readableBytes();
            synchronized (lock) {
                expireOwn(now);
                if (count == size) {
                    removeOldest(false);
                    trimmed++;
                }
                if (count == lengths.length) {
                    growSlots(size);
                }
                if (ring.length - ringUsed < length) {
                    // Filling, the ring doubles (a few copies of a young array while the log fills); a full log
                    // takes only what it needs and the headroom, as it will keep about that much from now on.
                    long needed = (long) ringUsed + length;
                    resize(count + 1 < size ? Math.max(needed, 2L * ring.length) : needed + headroom(needed, length));
                }
                // After the frames held (a log holding only empty frames may have no ring yet).
                int start = count == 0 || ring.length == 0 ? 0
                        : (int) (((long) starts[head] + ringUsed) % ring.length);
                int first = Math.min(length, ring.length - start);
                frame.getBytes(frame.readerIndex(), ring, start, first);
                if (first < length) {
                    frame.getBytes(frame.readerIndex() + first, ring, 0, length - first);
                }
                ringUsed += length;
                int tail = (head + count) % lengths.length;
                starts[tail] = start;
                lengths[tail] = length;
                times[tail] = now;
                count++;
                if (count == size && ring.length - ringUsed > 2 * headroom(ringUsed, length) + MIN_RING) {
                    // Just filled: give back what the doubling left beyond the headroom.
                    resize(ringUsed + headroom(ringUsed, length));
                }
                bytes += length + ENTRY_OVERHEAD;
                entries++;
                if (count == 1) {
                    heap().add(this);
                }
                while (bytes > maxBytes) {
                    Log oldest = oldestOfAll();
                    if (oldest == null) {
                        break;
                    }
                    oldest.dropOldest();
                    evicted++;
                }
            }
        }

        /** {@code true} for an inbox that may take a message although its user has no connection. */
        public boolean isLive(boolean userOnline) {
            return userOnline || clock.getAsLong() - lastSeenMillis < inboxTtlMillis;
        }

        /** Records that the user was connected until now (an inbox outlives the last connection by its TTL). */
        public void touch() {
            lastSeenMillis = clock.getAsLong();
        }

        /**
         * The messages after {@code since}, for a join or login that resumes: when {@code since} is in this epoch
         * and every message after it is still held (and they fit in one replay), those, and {@code recovered};
         * else none and not recovered.
         */
        public HistoryPage replay(Position since) {
            return after(since, Integer.MAX_VALUE, true);
        }

        /** See {@link History#read}. */
        public HistoryPage page(Position since, int limit) {
            if (since != null) {
                return after(since, limit, false);
            }
            synchronized (lock) {
                expireOwn(clock.getAsLong());
                // The latest `limit` messages, fewer when they would not fit in one page; oldest first.
                int from = count - Math.min(limit, count);
                long total = 0;
                for (int i = from; i < count; i++) {
                    total += lengths[index(i)];
                }
                while (total > maxPageBytes) {
                    total -= lengths[index(from++)];
                }
                List<byte[]> out = new ArrayList<>(count - from);
                for (int i = from; i < count; i++) {
                    out.add(frame(i));
                }
                return new HistoryPage(position(), out, null);
            }
        }

        private HistoryPage after(Position since, int limit, boolean whole) {
            if (!since.epoch().equals(epoch) || since.offset() > last) {
                return new HistoryPage(position(), List.of(), Boolean.FALSE);
            }
            if (since.offset() == last) {
                return new HistoryPage(position(), List.of(), Boolean.TRUE);
            }
            synchronized (lock) {
                expireOwn(clock.getAsLong());
                long first = last - count + 1;
                if (since.offset() + 1 < first) {
                    return new HistoryPage(position(), List.of(), Boolean.FALSE);
                }
                int from = (int) (since.offset() + 1 - first);
                int to = (int) Math.min(count, (long) from + limit);
                List<byte[]> out = new ArrayList<>(to - from);
                long budget = maxPageBytes;
                for (int i = from; i < to; i++) {
                    budget -= lengths[index(i)];
                    if (budget < 0) {
                        if (whole) {
                            // A replay larger than a connection may buffer would get it kicked as a slow consumer.
                            return new HistoryPage(position(), List.of(), Boolean.FALSE);
                        }
                        break;
                    }
                    out.add(frame(i));
                }
                return new HistoryPage(position(), out, Boolean.TRUE);
            }
        }

        /** Messages held. */
        public int size() {
            synchronized (lock) {
                return count;
            }
        }

        // ---- under the node-wide lock

        /** The slot of the {@code i}-th oldest entry. */
        private int index(int i) {
            return (head + i) % lengths.length;
        }

        /**
         * Room a full log keeps free beyond {@code used} bytes: an eighth, at most four frames of the latest's size,
         * enough for the sizes of its frames to vary without a copy per message, and little per kept message.
         */
        private long headroom(long used, int latest) {
            return Math.min(used / 8, 4L * Math.max(latest, MIN_RING));
        }

        /** A copy of the {@code i}-th oldest frame. */
        private byte[] frame(int i) {
            int slot = index(i);
            byte[] out = new byte[lengths[slot]];
            copyOut(slot, out, 0);
            return out;
        }

        /** Copies the frame in {@code slot} out of the ring, unwrapped, to {@code dst} at {@code at}. */
        private void copyOut(int slot, byte[] dst, int at) {
            int start = starts[slot];
            int length = lengths[slot];
            int first = Math.min(length, ring.length - start);
            System.arraycopy(ring, start, dst, at, first);
            System.arraycopy(ring, 0, dst, at + first, length - first);
        }

        private void growSlots(int size) {
            int capacity = Math.min(size, Math.max(4, lengths.length * 2));
            int[] s = new int[capacity];
            int[] l = new int[capacity];
            long[] t = new long[capacity];
            for (int i = 0; i < count; i++) {
                int slot = index(i);
                s[i] = starts[slot];
                l[i] = lengths[slot];
                t[i] = times[slot];
            }
            starts = s;
            lengths = l;
            times = t;
            head = 0;
        }

        /**
         * Moves the frames to a new ring of {@code capacity} bytes (at least {@link #MIN_RING}), the oldest at 0. (A
         * frame is at most what a connection may send, so a log that outgrew an int would have outgrown the budget
         * long before.)
         */
        private void resize(long capacity) {
            byte[] r = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(MIN_RING, capacity))];
            int at = 0;
            for (int i = 0; i < count; i++) {
                int slot = index(i);
                copyOut(slot, r, at);
                starts[slot] = at;
                at += lengths[slot];
            }
            ring = r;
        }

        private void expireOwn(long now) {
            long cutoff = now - (inbox ? inboxTtlMillis : roomTtlMillis);
            while (count > 0 && times[head] < cutoff) {
                dropOldest();
                expired++;
            }
        }

        private void dropOldest() {
            removeOldest(true);
        }

        /**
         * Drops the oldest entry; with {@code shrink}, gives back a ring that is more than half free, keeping an
         * eighth of headroom (an append that trims to make room for its own message does not, as the ring is about
         * to fill again).
         */
        private void removeOldest(boolean shrink) {
            int length = lengths[head];
            head = (head + 1) % lengths.length;
            count--;
            ringUsed -= length;
            bytes -= length + ENTRY_OVERHEAD;
            entries--;
            Heap h = heap();
            if (count == 0) {
                h.remove(this);
                head = 0;
                ring = NO_BYTES;
                ringUsed = 0;
            } else {
                h.changed(this);
                if (shrink && ring.length > MIN_RING && ringUsed < ring.length / 2) {
                    resize(ringUsed + ringUsed / 8);
                }
            }
        }

        private Heap heap() {
            return inbox ? inboxHeap : roomHeap;
        }

        private long oldestTime() {
            return times[head];
        }

        @Override
        public String toString() {
            return (inbox ? "Inbox(" : "RoomLog(") + key + ", " + epoch + ", last " + last + ", " + count + " held)";
        }
    }

    private Log oldestOfAll() {
        Log r = roomHeap.peek();
        Log i = inboxHeap.peek();
        if (r == null) {
            return i;
        }
        if (i == null) {
            return r;
        }
        return r.oldestTime() <= i.oldestTime() ? r : i;
    }

    /** The non-empty logs of one kind by the age of their oldest entry, oldest on top. Under the node-wide lock. */
    private static final class Heap {
        private Log[] logs = new Log[16];
        private int size;

        Log peek() {
            return size == 0 ? null : logs[0];
        }

        void add(Log log) {
            if (size == logs.length) {
                logs = java.util.Arrays.copyOf(logs, size * 2);
            }
            logs[size] = log;
            log.heapIndex = size;
            size++;
            up(log.heapIndex);
        }

        void remove(Log log) {
            int i = log.heapIndex;
            if (i < 0) {
                return;
            }
            size--;
            Log last = logs[size];
            logs[size] = null;
            log.heapIndex = -1;
            if (i < size) {
                logs[i] = last;
                last.heapIndex = i;
                down(i);
                up(last.heapIndex);
            }
        }

        /** The log's oldest entry went: it can only have become younger. */
        void changed(Log log) {
            if (log.heapIndex >= 0) {
                down(log.heapIndex);
            }
        }

        private void up(int i) {
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (logs[parent].oldestTime() <= logs[i].oldestTime()) {
                    break;
                }
                swap(i, parent);
                i = parent;
            }
        }

        private void down(int i) {
            for (;;) {
                int l = 2 * i + 1;
                if (l >= size) {
                    return;
                }
                int smallest = l + 1 < size && logs[l + 1].oldestTime() < logs[l].oldestTime() ? l + 1 : l;
                if (logs[i].oldestTime() <= logs[smallest].oldestTime()) {
                    return;
                }
                swap(i, smallest);
                i = smallest;
            }
        }

        private void swap(int a, int b) {
            Log t = logs[a];
            logs[a] = logs[b];
            logs[b] = t;
            logs[a].heapIndex = a;
            logs[b].heapIndex = b;
        }
    }
}
