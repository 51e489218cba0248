package io.chatgateway.bench;

import java.util.Arrays;

/**
 * What one bench client keeps across its connections in a reconnect run: the offset streams it follows (its room,
 * its inbox), where it is in a reconnect, and as a sender which of its messages were answered on each connection.
 * Belongs to the client's event loop.
 */
final class Resume {
    /** The room's offsets, or {@code null} when the client is in no room. */
    final OffsetChecker room;
    /** The inbox's offsets, or {@code null} when the inbox is not followed ({@code --auth handshake}). */
    final OffsetChecker inbox;
    final String roomName;

    /** The event loop all of this client's connections live on (set at its first welcome). */
    io.netty.channel.EventLoop loop;
    /** Reconnects with no position to resume from (the gateway keeps no history): what they missed is unknown. */
    int blind;
    /** Connection attempts so far; attempt k goes to node (index + k) mod n. */
    int attempt;
    /** When the last connection was dropped ({@link System#nanoTime()}); meaningful while {@link #reconnecting}. */
    long droppedAtNanos;
    boolean reconnecting;
    /** Failed attempts in a row of the current reconnect. */
    int failures;
    /** The client gave up reconnecting. */
    boolean abandoned;

    /** The sequence number of the first message sent on the current connection, and the answers it has had. */
    long firstSeqOnConnection;
    long answeredOnConnection;
    /** Messages whose connection went before they were answered: the gateway may or may not have taken them. */
    final Longs unknown = new Longs();
    /** Messages answered with an error: never to be delivered. */
    final Longs errored = new Longs();
    /** Of those, the ones answered {@code unavailable} (a cluster's broker away: local members may have it). */
    final Longs unavailable = new Longs();
    /** Deliveries (sender, sequence) that came after a higher number of the same sender, judged at the end. */
    final Longs outOfOrder = new Longs();

    /** The final {@code history} answer: asked, and the room's epoch and latest offset then. */
    boolean historyAsked;
    boolean historyAnswered;
    String latestEpoch;
    long latestOffset = -1;

    Resume(String roomName, boolean publisher, boolean followInbox) {
        this.roomName = roomName;
        this.room = roomName == null ? null : new OffsetChecker(publisher);
        this.inbox = followInbox ? new OffsetChecker(false) : null;
    }

    /** The connection is gone: what it had not answered is unknown from now on. */
    void connectionGone(long nextSeq) {
        for (long q = firstSeqOnConnection + answeredOnConnection; q < nextSeq; q++) {
            unknown.add(q);
        }
        firstSeqOnConnection = nextSeq;
        answeredOnConnection = 0;
    }

    /** A growable list of longs. */
    static final class Longs {
        private long[] a = new long[4];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int size() {
            return n;
        }

        long get(int i) {
            return a[i];
        }
    }
}
