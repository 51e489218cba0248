package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatgateway.bench.Stats.Counter;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * One worker of a run: a share of the connections (global indices {@code i} with {@code i % count == index}), the
 * event loops they live on, and the counting of everything they hear. The scenario drives it through phases; between
 * phases it meets the other workers at the coordinator's barriers.
 */
final class Worker implements ClientListener, AutoCloseable {
    final Settings settings;
    final int index;
    final int count;
    final Stats stats = new Stats();
    private final WorkerLink link;
    private final ClientFactory factory;
    private final ScheduledExecutorService timer;
    private final List<BenchClient> clients = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger limitWarnings = new AtomicInteger();
    private final byte[] padding;

    /**
     * Messages intended in [measureFrom, measureUntil) are measured: counted, and their latencies in the totals. The
     * others' latencies show only in the progress lines.
     */
    volatile long measureFrom = Long.MAX_VALUE;
    volatile long measureUntil = Long.MAX_VALUE;
    /** Room each new connection joins once authenticated; {@code null}: none. */
    volatile IntFunction<String> roomOf;
    /** Reconnect runs: the drops and the judging; {@code null} otherwise. */
    volatile Reconnects reconnects;
    /** Reconnect runs: whether client {@code i} publishes in its room (its room stream then has holes). */
    volatile IntPredicate publisherOf = i -> false;
    /** Capacity: per message (sender << 32 | seq) the latest arrival and the number of arrivals. */
    volatile Map<Long, Arrival> arrivals;
    /** Capacity: what this worker's publishers published and how many recipients the gateway acknowledged. */
    final ConcurrentLinkedQueue<long[]> published = new ConcurrentLinkedQueue<>();
    /** When the last {@link #open} began, and when its last connection became ready. */
    volatile long openStartNanos;
    final AtomicLong lastReadyNanos = new AtomicLong();

    static final class Arrival {
        final AtomicLong latest = new AtomicLong(Long.MIN_VALUE);
        final LongAdder count = new LongAdder();
    }

    Worker(Settings settings, int index, int count, WorkerLink link) {
        this.settings = settings;
        this.index = index;
        this.count = count;
        this.link = link;
        this.padding = Frames.padding(settings.size());
        this.factory = new ClientFactory(settings.targets(), settings.threads(), settings.sources(),
                settings.authByFrame(), settings.connectTimeout());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-worker-" + index + "-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::reportProgress, 1, 1, TimeUnit.SECONDS);
        timer.scheduleAtFixedRate(this::keepAlive, 1, 1, TimeUnit.SECONDS);
    }

    String transportName() {
        return factory.transportName();
    }

    /** Makes this a reconnect run: clients made from now on keep what they need to come back ({@link Resume}). */
    Reconnects enableReconnects(boolean reset) {
        reconnects = new Reconnects(this, factory, reset);
        return reconnects;
    }

    /** Every client this worker holds or held. */
    List<BenchClient> clients() {
        synchronized (clients) {
            return new ArrayList<>(clients);
        }
    }

    /** The factory of this worker's connections, with its event loops. */
    ClientFactory factory() {
        return factory;
    }

    // ---- barriers and progress

    /** Reports at barrier {@code name} and waits for the coordinator to release it. */
    JsonNode barrier(String name, ObjectNode report) throws InterruptedException {
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        e.put("event", "barrier");
        e.put("name", name);
        e.put("worker", index);
        e.set("report", report == null ? JsonNodeFactory.instance.objectNode() : report);
        link.emit(e);
        return link.awaitRelease(name);
    }

    private void reportProgress() {
        try {
            ObjectNode p = stats.progress();
            p.put("worker", index);
            link.emit(p);
        } catch (RuntimeException e) {
            e.printStackTrace();
        }
    }

    /** A last progress report and the totals. */
    ObjectNode totals() {
        reportProgress();
        ObjectNode t = stats.totals();
        t.put("worker", index);
        t.put("cpu_nanos", Limits.cpuNanos(ProcessHandle.current().pid()));
        return t;
    }

    /** This process's CPU time now (for the bench's own cost per message). */
    ObjectNode cpuReport() {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("cpu_nanos", Limits.cpuNanos(ProcessHandle.current().pid()));
        return r;
    }

    private void keepAlive() {
        long now = System.nanoTime();
        synchronized (clients) {
            for (BenchClient c : clients) {
                c.keepAlive(now);
            }
        }
    }

    // ---- connections

    /** The global indices this worker holds, below {@code total}. */
    List<Integer> myIndices(int from, int total) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < total; i++) {
            if (i % count == index) {
                out.add(i);
            }
        }
        return out;
    }

    /** The user id of connection {@code i}. */
    String userOf(int i) {
        return settings.userPrefix() + "-" + (i / settings.connectionsPerUser());
    }

    BenchClient newClient(int i) {
        String user = userOf(i);
        // Every room a scenario joins is named after the run's prefix: one pattern grants them all.
        String token = settings.jwtSecret() == null ? user
                : Jwt.token(settings.jwtSecret(), user, 86_400, List.of(settings.userPrefix() + "-*"));
        BenchClient c = new BenchClient(i, user, token, settings.authByFrame(), this);
        Reconnects r = reconnects;
        if (r != null) {
            c.resume = r.newResume(roomOf == null ? null : roomOf.apply(i), publisherOf.test(i));
        }
        return c;
    }

    /**
     * Opens these connections at {@code ratePerSecond} (open loop: connect latency counts from each one's intended
     * start; 0 = as fast as {@code --max-in-flight} allows, latency from the actual start) and waits until each is
     * ready or failed.
     *
     * @return the connections that became ready
     */
    List<BenchClient> open(List<Integer> indices, double ratePerSecond) throws InterruptedException {
        List<BenchClient> list = new ArrayList<>(indices.size());
        for (int i : indices) {
            list.add(newClient(i));
        }
        synchronized (clients) {
            clients.addAll(list);
        }
        int n = list.size();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        openStartNanos = start;
        RateSchedule schedule = ratePerSecond > 0
                ? new RateSchedule(ratePerSecond, start, start + (long) Math.ceil(n * 1e9 / ratePerSecond) + 1_000_000)
                : null;
        int maxInFlight = settings.maxInFlight();
        int started = 0;
        while (started < n) {
            long now = System.nanoTime();
            long due = schedule == null ? n : Math.min(n, schedule.dueBy(now));
            while (started < due && inFlight.get() < maxInFlight) {
                BenchClient c = list.get(started);
                c.connectFromNanos = schedule == null ? System.nanoTime() : schedule.intendedTime(started);
                String room = roomOf == null ? null : roomOf.apply(c.index);
                c.awaitingJoin = room;
                inFlight.incrementAndGet();
                factory.connect(c);
                started++;
            }
            if (started < n) {
                LockSupport.parkNanos(200_000);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos() * 2 + TimeUnit.SECONDS.toNanos(5);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        for (BenchClient c : list) {
            if (c.state != BenchClient.State.READY || c.awaitingJoin != null) {
                if (c.resolve()) {
                    inFlight.decrementAndGet();
                    failed(c, "no answer within " + settings.connectTimeout().toSeconds() * 2 + 5 + "s");
                    c.close();
                }
            }
        }
        List<BenchClient> ready = new ArrayList<>(n);
        for (BenchClient c : list) {
            if (c.isReady() && c.awaitingJoin == null) {
                ready.add(c);
            }
        }
        return ready;
    }

    /** Closes these connections, waits (bounded) until they are closed and forgets them. */
    void closeAll(List<BenchClient> list) throws InterruptedException {
        for (BenchClient c : list) {
            c.close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (BenchClient c : list) {
            Channel ch = c.channel;
            if (ch != null) {
                ch.closeFuture().await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        }
        synchronized (clients) {
            clients.removeAll(list);
        }
    }

    /** Connections held now (authenticated and open). */
    int readyCount() {
        int n = 0;
        synchronized (clients) {
            for (BenchClient c : clients) {
                if (c.isReady()) {
                    n++;
                }
            }
        }
        return n;
    }

    // ---- sending

    /**
     * Sends from {@code senders} at {@code ratePerSecond} in total, open loop, from {@code startNanos} until
     * {@code endNanos}: each event loop runs its own schedule for the senders it owns, so a message is written by
     * the loop of its connection and never crosses threads. {@code prefixOf} gives each sender's frame prefix
     * (a {@code send} to its partner or a {@code publish} to its room).
     *
     * @return counts down when every schedule has sent its last message
     */
    CountDownLatch send(List<BenchClient> senders, double ratePerSecond, long startNanos, long endNanos) {
        Map<EventLoop, List<BenchClient>> byLoop = new IdentityHashMap<>();
        for (BenchClient c : senders) {
            Channel ch = c.channel;
            if (ch != null) {
                byLoop.computeIfAbsent(ch.eventLoop(), l -> new ArrayList<>()).add(c);
            }
        }
        CountDownLatch done = new CountDownLatch(byLoop.size());
        int total = senders.size();
        byLoop.forEach((loop, group) -> {
            double rate = ratePerSecond * group.size() / total;
            SendLoop s = new SendLoop(group.toArray(new BenchClient[0]),
                    new RateSchedule(rate, startNanos, endNanos), done);
            long delay = Math.max(0, startNanos - System.nanoTime()) / 1000;
            s.dueNanos = System.nanoTime() + delay * 1000;
            s.future = loop.scheduleAtFixedRate(s, delay, settings.tickMicros(), TimeUnit.MICROSECONDS);
        });
        return done;
    }

    /** Most messages one schedule tick writes before it lets the event loop do other work. */
    static final int MAX_PER_TICK = 256;

    private final class SendLoop implements Runnable {
        private final BenchClient[] senders;
        private final RateSchedule schedule;
        private final CountDownLatch done;
        private final long periodNanos = settings.tickMicros() * 1000L;
        private long next;
        private boolean finished;
        /** When the next tick is due: a fixed-rate schedule's deadlines are a period apart whatever ran late. */
        long dueNanos;
        volatile ScheduledFuture<?> future;

        SendLoop(BenchClient[] senders, RateSchedule schedule, CountDownLatch done) {
            this.senders = senders;
            this.schedule = schedule;
            this.done = done;
        }

        @Override
        public void run() {
            if (finished) {
                cancel();
                return;
            }
            // How late this tick runs is how long the bench's own loop was kept from it (its GC, its JIT, a busy
            // core): a stall of the bench's, not the gateway's, that the delivery latency counts all the same.
            long due = dueNanos;
            dueNanos = due + periodNanos;
            stats.recordTickLateness(System.nanoTime() - due, MeasureWindow.outside(due, measureFrom, measureUntil));
            try {
                tick();
            } catch (RuntimeException e) {
                // Never let the schedule die silently: count it and say so.
                stats.increment(Counter.UNEXPECTED);
                Stats.count(stats.unexpected, "sender failure: " + e);
                e.printStackTrace();
            }
        }

        private void tick() {
            // A sender that fell behind catches up in bounded slices, so the loop keeps reading between them; the
            // intended times stay as scheduled, so the delay still counts as latency.
            long due = Math.min(schedule.dueBy(System.nanoTime()), next + MAX_PER_TICK);
            int n = senders.length;
            long sent = 0;
            long measured = 0;
            long from = measureFrom;
            long until = measureUntil;
            long skipped = 0;
            for (; next < due; next++) {
                BenchClient c = senders[(int) (next % n)];
                long intended = schedule.intendedTime(next);
                if (!c.isReady() && reconnects != null) {
                    // A sender coming back: the next one that is there sends in its place, so the rate holds.
                    for (int k = 1; k < n && !c.isReady(); k++) {
                        c = senders[(int) ((next + k) % n)];
                    }
                    if (c.isReady()) {
                        stats.increment(Counter.SENDS_REASSIGNED);
                    }
                }
                if (c.isReady()) {
                    Channel ch = c.channel;
                    c.write(Frames.message(ch.alloc(), c.sendPrefix, c.index, c.nextSeq++, intended, padding));
                    sent++;
                    measured += 1 - MeasureWindow.outside(intended, from, until);
                } else {
                    skipped++;
                }
            }
            stats.add(Counter.SENT, sent);
            stats.add(Counter.MEASURED_SENT, measured);
            stats.add(Counter.SEND_SKIPPED, skipped);
            if (schedule.isComplete(next)) {
                finished = true;
                done.countDown();
                cancel();
            }
        }

        private void cancel() {
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    /** Sends one message now from {@code c} (on its event loop), intended at {@code intendedNanos}. */
    void sendOne(BenchClient c, long intendedNanos) {
        Channel ch = c.channel;
        if (ch == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            if (!c.isReady()) {
                stats.increment(Counter.SEND_SKIPPED);
                return;
            }
            long seq = c.nextSeq++;
            if (arrivals != null) {
                c.pendingPublishes().add(new long[] {seq, intendedNanos});
            }
            c.write(Frames.message(ch.alloc(), c.sendPrefix, c.index, seq, intendedNanos, padding));
            stats.increment(Counter.SENT);
        });
    }

    /** Waits until every message sent has its ack or error, or until the deadline. */
    boolean awaitAnswered(long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            // Messages whose connection a reconnect run dropped before they were answered never will be.
            if (stats.get(Counter.ACKS) + stats.get(Counter.ERRORS) + stats.get(Counter.UNKNOWN_SENDS)
                    >= stats.get(Counter.SENT)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** How the last {@link #open} went: ready connections and its time span. */
    ObjectNode openReport(List<BenchClient> ready) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("ready", ready.size());
        r.put("held", readyCount());
        r.put("start_nanos", openStartNanos);
        r.put("last_ready_nanos", lastReadyNanos.get());
        r.put("failed", stats.get(Counter.CONNECT_FAILED));
        r.put("kicked", stats.get(Counter.KICKED));
        r.put("replaced", stats.kicks.containsKey("replaced") ? stats.kicks.get("replaced").sum() : 0);
        return r;
    }

    /** Counters a coordinator needs to judge the drain. */
    ObjectNode drainReport() {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        for (Counter c : Counter.values()) {
            r.put(c.key(), stats.get(c));
        }
        return r;
    }

    // ---- what the connections hear

    @Override
    public void onWelcome(BenchClient c, FrameScanner f, long nowNanos) {
        Resume resume = c.resume;
        if (resume == null || !resume.reconnecting) {
            stats.increment(Counter.CONNECTED);
            stats.recordConnect(nowNanos - c.connectFromNanos);
        }
        if (resume != null) {
            reconnects.welcome(c, f, nowNanos);
        }
        String room = c.awaitingJoin;
        if (room != null) {
            c.write(resume != null ? reconnects.join(c, room) : Frames.join(c.channel.alloc(), room));
        } else if (c.resolve()) {
            inFlight.decrementAndGet();
            lastReadyNanos.accumulateAndGet(nowNanos, Math::max);
        }
    }

    @Override
    public void onConnectFailed(BenchClient c, String reason) {
        if (c.resume != null && c.resume.reconnecting) {
            reconnects.connectFailed(c, reason);
            return;
        }
        if (c.resolve()) {
            inFlight.decrementAndGet();
            failed(c, reason);
        }
    }

    private void failed(BenchClient c, String reason) {
        stats.increment(Counter.CONNECT_FAILED);
        Stats.count(stats.failures, reason);
        String hint = Failures.hint(reason, Limits.maxFileDescriptors());
        if (hint != null && limitWarnings.getAndIncrement() == 0) {
            System.err.println("LIMIT: " + hint);
        }
    }

    @Override
    public void onAck(BenchClient c, FrameScanner f, long nowNanos) {
        long recipients = f.recipients();
        Resume resume = c.resume;
        if (c.awaitingJoin != null) {
            c.awaitingJoin = null;
            if (resume != null) {
                reconnects.joined(c, f, nowNanos);
            }
            if (c.resolve()) {
                inFlight.decrementAndGet();
                lastReadyNanos.accumulateAndGet(nowNanos, Math::max);
            }
            return;
        }
        stats.increment(Counter.ACKS);
        if (recipients > 0) {
            stats.add(Counter.ACK_RECIPIENTS, recipients);
        }
        if (resume != null) {
            resume.answeredOnConnection++;
        }
        ArrayDeque<long[]> pending = c.pendingPublishesOrNull();
        if (pending != null && !pending.isEmpty()) {
            long[] p = pending.poll();
            published.add(new long[] {c.index, p[0], p[1], recipients});
        }
    }

    @Override
    public void onError(BenchClient c, String code) {
        Resume resume = c.resume;
        if (c.awaitingJoin != null) {
            c.awaitingJoin = null;
            if (resume != null && resume.reconnecting && "unavailable".equals(code)) {
                // A cluster whose broker is away for now: the client tries again, as a real one would.
                reconnects.connectFailed(c, "join refused: unavailable");
                return;
            }
            if (resume != null && resume.reconnecting) {
                Stats.count(stats.failures, "reconnect: join refused: " + code);
                reconnects.joinRefused(c);
            }
            if (c.resolve()) {
                inFlight.decrementAndGet();
                failed(c, "join refused: " + code);
            }
            return;
        }
        stats.increment(Counter.ERRORS);
        Stats.count(stats.errorCodes, code);
        if (resume != null && !resume.historyAsked) {
            long seq = resume.firstSeqOnConnection + resume.answeredOnConnection++;
            resume.errored.add(seq);
            if ("unavailable".equals(code)) {
                resume.unavailable.add(seq);
            }
        }
        ArrayDeque<long[]> pending = c.pendingPublishesOrNull();
        if (pending != null && !pending.isEmpty()) {
            long[] p = pending.poll();
            published.add(new long[] {c.index, p[0], p[1], -1});
        }
    }

    @Override
    public void onMessage(BenchClient c, FrameScanner f, long nowNanos) {
        stats.increment(Counter.RECEIVED);
        if (!f.hasBenchBody()) {
            stats.increment(Counter.UNEXPECTED);
            Stats.count(stats.unexpected, "message without the bench's body");
            return;
        }
        Resume resume = c.resume;
        if (resume != null) {
            OffsetChecker stream = f.hasRoom() ? resume.room : resume.inbox;
            if (stream != null && stream.isStarted()) {
                stream.accept(f.offset());
            }
            if (f.sender() == c.index) {
                // A publisher's own message, which a replay includes: its offsets are checked, it is no delivery.
                return;
            }
        }
        SequenceChecker checker = c.checker;
        if (checker == null) {
            checker = new SequenceChecker();
            c.checker = checker;
        }
        switch (checker.accept(f.sender(), f.sequence())) {
            case DUPLICATE:
                stats.increment(Counter.DUPLICATES);
                return;
            case INVALID:
                stats.increment(Counter.INVALID);
                return;
            case OUT_OF_ORDER:
                if (resume != null) {
                    // Judged at the end: a message whose answer was lost with its connection may come late.
                    resume.outOfOrder.add(f.sender());
                    resume.outOfOrder.add(f.sequence());
                } else {
                    stats.increment(Counter.OUT_OF_ORDER);
                }
                break;
            default:
                break;
        }
        stats.increment(Counter.UNIQUE);
        long t = f.intendedNanos();
        // Every delivery's latency is recorded, the warm-up's too, on the same path (see MeasureWindow).
        int outside = MeasureWindow.outside(t, measureFrom, measureUntil);
        stats.add(Counter.MEASURED_RECEIVED, 1 - outside);
        stats.recordLatency(nowNanos - t, outside);
        Map<Long, Arrival> a = arrivals;
        if (a != null) {
            Arrival arrival = a.computeIfAbsent((f.sender() << 32) | f.sequence(), k -> new Arrival());
            arrival.count.increment();
            arrival.latest.accumulateAndGet(nowNanos, Math::max);
        }
    }

    @Override
    public void onPresence(BenchClient c, String errorCode) {
        if (errorCode == null) {
            stats.increment(Counter.PRESENCE_ANSWERED);
        } else {
            stats.increment(Counter.PRESENCE_ERRORS);
            Stats.count(stats.errorCodes, "presence: " + errorCode);
        }
    }

    @Override
    public void onMembership(BenchClient c) {
        stats.increment(Counter.MEMBERSHIP);
    }

    /**
     * Waits until the gateway has stopped announcing joins to this worker's connections (a room of M members costs
     * M^2/2 {@code joined} frames to set up), so that the measurement does not pay for the setup.
     */
    void awaitQuiet(long maxNanos) throws InterruptedException {
        long deadline = System.nanoTime() + maxNanos;
        long last = -1;
        int quiet = 0;
        while (System.nanoTime() < deadline && quiet < 2) {
            long now = stats.get(Counter.MEMBERSHIP) + stats.get(Counter.RECEIVED);
            quiet = now == last ? quiet + 1 : 0;
            last = now;
            Thread.sleep(500);
        }
    }

    @Override
    public void onKicked(BenchClient c, String reason) {
        stats.increment(Counter.KICKED);
        Stats.count(stats.kicks, reason);
    }

    @Override
    public void onUnexpected(BenchClient c, String what) {
        stats.increment(Counter.UNEXPECTED);
        Stats.count(stats.unexpected, what);
    }

    @Override
    public void onClosed(BenchClient c) {
        stats.increment(Counter.CLOSED);
        if (c.resume != null) {
            reconnects.closedByGateway(c);
        }
    }

    @Override
    public void onHistory(BenchClient c, FrameScanner f) {
        if (c.resume != null && c.resume.historyAsked) {
            reconnects.history(c, f);
        } else {
            onUnexpected(c, "history answer nobody asked for");
        }
    }

    /** Starts tracking arrivals per message (capacity). */
    void trackArrivals() {
        arrivals = new ConcurrentHashMap<>();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        synchronized (clients) {
            for (BenchClient c : clients) {
                c.close();
            }
        }
        factory.close();
    }
}
