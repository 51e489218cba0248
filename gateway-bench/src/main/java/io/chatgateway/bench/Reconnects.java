package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatgateway.bench.Stats.Counter;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The reconnect side of a {@code room} or {@code direct} run ({@code --reconnect-rate}): drops connections at a
 * fixed rate, open loop and spread over the clients, brings each back at once with {@code since} (the inbox in
 * {@code auth}, the room in {@code join}), on the next node of {@code --target}, and at the end judges what every
 * client saw: its offsets ({@link OffsetChecker}) and whether every acknowledged message reached it.
 *
 * <p>Every client's state stays on its event loop: drops, reconnects and judging run there.
 */
final class Reconnects {
    /** Failed attempts in a row after which a client gives up reconnecting (each is counted). */
    static final int MAX_FAILURES = 20;
    static final long RETRY_DELAY_MILLIS = 100;
    static final long MAX_RETRY_DELAY_MILLIS = 2_000;

    private final Worker w;
    private final ClientFactory factory;
    private final boolean reset;

    Reconnects(Worker w, ClientFactory factory, boolean reset) {
        this.w = w;
        this.factory = factory;
        this.reset = reset;
    }

    /** The client's state for a reconnect run, made before its first connection. */
    Resume newResume(String room, boolean publisher) {
        return new Resume(room, publisher, w.settings.authByFrame());
    }

    // ---- dropping

    /**
     * Drops {@code ratePerSecond} connections per second from {@code startNanos} until {@code endNanos}, each event
     * loop its share over its own clients, round the clients in a shuffled order: each client is dropped once every
     * {@code clients / rate} seconds. A client still coming back when its turn comes is passed over.
     */
    void start(List<BenchClient> clients, double ratePerSecond, long startNanos, long endNanos) {
        if (!(ratePerSecond > 0) || clients.isEmpty()) {
            return;
        }
        Map<EventLoop, List<BenchClient>> byLoop = new IdentityHashMap<>();
        for (BenchClient c : clients) {
            Channel ch = c.channel;
            if (ch != null && c.resume != null) {
                byLoop.computeIfAbsent(ch.eventLoop(), l -> new ArrayList<>()).add(c);
            }
        }
        Random random = new Random(42 + w.index);
        byLoop.forEach((loop, group) -> {
            Collections.shuffle(group, random);
            DropLoop d = new DropLoop(group.toArray(new BenchClient[0]),
                    new RateSchedule(ratePerSecond * group.size() / clients.size(), startNanos, endNanos));
            long delay = Math.max(0, startNanos - System.nanoTime()) / 1000;
            d.future = loop.scheduleAtFixedRate(d, delay, w.settings.tickMicros(), TimeUnit.MICROSECONDS);
        });
    }

    private final class DropLoop implements Runnable {
        private final BenchClient[] victims;
        private final RateSchedule schedule;
        private long next;
        private int cursor;
        volatile ScheduledFuture<?> future;

        DropLoop(BenchClient[] victims, RateSchedule schedule) {
            this.victims = victims;
            this.schedule = schedule;
        }

        @Override
        public void run() {
            try {
                long now = System.nanoTime();
                long due = Math.min(schedule.dueBy(now), next + Worker.MAX_PER_TICK);
                for (; next < due; next++) {
                    boolean dropped = false;
                    for (int k = 0; k < victims.length && !dropped; k++) {
                        BenchClient c = victims[cursor];
                        cursor = (cursor + 1) % victims.length;
                        if (isDroppable(c)) {
                            drop(c, now);
                            dropped = true;
                        }
                    }
                    if (!dropped) {
                        w.stats.increment(Counter.DROPS_SKIPPED);
                    }
                }
            } catch (RuntimeException e) {
                w.stats.increment(Counter.UNEXPECTED);
                Stats.count(w.stats.unexpected, "reconnect failure: " + e);
                e.printStackTrace();
            }
            if (schedule.isComplete(next)) {
                ScheduledFuture<?> f = future;
                if (f != null) {
                    f.cancel(false);
                }
            }
        }
    }

    private static boolean isDroppable(BenchClient c) {
        Resume r = c.resume;
        return c.state == BenchClient.State.READY && c.awaitingJoin == null && !r.reconnecting && !r.abandoned
                && c.channel != null;
    }

    /** On the client's loop: drops its connection without a goodbye and comes back at once. */
    void drop(BenchClient c, long nowNanos) {
        lost(c, nowNanos);
        c.drop(reset);
        w.stats.increment(Counter.RECONNECTS);
        connect(c);
    }

    /** On the client's loop: the gateway closed the connection (counted as such by the worker); come back. */
    void closedByGateway(BenchClient c) {
        if (c.resume.abandoned) {
            return;
        }
        if (c.resume.reconnecting) {
            // Welcomed but closed before its join was answered: this attempt failed.
            connectFailed(c, "closed before the join's answer");
            return;
        }
        lost(c, System.nanoTime());
        c.drop(false);
        connect(c);
    }

    private void lost(BenchClient c, long nowNanos) {
        Resume r = c.resume;
        r.reconnecting = true;
        r.droppedAtNanos = nowNanos;
        r.failures = 0;
        int before = r.unknown.size();
        r.connectionGone(c.nextSeq);
        w.stats.add(Counter.UNKNOWN_SENDS, r.unknown.size() - before);
    }

    private void connect(BenchClient c) {
        Resume r = c.resume;
        r.attempt++;
        c.awaitingJoin = r.roomName;
        factory.connect(c, r.attempt, r.loop);
    }

    /** On the client's loop: an attempt failed; tries the next node after a pause, up to {@link #MAX_FAILURES}. */
    void connectFailed(BenchClient c, String reason) {
        Resume r = c.resume;
        w.stats.increment(Counter.RECONNECT_FAILURES);
        Stats.count(w.stats.failures, "reconnect: " + reason);
        if (++r.failures >= MAX_FAILURES) {
            r.abandoned = true;
            r.reconnecting = false;
            w.stats.increment(Counter.RECONNECTS_ABANDONED);
            return;
        }
        // Backing off (up to 2 s) lets the attempts outlast an outage of a few seconds (a node or the broker
        // failing over) instead of spending them all in the first two.
        long delay = Math.min(MAX_RETRY_DELAY_MILLIS, RETRY_DELAY_MILLIS << Math.min(5, r.failures - 1));
        r.loop.schedule(() -> {
            if (r.reconnecting) {
                c.drop(false);
                connect(c);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    // ---- coming back

    /** On the client's loop: the first {@code welcome} of a client, or one after a reconnect. */
    void welcome(BenchClient c, FrameScanner f, long nowNanos) {
        Resume r = c.resume;
        if (r.loop == null) {
            r.loop = c.channel.eventLoop();
        }
        r.firstSeqOnConnection = c.nextSeq;
        r.answeredOnConnection = 0;
        if (r.inbox != null) {
            if (r.inbox.isResuming()) {
                r.inbox.resumed(f.inboxEpoch(), f.inboxOffset(), f.recovered());
            } else if (!r.inbox.isStarted() && f.inboxEpoch() != null) {
                r.inbox.start(f.inboxEpoch(), f.inboxOffset());
            } else if (r.reconnecting && c.awaitingJoin == null) {
                r.blind++;
            }
        }
        if (r.reconnecting && c.awaitingJoin == null) {
            // A direct client is back with its welcome.
            r.reconnecting = false;
            if (Boolean.TRUE.equals(f.recovered())) {
                w.stats.recordReconnect(nowNanos - r.droppedAtNanos);
            }
        }
    }

    /** The {@code join} this client sends now: with {@code since} when it comes back to a room it followed. */
    io.netty.buffer.ByteBuf join(BenchClient c, String room) {
        Resume r = c.resume;
        if (r.reconnecting && r.room != null && r.room.isStarted()) {
            r.room.beginResume();
            return Frames.join(c.channel.alloc(), room, r.room.sinceEpoch(), r.room.since());
        }
        return Frames.join(c.channel.alloc(), room);
    }

    /** On the client's loop: the answer to its join. */
    void joined(BenchClient c, FrameScanner f, long nowNanos) {
        Resume r = c.resume;
        if (r.room == null) {
            return;
        }
        if (r.room.isResuming()) {
            r.room.resumed(f.epoch(), f.offset(), f.recovered());
            if (Boolean.TRUE.equals(f.recovered())) {
                w.stats.recordReconnect(nowNanos - r.droppedAtNanos);
            }
        } else if (!r.room.isStarted() && f.epoch() != null) {
            r.room.start(f.epoch(), f.offset());
        } else if (r.reconnecting) {
            // No position to resume from (no history): what it missed cannot be known.
            r.blind++;
        }
        r.reconnecting = false;
    }

    /** On the client's loop: the join of a reconnect was refused: the client cannot go on. */
    void joinRefused(BenchClient c) {
        Resume r = c.resume;
        r.reconnecting = false;
        r.abandoned = true;
        w.stats.increment(Counter.RECONNECTS_ABANDONED);
    }

    // ---- the end

    /** Clients still coming back (not abandoned). */
    int pending(List<BenchClient> clients) {
        int n = 0;
        for (BenchClient c : clients) {
            Resume r = c.resume;
            if (r != null && r.reconnecting && !r.abandoned) {
                n++;
            }
        }
        return n;
    }

    /**
     * Asks every room client for its room's latest offset ({@code history} with limit 1), waits (bounded) for the
     * answers, and judges every client's streams against them.
     */
    void settle(List<BenchClient> clients, long timeoutNanos) throws InterruptedException {
        onLoops(clients, c -> {
            Resume r = c.resume;
            if (r.room != null && r.room.isStarted() && c.isReady() && c.awaitingJoin == null) {
                r.historyAsked = true;
                c.write(Frames.history(c.channel.alloc(), r.roomName, 1));
            }
        });
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() < deadline) {
            long[] waiting = {0};
            onLoops(clients, c -> {
                if (c.resume.historyAsked && !c.resume.historyAnswered) {
                    waiting[0]++;
                }
            });
            if (waiting[0] == 0) {
                break;
            }
            Thread.sleep(20);
        }
        onLoops(clients, c -> {
            Resume r = c.resume;
            if (r.room != null) {
                if (r.historyAnswered && r.latestEpoch != null && r.latestEpoch.equals(r.room.epoch())) {
                    r.room.finish(r.latestOffset);
                } else {
                    if (r.room.isStarted()) {
                        w.stats.increment(r.historyAnswered ? Counter.NEW_EPOCHS : Counter.HISTORY_UNANSWERED);
                        if (r.historyAnswered) {
                            w.stats.increment(Counter.UNSIZED_EXCUSALS);
                        }
                    }
                    r.room.finish(-1);
                }
                add(r.room, true);
            }
            if (r.inbox != null) {
                r.inbox.finish(-1);
                add(r.inbox, false);
            }
            w.stats.add(Counter.BLIND_RESUMES, r.blind);
        });
    }

    /** On the loop: the {@code history} answer. */
    void history(BenchClient c, FrameScanner f) {
        Resume r = c.resume;
        r.historyAnswered = true;
        r.latestEpoch = f.epoch();
        r.latestOffset = f.offset();
    }

    private void add(OffsetChecker s, boolean room) {
        Stats st = w.stats;
        st.add(room ? Counter.ROOM_RECOVERED : Counter.INBOX_RECOVERED, s.recoveredTrue());
        st.add(room ? Counter.ROOM_NOT_RECOVERED : Counter.INBOX_NOT_RECOVERED, s.recoveredFalse());
        st.add(Counter.OFFSET_UNIQUE, s.unique());
        st.add(Counter.OFFSET_LOST, s.lost());
        st.add(Counter.OFFSET_DUPLICATES, s.duplicates());
        st.add(Counter.OFFSET_OUT_OF_ORDER, s.outOfOrder());
        st.add(Counter.OFFSET_INVALID, s.invalid());
        st.add(Counter.OFFSETS_EXCUSED, s.excused());
        st.add(Counter.FALSE_RECOVERIES, s.falseRecoveries());
        st.add(Counter.REPLAYED, s.replayed());
        st.add(Counter.REPLAYED_UNRECOVERED, s.replayedWithoutRecovery());
        st.add(Counter.INCONSISTENT_ANSWERS, s.inconsistentAnswers());
        st.add(Counter.NEW_EPOCHS, s.newEpochs());
        st.add(Counter.UNSIZED_EXCUSALS, s.unsized());
    }

    /**
     * What every sender of this worker sent: {@code {"index": [sent, [unknown...], [errored...]]}}, where unknown
     * are the messages whose connection went before they were answered (and those still unanswered now).
     */
    ObjectNode senders(List<BenchClient> clients) throws InterruptedException {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        onLoops(clients, c -> {
            if (c.nextSeq == 0) {
                return;
            }
            Resume r = c.resume;
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            a.add(c.nextSeq);
            ArrayNode unknown = a.addArray();
            for (int i = 0; i < r.unknown.size(); i++) {
                unknown.add(r.unknown.get(i));
            }
            for (long q = r.firstSeqOnConnection + r.answeredOnConnection; q < c.nextSeq; q++) {
                unknown.add(q);
            }
            ArrayNode errored = a.addArray();
            for (int i = 0; i < r.errored.size(); i++) {
                errored.add(r.errored.get(i));
            }
            ArrayNode unavailable = a.addArray();
            for (int i = 0; i < r.unavailable.size(); i++) {
                unavailable.add(r.unavailable.get(i));
            }
            synchronized (out) {
                out.set(Integer.toString(c.index), a);
            }
        });
        return out;
    }

    /**
     * Judges, for every client, whether each message its senders got an {@code ack} for reached it (beyond what a
     * {@code recovered: false} excused), and its out-of-order deliveries: excused when the earlier message was sent
     * on a connection that went before it was answered (the protocol orders what it accepted, and a message whose
     * answer was lost with its connection may have been taken after the sender's next one, on its next connection).
     *
     * @param senders every worker's {@link #senders}, merged
     * @param sendersOf the senders whose messages client {@code i} should get
     */
    void judge(List<BenchClient> clients, JsonNode senders, IntFunction<int[]> sendersOf) throws InterruptedException {
        onLoops(clients, c -> {
            Resume r = c.resume;
            SequenceChecker seen = c.checker;
            long expected = 0;
            long delivered = 0;
            for (int s : sendersOf.apply(c.index)) {
                JsonNode info = senders.get(Integer.toString(s));
                if (s == c.index || info == null) {
                    continue;
                }
                long sent = info.get(0).asLong();
                JsonNode unknown = info.get(1);
                JsonNode errored = info.get(2);
                expected += sent - unknown.size() - errored.size();
                long got = seen == null ? 0 : seen.unique(s);
                for (JsonNode q : unknown) {
                    if (seen != null && seen.contains(s, q.asLong())) {
                        got--;
                    }
                }
                java.util.Set<Long> unavailable = new java.util.HashSet<>();
                info.path(3).forEach(q -> unavailable.add(q.asLong()));
                for (JsonNode q : errored) {
                    if (seen != null && seen.contains(s, q.asLong())) {
                        got--;
                        w.stats.increment(unavailable.contains(q.asLong()) ? Counter.DELIVERED_DESPITE_UNAVAILABLE
                                : Counter.DELIVERED_DESPITE_ERROR);
                    }
                }
                delivered += got;
            }
            for (int i = 0; i + 1 < r.outOfOrder.size(); i += 2) {
                JsonNode info = senders.get(Long.toString(r.outOfOrder.get(i)));
                boolean excused = false;
                if (info != null) {
                    for (JsonNode q : info.get(1)) {
                        if (q.asLong() == r.outOfOrder.get(i + 1)) {
                            excused = true;
                            break;
                        }
                    }
                }
                w.stats.increment(excused ? Counter.OUT_OF_ORDER_EXCUSED : Counter.OUT_OF_ORDER);
            }
            w.stats.add(Counter.ACKED_EXPECTED, expected);
            w.stats.add(Counter.ACKED_DELIVERED, delivered);
            long excused = (r.room == null ? 0 : r.room.excused()) + (r.inbox == null ? 0 : r.inbox.excused());
            boolean unsized = (r.room != null && r.room.unsized() > 0) || (r.inbox != null && r.inbox.unsized() > 0)
                    || r.blind > 0 || r.abandoned;
            if (unsized) {
                w.stats.increment(Counter.ACKED_UNJUDGED);
            } else {
                w.stats.add(Counter.ACKED_LOST, Math.max(0, expected - delivered - excused));
            }
        });
    }

    /** Runs {@code action} for each client with reconnect state on its event loop, and waits for all of them. */
    private static void onLoops(List<BenchClient> clients, Consumer<BenchClient> action) throws InterruptedException {
        Map<EventLoop, List<BenchClient>> byLoop = new IdentityHashMap<>();
        for (BenchClient c : clients) {
            Resume r = c.resume;
            if (r != null && r.loop != null) {
                byLoop.computeIfAbsent(r.loop, l -> new ArrayList<>()).add(c);
            }
        }
        List<Future<?>> done = new ArrayList<>();
        byLoop.forEach((loop, group) -> done.add(loop.submit(() -> group.forEach(action))));
        for (Future<?> f : done) {
            f.await();
            if (!f.isSuccess()) {
                throw new IllegalStateException("judging failed", f.cause());
            }
        }
    }
}
