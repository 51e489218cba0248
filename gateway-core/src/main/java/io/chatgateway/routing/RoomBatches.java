package io.chatgateway.routing;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.pipeline.SharedFrame;
import io.chatgateway.pipeline.WriteFailure;
import io.chatgateway.room.Room;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;

/**
 * A room's messages on their way to its members on this node, gathered per event loop, so that what a room gets
 * before its members' loop comes to write it reaches each member as one write.
 *
 * <p>A sequenced room message (see {@link LocalDelivery#toRoom(String, io.netty.buffer.ByteBuf, Connection,
 * io.chatgateway.metrics.OutboundType, boolean)}) is written to every member from a task on the member's loop, even
 * the publisher's own, so that the room's frames reach each loop in the order of the room's lock. This class makes
 * that one task per loop for a run of messages instead of one per message: the first message takes the list of the
 * room's members and hands each loop a batch with its share; every message after it, until that loop's task starts,
 * joins the batch. The task writes the batch's messages to each of its members as one {@link SharedFrame} standing
 * for all of them ({@link SharedFrame#concat}): one write, one outbound-buffer entry and one reference to release
 * per member, where there were as many as messages. A member that is the excluded sender of some of them gets the
 * others one by one, in order.
 *
 * <p>The member list that the first message took serves the messages after it only while the room's
 * {@link Room#membershipVersion() membership version} stays the same, since until then it is still the room's
 * members. Every join or leave changes it, and the next message takes a new list and starts new batches (queued
 * after the old ones, so order holds). A batch whose task has started takes nothing more; when any batch of the list has started, the
 * next message starts over too, so that a list lives no longer than one round of the loops' tasks. A member that
 * closes in the meantime is written to as it would have been before (the write fails and evicts it) and counted, as
 * a member on another loop always was between a publish and its loop's task.
 *
 * <p>Thread-safe: each room's batches are guarded by the room's one {@code State}, which publishers (on any loop,
 * holding the room's lock) and the batches' tasks take briefly.
 */
final class RoomBatches {
    /** The most messages one batch takes; the next one starts a batch of its own. */
    static final int MAX_FRAMES = 64;

    private final WriteFailure onFailure;
    private final GatewayMetrics metrics;
    /** The members' event loops, counted on first use (a benign race: every thread counts the same). */
    private int loops;

    RoomBatches(WriteFailure onFailure, GatewayMetrics metrics) {
        this.onFailure = onFailure;
        this.metrics = metrics;
    }

    /**
     * Adds a room message for its members on this node except {@code exclude}; borrows {@code frame}. Call with the
     * room's lock held, so that the room's messages come here in their order.
     *
     * @return the members the message will be written to
     */
    int add(Room room, SharedFrame frame, Connection exclude) {
        State state = stateOf(room);
        Channel excluded = exclude == null ? null : exclude.channel();
        List<Batch> started = null;
        int n;
        synchronized (state) {
            int version = room.membershipVersion();
            if (!state.takes(version)) {
                started = state.start(room, version, this);
            }
            for (Batch b : state.batches) {
                b.add(frame.retain(), excluded);
            }
            n = state.recipients;
            if (excluded != null && LocalDelivery.isRecipient(exclude) && room.members().find(excluded.id()) != null) {
                n--;
            }
        }
        if (started != null) {
            for (Batch b : started) {
                submit(b);
            }
        }
        return n;
    }

    /**
     * How many event loops the group that {@code loop} belongs to has (1 for a loop without one), counted once:
     * every connection of a node is served by the one child group of its server. {@link LocalDelivery} sizes its
     * per-loop lists with it too.
     */
    int loopsOf(EventLoop loop) {
        int n = loops;
        if (n == 0) {
            EventLoopGroup parent = loop.parent();
            if (parent != null) {
                for (EventExecutor ignored : parent) {
                    n++;
                }
            }
            n = loops = Math.max(1, n);
        }
        return n;
    }

    private static State stateOf(Room room) {
        Object state = room.fanOut();
        return (State) (state != null ? state : room.fanOut(new State()));
    }

    private void submit(Batch b) {
        try {
            b.loop.execute(b);
        } catch (RejectedExecutionException rejected) {
            // The loop is shutting down: its channels are closing and would fail the writes anyway.
            b.state.cancel(b);
            metrics.writeFailure();
        }
    }

    /** One room's member list and the batches over it; guarded by itself. */
    private static final class State {
        /** The batches over the current member list, one per loop with members; empty when no list is current. */
        List<Batch> batches = List.of();
        int version;
        /** Members in the current list. */
        int recipients;
        /** Batches of the current list whose task has not started. */
        int waiting;

        /** Whether the current batches take a message while the membership has {@code version}. */
        boolean takes(int version) {
            return !batches.isEmpty() && waiting == batches.size() && this.version == version
                    && batches.get(0).count < MAX_FRAMES;
        }

        /** Takes the room's member list now and new batches over it; returns them, for their loops. */
        List<Batch> start(Room room, int version, RoomBatches owner) {
            Map<EventLoop, List<Connection>> byLoop = new IdentityHashMap<>(8);
            int perLoop = 0;
            int n = 0;
            for (Channel ch : room.members()) {
                Connection c = Connection.of(ch);
                if (c == null || !LocalDelivery.isRecipient(c)) {
                    continue;
                }
                EventLoop loop = ch.eventLoop();
                List<Connection> members = byLoop.get(loop);
                if (members == null) {
                    if (perLoop == 0) {
                        // Each loop's list sized for its share at once (see LocalDelivery's writeToGroup).
                        perLoop = room.members().size() / owner.loopsOf(loop) + 8;
                    }
                    members = new ArrayList<>(perLoop);
                    byLoop.put(loop, members);
                }
                members.add(c);
                n++;
            }
            List<Batch> started = new ArrayList<>(byLoop.size());
            for (Map.Entry<EventLoop, List<Connection>> e : byLoop.entrySet()) {
                started.add(new Batch(this, e.getKey(), e.getValue(), owner.onFailure));
            }
            this.batches = started;
            this.version = version;
            this.recipients = n;
            this.waiting = started.size();
            return started;
        }

        /** Called by a batch's task as it starts: from now on it takes nothing more. */
        void started(Batch b) {
            if (batches.contains(b)) {
                waiting--;
                if (waiting == 0) {
                    // Every batch of the list is on its way: the list goes with them.
                    batches = List.of();
                }
            }
        }

        /** A batch that will never run: releases what it holds. */
        synchronized void cancel(Batch b) {
            started(b);
            b.releaseAll();
        }
    }

    /** One loop's share of a room's messages: its members, and the messages it took before its task started. */
    private static final class Batch implements Runnable {
        final State state;
        final EventLoop loop;
        final List<Connection> members;
        /** Each taken message, retained for this batch, and the channel it excludes (or {@code null}). */
        SharedFrame[] frames = new SharedFrame[4];
        Channel[] excluded = new Channel[4];
        int count;
        private final WriteFailure onFailure;

        Batch(State state, EventLoop loop, List<Connection> members, WriteFailure onFailure) {
            this.state = state;
            this.loop = loop;
            this.members = members;
            this.onFailure = onFailure;
        }

        /** Under the state's lock: takes a retained message. */
        void add(SharedFrame frame, Channel exclude) {
            if (count == frames.length) {
                frames = Arrays.copyOf(frames, count * 2);
                excluded = Arrays.copyOf(excluded, count * 2);
            }
            frames[count] = frame;
            excluded[count] = exclude;
            count++;
        }

        @Override
        public void run() {
            int k;
            synchronized (state) {
                state.started(this);
                k = count;
            }
            // No message joins from here on: the arrays are this task's.
            try {
                write(k);
            } finally {
                releaseAll();
            }
        }

        /** On the batch's loop: writes its {@code k} messages to each member. */
        private void write(int k) {
            SharedFrame all = k == 1
                    // This loop's own copy (see SharedFrame.copy), unless it has a single recipient.
                    ? members.size() > 1 ? frames[0].copy() : frames[0].retain()
                    : SharedFrame.concat(frames, k, ByteBufAllocator.DEFAULT);
            try {
                for (int i = 0; i < members.size(); i++) {
                    Connection c = members.get(i);
                    Channel ch = c.channel();
                    if (!excludes(ch, k)) {
                        all.writeTo(ch, onFailure);
                        continue;
                    }
                    for (int j = 0; j < k; j++) {
                        if (excluded[j] != ch) {
                            frames[j].writeTo(ch, onFailure);
                        }
                    }
                }
            } finally {
                all.release();
            }
        }

        private boolean excludes(Channel ch, int k) {
            for (int j = 0; j < k; j++) {
                if (excluded[j] == ch) {
                    return true;
                }
            }
            return false;
        }

        void releaseAll() {
            for (int i = 0; i < count; i++) {
                frames[i].release();
                frames[i] = null;
            }
            count = 0;
        }
    }
}
