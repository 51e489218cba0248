package io.chatgateway.server.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The room channels this node subscribes to: one per room with at least one member connection here (or a join on
 * its way), so a node only ever receives the rooms it serves.
 *
 * <p>Counts change under the room's map bin, and the subscribe / unsubscribe commands are issued there too, so
 * they reach Redis in the order of the transitions: a room emptied and joined again at once ends subscribed.
 */
final class RoomSubscriptions {
    private final ConcurrentHashMap<String, Entry> rooms = new ConcurrentHashMap<>();
    private final Function<String, CompletableFuture<Void>> subscribe;
    private final Consumer<String> unsubscribe;

    private static final class Entry {
        int connections;
        CompletableFuture<Void> subscribed;
    }

    RoomSubscriptions(Function<String, CompletableFuture<Void>> subscribe, Consumer<String> unsubscribe) {
        this.subscribe = subscribe;
        this.unsubscribe = unsubscribe;
    }

    /**
     * Counts a member connection; the first one subscribes.
     *
     * @return completes once the node is subscribed to the room's channel
     */
    CompletableFuture<Void> acquire(String room) {
        Entry e = rooms.compute(room, (r, cur) -> {
            Entry entry = cur;
            if (entry == null) {
                entry = new Entry();
                entry.subscribed = subscribe.apply(r);
            }
            entry.connections++;
            return entry;
        });
        return e.subscribed;
    }

    /** Uncounts a member connection; the last one unsubscribes. */
    void release(String room) {
        rooms.computeIfPresent(room, (r, entry) -> {
            if (--entry.connections > 0) {
                return entry;
            }
            unsubscribe.accept(r);
            return null;
        });
    }

    /**
     * Subscribes every counted room again (after a reconnection).
     *
     * @return completes once all are subscribed
     */
    CompletableFuture<Void> resubscribeAll() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (String room : rooms.keySet()) {
            rooms.computeIfPresent(room, (r, entry) -> {
                entry.subscribed = subscribe.apply(r);
                all.add(entry.subscribed);
                return entry;
            });
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    /** Whether the room has a member connection here (or a join on its way). */
    boolean contains(String room) {
        return rooms.containsKey(room);
    }

    /** Rooms subscribed. */
    int size() {
        return rooms.size();
    }
}
