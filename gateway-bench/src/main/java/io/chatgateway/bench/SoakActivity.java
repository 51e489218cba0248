package io.chatgateway.bench;

import io.chatgateway.bench.Stats.Counter;
import io.netty.channel.Channel;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * What a soak worker does beside sending and dropping connections: {@code presence} requests from its clients at a
 * rate, and churn: short-lived connections of users of their own that connect, join a room, stay a while and leave
 * with a close, as people opening and closing the app do. Churn users are new each time, so a gateway that keeps
 * something per user it has seen, or per connection it has closed, grows over a soak.
 *
 * <p>Churn connections are no part of the delivery checks (nobody owes them anything: they join without
 * {@code since}); they are counted on their own: opened, failed, closed by the bench, lost (closed by the gateway).
 */
final class SoakActivity implements AutoCloseable, ClientListener {
    private final Worker w;
    private final IntFunction<String> roomOf;
    private final IntFunction<String> churnRoom;
    private final long holdNanos;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-soak-activity");
        t.setDaemon(true);
        return t;
    });
    private final Set<BenchClient> churning = ConcurrentHashMap.newKeySet();
    private volatile boolean stopped;
    private int nextPresence;
    private int nextChurn;

    private SoakActivity(Worker w, IntFunction<String> roomOf, IntFunction<String> churnRoom, long holdNanos) {
        this.w = w;
        this.roomOf = roomOf;
        this.churnRoom = churnRoom;
        this.holdNanos = holdNanos;
    }

    /**
     * Starts at {@code t0}, stops at {@code end} or at {@link #close}.
     *
     * @param roomOf       the room of a main connection (by index), which its presence asks about
     * @param churnRoom    the room a churn connection joins (by its index)
     * @param presenceRate presence requests per second from this worker's {@code clients}
     * @param churnRate    churn connections per second this worker opens
     */
    static SoakActivity start(Worker w, List<BenchClient> clients, IntFunction<String> roomOf,
                              IntFunction<String> churnRoom, double presenceRate, double churnRate, long holdNanos,
                              long t0, long end) {
        SoakActivity a = new SoakActivity(w, roomOf, churnRoom, holdNanos);
        long delay = Math.max(0, t0 - System.nanoTime());
        if (presenceRate > 0 && !clients.isEmpty()) {
            BenchClient[] all = clients.toArray(new BenchClient[0]);
            a.timer.scheduleAtFixedRate(() -> a.presence(all, end), delay, Math.round(1e9 / presenceRate),
                    TimeUnit.NANOSECONDS);
        }
        if (churnRate > 0) {
            a.timer.scheduleAtFixedRate(() -> a.churn(end), delay, Math.round(1e9 / churnRate), TimeUnit.NANOSECONDS);
        }
        return a;
    }

    private void presence(BenchClient[] all, long end) {
        if (stopped || System.nanoTime() >= end) {
            return;
        }
        BenchClient c = all[nextPresence++ % all.length];
        Channel ch = c.channel;
        if (ch == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            // Only a client that is there and settled: its answer must not be taken for a message's.
            Resume r = c.resume;
            if (c.channel != ch || !c.isReady() || c.awaitingJoin != null || (r != null && r.reconnecting)) {
                return;
            }
            if (c.write(Frames.presence(ch.alloc(), roomOf.apply(c.index)))) {
                w.stats.increment(Counter.PRESENCE_ASKED);
            }
        });
    }

    private void churn(long end) {
        if (stopped || System.nanoTime() >= end) {
            return;
        }
        int k = nextChurn++;
        String user = w.settings.userPrefix() + "-churn-" + w.index + "-" + k;
        String token = w.settings.jwtSecret() == null ? user
                : Jwt.token(w.settings.jwtSecret(), user, 86_400, List.of(w.settings.userPrefix() + "-*"));
        // The index spreads churn over the targets like the main connections; it sends nothing, so it names nobody.
        BenchClient c = new BenchClient(k * w.count + w.index, user, token, w.settings.authByFrame(), this);
        c.connectFromNanos = System.nanoTime();
        churning.add(c);
        w.stats.increment(Counter.CHURN_STARTED);
        w.factory().connect(c);
    }

    // ---- what churn connections hear

    @Override
    public void onWelcome(BenchClient c, FrameScanner welcome, long nowNanos) {
        w.stats.increment(Counter.CHURN_OPENED);
        Channel ch = c.channel;
        c.write(Frames.join(ch.alloc(), churnRoom.apply(c.index)));
        ch.eventLoop().schedule(() -> leave(c), holdNanos, TimeUnit.NANOSECONDS);
    }

    /** On the client's loop: closes it, unless the gateway did first. */
    private void leave(BenchClient c) {
        if (c.isReady()) {
            c.state = BenchClient.State.CLOSED; // its close is ours, not the gateway's
            w.stats.increment(Counter.CHURN_CLOSED);
            c.close();
        }
        churning.remove(c);
    }

    @Override
    public void onConnectFailed(BenchClient c, String reason) {
        w.stats.increment(Counter.CHURN_FAILED);
        Stats.count(w.stats.failures, "churn: " + reason);
        churning.remove(c);
    }

    @Override
    public void onMessage(BenchClient c, FrameScanner frame, long nowNanos) {
        w.stats.increment(Counter.CHURN_RECEIVED);
    }

    @Override
    public void onError(BenchClient c, String code) {
        w.stats.increment(Counter.CHURN_ERRORS);
        Stats.count(w.stats.errorCodes, "churn: " + code);
    }

    @Override
    public void onKicked(BenchClient c, String reason) {
        Stats.count(w.stats.kicks, "churn: " + reason);
    }

    @Override
    public void onUnexpected(BenchClient c, String what) {
        w.onUnexpected(c, "churn: " + what);
    }

    @Override
    public void onClosed(BenchClient c) {
        w.stats.increment(Counter.CHURN_LOST);
        churning.remove(c);
    }

    /** Stops starting anything and closes the churn connections still open. */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        timer.shutdown();
        timer.awaitTermination(10, TimeUnit.SECONDS);
        for (BenchClient c : churning) {
            Channel ch = c.channel;
            if (ch != null) {
                ch.eventLoop().execute(() -> leave(c));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!churning.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
