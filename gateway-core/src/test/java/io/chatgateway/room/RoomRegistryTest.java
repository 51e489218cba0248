package io.chatgateway.room;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.policy.Grant;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.chatgateway.session.SessionMode;
import io.chatgateway.session.Transport;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoomRegistryTest {
    private final ConnectionRegistry connections = new ConnectionRegistry(100_000, SessionMode.MULTI, 1000, "n.",
            new GatewayMetrics(), System::currentTimeMillis);
    private final RoomRegistry rooms = new RoomRegistry(GlobalEventExecutor.INSTANCE);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private Connection user(String name) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance());
        channels.add(ch);
        Connection c = connections.register(ch, Transport.TCP);
        connections.authenticate(c, name);
        return c;
    }

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void firstConnectionOfAUserJoinsAndLastOneLeaves() {
        Connection a1 = user("a");
        Connection a2 = user("a");
        Connection b = user("b");
        assertEquals(RoomRegistry.JoinResult.FIRST_OF_USER, rooms.join(a1, "r", Grant.OPEN));
        assertEquals(RoomRegistry.JoinResult.JOINED, rooms.join(a2, "r", Grant.OPEN));
        assertEquals(RoomRegistry.JoinResult.ALREADY_MEMBER, rooms.join(a2, "r", Grant.OPEN));
        assertEquals(RoomRegistry.JoinResult.FIRST_OF_USER, rooms.join(b, "r", Grant.OPEN));
        Room r = rooms.get("r");
        assertEquals(Set.of("a", "b"), Set.copyOf(r.users()));
        assertEquals(3, r.connectionCount());
        assertEquals(2, r.connectionsOf("a"));

        assertEquals(RoomRegistry.LeaveResult.LEFT, rooms.leave(a1, "r"));
        assertEquals(RoomRegistry.LeaveResult.NOT_MEMBER, rooms.leave(a1, "r"));
        assertEquals(RoomRegistry.LeaveResult.LAST_OF_USER, rooms.leave(a2, "r"));
        assertEquals(Set.of("b"), Set.copyOf(r.users()));
        assertEquals(RoomRegistry.LeaveResult.LAST_OF_USER, rooms.leave(b, "r"));
        assertNull(rooms.get("r"), "an empty room is dropped");
        assertEquals(0, rooms.size());
    }

    @Test
    void leaveAllReportsTheRoomsWhereTheUserWasLast() {
        Connection a1 = user("a");
        Connection a2 = user("a");
        rooms.join(a1, "x", Grant.OPEN);
        rooms.join(a1, "y", Grant.OPEN);
        rooms.join(a2, "y", Grant.OPEN);
        assertEquals(List.of("x", "y"), a1.rooms());
        assertEquals(List.of("x"), List.copyOf(rooms.leaveAll(a1)));
        assertTrue(a1.rooms().isEmpty());
        assertNull(rooms.get("x"));
        assertEquals(Set.of("a"), Set.copyOf(rooms.get("y").users()));
    }

    @Test
    void refusesJoinOfAClosingConnection() {
        Connection a = user("a");
        a.beginClose(io.chatgateway.session.CloseReason.NORMAL);
        assertEquals(RoomRegistry.JoinResult.CLOSED, rooms.join(a, "r", Grant.OPEN));
        assertNull(rooms.get("r"));
    }

    @Test
    void concurrentJoinsAndLeavesOfOneUserAnnounceExactlyOnceEach() throws Exception {
        int rounds = 200;
        for (int round = 0; round < rounds; round++) {
            List<Connection> devices = List.of(user("u" + round), user("u" + round), user("u" + round), user("u" + round));
            ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
            runTogether(devices, c -> results.add(rooms.join(c, "hot", Grant.OPEN)));
            assertEquals(1, results.stream().filter(r -> r == RoomRegistry.JoinResult.FIRST_OF_USER).count());
            results.clear();
            runTogether(devices, c -> results.add(rooms.leave(c, "hot")));
            assertEquals(1, results.stream().filter(r -> r == RoomRegistry.LeaveResult.LAST_OF_USER).count());
        }
        assertNull(rooms.get("hot"));
    }

    private static void runTogether(List<Connection> connections, java.util.function.Consumer<Connection> action)
            throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (Connection c : connections) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                action.accept(c);
            });
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
    }
}
