package io.chatgateway.server.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageTest {

    @Test
    void walksEveryItemOnceInOrderAcrossPages() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            all.add(String.format("user-%04d", i));
        }
        Collections.shuffle(all, new Random(42));
        List<String> seen = new ArrayList<>();
        String after = null;
        for (int pages = 0; pages < 100; pages++) {
            Page<String> page = Page.select(all, Function.identity(), after, 37);
            seen.addAll(page.items());
            if (!page.hasMore()) {
                break;
            }
            after = page.items().get(page.items().size() - 1);
        }
        List<String> sorted = new ArrayList<>(all);
        sorted.sort(null);
        assertEquals(sorted, seen);
    }

    @Test
    void saysThereIsNoMoreOnlyWhenNothingFollows() {
        List<String> items = List.of("c", "a", "b");
        Page<String> exact = Page.select(items, Function.identity(), null, 3);
        assertEquals(List.of("a", "b", "c"), exact.items());
        assertFalse(exact.hasMore());
        Page<String> cut = Page.select(items, Function.identity(), null, 2);
        assertEquals(List.of("a", "b"), cut.items());
        assertTrue(cut.hasMore());
        assertEquals(List.of(), Page.select(items, Function.identity(), "c", 2).items());
    }

    @Test
    void topKeepsTheLargestFirst() {
        List<Integer> top = Page.top(List.of(5, 1, 9, 3, 7), Comparator.naturalOrder(), 3);
        assertEquals(List.of(9, 7, 5), top);
        assertEquals(List.of(9, 7, 5, 3, 1), Page.top(List.of(5, 1, 9, 3, 7), Comparator.naturalOrder(), 10));
    }
}
