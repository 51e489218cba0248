package io.chatgateway.session;

import io.chatgateway.metrics.GatewayMetrics;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectionRegistryTest {
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private long now = 1_000_000;

    private ConnectionRegistry registry(int max, SessionMode mode, int perUser) {
        return new ConnectionRegistry(max, mode, perUser, "n1.", metrics, () -> now);
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance());
        channels.add(ch);
        return ch;
    }

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void registersAndLooksUpByChannelIdConnectionIdAndUser() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 1);
        EmbeddedChannel ch = channel();
        Connection c = r.register(ch, Transport.TCP);
        assertTrue(c.id().startsWith("n1."));
        assertSame(c, r.get(ch.id()));
        assertSame(c, r.get(ch));
        assertSame(c, r.byId(c.id()));
        assertEquals(ConnectionState.CONNECTED, c.state());
        assertTrue(r.connectionsOf("u").isEmpty());
        r.authenticate(c, "u");
        assertEquals(List.of(c), r.connectionsOf("u"));
        assertTrue(r.isOnline("u"));
        assertEquals(1, r.authenticatedCount());
        assertEquals(1, r.userCount());
    }

    @Test
    void givesEveryConnectionADistinctId() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 1);
        assertNotEquals(r.register(channel(), Transport.TCP).id(), r.register(channel(), Transport.TCP).id());
    }

    @Test
    void refusesBeyondTheLimitAndAcceptsAgainAfterARemoval() {
        ConnectionRegistry r = registry(2, SessionMode.SINGLE, 1);
        Connection a = r.register(channel(), Transport.TCP);
        r.register(channel(), Transport.WEBSOCKET);
        assertNull(r.register(channel(), Transport.TCP));
        assertEquals(1, metrics.rejectedConnections());
        a.channel().close();
        assertEquals(1, r.size());
        assertTrue(r.register(channel(), Transport.TCP) != null);
    }

    @Test
    void removesExactlyOnceWhateverClosesTheChannel() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 1);
        AtomicInteger removed = new AtomicInteger();
        r.addListener(new ConnectionListener() {
            @Override
            public void connectionRemoved(Connection connection) {
                removed.incrementAndGet();
            }
        });
        EmbeddedChannel ch = channel();
        Connection c = r.register(ch, Transport.TCP);
        r.authenticate(c, "u");
        assertTrue(r.remove(c));
        assertFalse(r.remove(c));
        ch.close();
        assertEquals(1, removed.get());
        assertEquals(0, r.size());
        assertEquals(0, r.authenticatedCount());
        assertNull(r.get(ch.id()));
        assertNull(r.byId(c.id()));
        assertFalse(r.isOnline("u"));
        assertEquals(ConnectionState.DISCONNECTED, c.state());
        assertEquals(1, metrics.closed(Transport.TCP));
    }

    @Test
    void removesAChannelThatWasAlreadyClosedWhenRegistered() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 1);
        EmbeddedChannel ch = channel();
        ch.close();
        Connection c = r.register(ch, Transport.TCP);
        assertEquals(0, r.size());
        assertEquals(ConnectionState.DISCONNECTED, c.state());
    }

    @Test
    void singleModeDisplacesThePreviousConnection() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 5);
        Connection a = r.register(channel(), Transport.TCP);
        Connection b = r.register(channel(), Transport.TCP);
        assertTrue(r.authenticate(a, "u").isEmpty());
        assertEquals(List.of(a), r.authenticate(b, "u"));
        assertEquals(List.of(b), r.connectionsOf("u"));
        assertEquals(1, r.authenticatedCount());
        a.channel().close(); // the displaced one closing must not unbind the new one
        assertEquals(List.of(b), r.connectionsOf("u"));
        assertEquals(1, r.authenticatedCount());
    }

    @Test
    void multiModeDisplacesTheOldestBeyondTheLimit() {
        ConnectionRegistry r = registry(10, SessionMode.MULTI, 2);
        Connection a = r.register(channel(), Transport.TCP);
        Connection b = r.register(channel(), Transport.TCP);
        Connection c = r.register(channel(), Transport.WEBSOCKET);
        r.authenticate(a, "u");
        assertTrue(r.authenticate(b, "u").isEmpty());
        assertEquals(List.of(a), r.authenticate(c, "u"));
        assertEquals(List.of(b, c), r.connectionsOf("u"));
        assertEquals(2, r.authenticatedCount());
    }

    @Test
    void aThrowingListenerBreaksNeitherTheRegistryNorOtherListeners() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 1);
        AtomicInteger events = new AtomicInteger();
        r.addListener(new ConnectionListener() {
            @Override
            public void connectionAdded(Connection connection) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void connectionAuthenticated(Connection connection) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void connectionRemoved(Connection connection) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void connectionError(Connection connection, Throwable cause) {
                throw new IllegalStateException("boom");
            }
        });
        r.addListener(new ConnectionListener() {
            @Override
            public void connectionAdded(Connection connection) {
                events.incrementAndGet();
            }

            @Override
            public void connectionAuthenticated(Connection connection) {
                events.incrementAndGet();
            }

            @Override
            public void connectionRemoved(Connection connection) {
                events.incrementAndGet();
            }

            @Override
            public void connectionError(Connection connection, Throwable cause) {
                events.incrementAndGet();
            }
        });
        Connection c = r.register(channel(), Transport.TCP);
        r.authenticate(c, "u");
        r.fireError(c, new RuntimeException("x"));
        c.channel().close();
        assertEquals(4, events.get());
        assertEquals(0, r.size());
    }

    @Test
    void averagesConnectionAge() {
        ConnectionRegistry r = registry(10, SessionMode.SINGLE, 1);
        r.register(channel(), Transport.TCP);
        now += 1000;
        r.register(channel(), Transport.TCP);
        now += 1000;
        assertEquals(1500, r.averageAgeMillis(now));
    }

    @Test
    void bindsManyUsersConcurrentlyWithoutLosingAny() throws Exception {
        ConnectionRegistry r = registry(100_000, SessionMode.MULTI, 1000);
        int threads = 4;
        int perThread = 500;
        List<Connection> all = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            all.add(r.register(channel(), Transport.TCP));
        }
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = t * perThread;
            Thread w = new Thread(() -> {
                for (int i = from; i < from + perThread; i++) {
                    r.authenticate(all.get(i), "user" + (i % 50));
                }
            });
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(threads * perThread, r.authenticatedCount());
        assertEquals(50, r.userCount());
        int sum = 0;
        for (int u = 0; u < 50; u++) {
            sum += r.connectionsOf("user" + u).size();
        }
        assertEquals(threads * perThread, sum);
    }
}
