package io.chatgateway.server.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Function;

/**
 * One page of a listing ordered by a string key, after a cursor (the last key of the previous page). Keyset paging
 * stays correct while users come and go, which offsets would not. Selecting a page keeps only {@code limit + 1}
 * items in a heap: O(n log limit) over the listing, never a sort or copy of all of it.
 *
 * @param items   the page, in key order
 * @param hasMore {@code true} when more items follow
 */
record Page<T>(List<T> items, boolean hasMore) {

    static <T> Page<T> select(Iterable<T> all, Function<T, String> key, String after, int limit) {
        Comparator<T> order = Comparator.comparing(key);
        // A max-heap of the smallest limit + 1 keys after the cursor; the extra one only says "there is more".
        PriorityQueue<T> heap = new PriorityQueue<>(limit + 2, order.reversed());
        for (T item : all) {
            if (after != null && key.apply(item).compareTo(after) <= 0) {
                continue;
            }
            heap.add(item);
            if (heap.size() > limit + 1) {
                heap.poll();
            }
        }
        List<T> items = new ArrayList<>(heap);
        items.sort(order);
        boolean more = items.size() > limit;
        if (more) {
            items = items.subList(0, limit);
        }
        return new Page<>(Collections.unmodifiableList(new ArrayList<>(items)), more);
    }

    /** The {@code limit} items that are largest by {@code order}, largest first. */
    static <T> List<T> top(Iterable<T> all, Comparator<T> order, int limit) {
        PriorityQueue<T> heap = new PriorityQueue<>(limit + 1, order);
        for (T item : all) {
            heap.add(item);
            if (heap.size() > limit) {
                heap.poll();
            }
        }
        List<T> items = new ArrayList<>(heap);
        items.sort(order.reversed());
        return items;
    }
}
