package io.chatgateway.bench.memory;

import io.chatgateway.history.MemoryHistory;
import io.netty.buffer.Unpooled;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Heap per message kept by {@link MemoryHistory} (gateway-core), measured: fills a history with N messages of a
 * given frame size, spread over rooms of {@code --per-room} messages each (the room's {@code history-size}, so each
 * log is full and nothing is trimmed), and reads the heap used after full collections before and after
 * ({@link MemoryMXBean}). What it reports per kept message beyond the frame's own bytes is everything the history
 * adds: the byte array's header and padding, the log's slot and timestamp, and the log itself and its map entry,
 * shared by the room's messages. Inboxes are the same logs, so the same figures hold for direct messages.
 *
 * <p>Run in a JVM of its own, with a collector whose full collection compacts: the {@code history-memory} profile
 * does ({@code mvn -B -Phistory-memory -pl gateway-bench -am -DskipTests verify}, options in
 * {@code -Dhistory.memory.args="--sizes 100,200,1000 --messages 200000 --per-room 100"}). Heap only: it does not
 * depend on the machine's load, so one run is the figure.
 */
public final class HistoryMemory {
    /** What the protocol's memory goal allows beyond the frame, per kept message. */
    static final int GOAL_OVERHEAD = 64;

    private HistoryMemory() {
    }

    /** One measurement. */
    record Measurement(int frameBytes, int messages, int perRoom, double heapPerMessage, double countedPerMessage) {
        double overhead() {
            return heapPerMessage - frameBytes;
        }
    }

    public static void main(String[] args) throws InterruptedException {
        List<Integer> sizes = List.of(100, 200, 1000);
        int messages = 200_000;
        int perRoom = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes":
                    List<Integer> s = new ArrayList<>();
                    for (String v : args[++i].split(",")) {
                        s.add(Integer.parseInt(v.trim()));
                    }
                    sizes = s;
                    break;
                case "--messages":
                    messages = Integer.parseInt(args[++i]);
                    break;
                case "--per-room":
                    perRoom = Integer.parseInt(args[++i]);
                    break;
                default:
                    System.err.println("usage: HistoryMemory [--sizes 100,200,1000] [--messages N] [--per-room M]");
                    System.exit(2);
            }
        }
        System.out.printf(Locale.ROOT, "MemoryHistory heap per kept message: %,d messages per size, %d per room"
                        + " (%,d rooms), %s, %s%n", messages, perRoom, messages / perRoom,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        // Warm-up: classes, the collector's own structures and the JIT settle before anything is counted.
        System.out.print("  warm-up, not counted:");
        measure(200, Math.min(messages, 20_000), perRoom);
        List<Measurement> results = new ArrayList<>();
        for (int size : sizes) {
            results.add(measure(size, messages, perRoom));
        }
        System.out.println();
        System.out.println("| frame bytes | messages | heap per kept message | beyond the frame | counted toward"
                + " history-max-bytes, beyond the frame | goal: at most frame + " + GOAL_OVERHEAD + " |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        boolean met = true;
        for (Measurement m : results) {
            boolean ok = m.overhead() <= GOAL_OVERHEAD;
            met &= ok;
            System.out.printf(Locale.ROOT, "| %,d | %,d | %.1f B | %.1f B | %.1f B | %s |%n", m.frameBytes(),
                    m.messages(), m.heapPerMessage(), m.overhead(), m.countedPerMessage() - m.frameBytes(),
                    ok ? "met" : "MISSED");
        }
        System.out.println();
        System.out.println(met ? "goal met for every frame size" : "goal MISSED for some frame size");
    }

    static Measurement measure(int frameBytes, int messages, int perRoom) throws InterruptedException {
        int rooms = Math.max(1, messages / perRoom);
        int kept = rooms * perRoom;
        String[] names = new String[rooms];
        for (int i = 0; i < rooms; i++) {
            names[i] = "room-" + i;
        }
        long day = 86_400_000L;
        long before = usedAfterGc();
        MemoryHistory history = new MemoryHistory(perRoom, day, 0, day, Long.MAX_VALUE / 4, 1 << 20,
                System::currentTimeMillis);
        for (int k = 0; k < kept; k++) {
            history.withRoom(names[k % rooms], log -> {
                log.nextOffset();
                // The log copies the frame's bytes into its ring, as it does with each delivered frame.
                log.append(Unpooled.wrappedBuffer(new byte[frameBytes]));
                return null;
            });
        }
        long after = usedAfterGc();
        if (history.stats().entries() != kept) {
            throw new IllegalStateException("kept " + history.stats().entries() + " of " + kept);
        }
        double counted = (double) history.stats().bytes() / kept;
        Reference.reachabilityFence(history);
        Reference.reachabilityFence(names);
        double perMessage = (double) (after - before) / kept;
        System.out.printf(Locale.ROOT, "  %,d-byte frames: heap %,d -> %,d bytes: %.1f B per kept message%n",
                frameBytes, before, after, perMessage);
        return new Measurement(frameBytes, kept, perRoom, perMessage, counted);
    }

    private static long usedAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
