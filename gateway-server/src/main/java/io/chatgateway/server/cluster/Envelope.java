package io.chatgateway.server.cluster;

import io.chatgateway.history.Position;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * What travels on a Redis channel: a header of five lines, then the frame's JSON bytes as the clients get them.
 *
 * <pre>
 * kind '\n' origin-node '\n' a '\n' b '\n' published-at-ms '\n' frame
 * </pre>
 *
 * The header fields are user ids, room names, node and connection ids, reasons and numbers, none of which may
 * contain a control character, so a newline cannot occur inside one. The Lua scripts build the same layout (see
 * {@code common.lua}). Kinds:
 * <ul>
 *   <li>{@code U} user = a: the frame goes to the user's connections on the receiving node;</li>
 *   <li>{@code R} room = a, excluded connection = b: the frame goes to the room's members, except on the origin
 *       node, which delivered it itself (an empty origin, used when a node is reaped, reaches every node);</li>
 *   <li>{@code A} excluded user = a: the frame goes to every authenticated connection;</li>
 *   <li>{@code K} reason = a, connection ids = b (space-separated): kicks those connections;</li>
 *   <li>{@code D} user = a, reason = b: kicks every connection of the user;</li>
 *   <li>{@code P} a probe the node sends to itself to measure the pub/sub round trip, nanoTime = a.</li>
 *   <li>{@code S} room = a, b = {@code "offset epoch excludedConnection"}: a room message of a room with history, in
 *       offset order, to every node with members, the publishing node included;</li>
 *   <li>{@code I} user = a, b = {@code "offset epoch excludedConnection"}: a direct message of a user with an inbox,
 *       in inbox order, to every node with a connection of the user, the sending node included;</li>
 *   <li>{@code M} user = a, b = {@code "Jp room"}, {@code "Jr room"} or {@code "L room"}: server-side membership
 *       (join with the publish right, join read-only, leave) for the user's connections on the receiving node.</li>
 * </ul>
 */
final class Envelope {
    static final char USER = 'U';
    static final char ROOM = 'R';
    static final char ALL = 'A';
    static final char KICK = 'K';
    static final char DISCONNECT = 'D';
    static final char PROBE = 'P';
    static final char ROOM_SEQUENCED = 'S';
    static final char INBOX = 'I';
    static final char MEMBERSHIP = 'M';

    private static final int FIELDS = 5;

    final char kind;
    final String origin;
    final String a;
    final String b;
    final long publishedAtMillis;
    private final byte[] payload;
    private final int frameOffset;

    private Envelope(char kind, String origin, String a, String b, long publishedAtMillis, byte[] payload,
                     int frameOffset) {
        this.kind = kind;
        this.origin = origin;
        this.a = a;
        this.b = b;
        this.publishedAtMillis = publishedAtMillis;
        this.payload = payload;
        this.frameOffset = frameOffset;
    }

    /** Encodes an envelope around the readable bytes of {@code frame} (which is neither released nor moved). */
    static byte[] encode(char kind, String origin, String a, String b, long publishedAtMillis, ByteBuf frame) {
        byte[] header = (kind + "\n" + origin + "\n" + a + "\n" + b + "\n" + publishedAtMillis + "\n")
                .getBytes(StandardCharsets.UTF_8);
        int length = frame == null ? 0 : frame.readableBytes();
        byte[] out = new byte[header.length + length];
        System.arraycopy(header, 0, out, 0, header.length);
        if (length > 0) {
            frame.getBytes(frame.readerIndex(), out, header.length, length);
        }
        return out;
    }

    /** Encodes an envelope without a frame. */
    static byte[] encode(char kind, String origin, String a, String b, long publishedAtMillis) {
        return encode(kind, origin, a, b, publishedAtMillis, null);
    }

    /**
     * Decodes a payload received from Redis.
     *
     * @throws IllegalArgumentException when it is not an envelope
     */
    static Envelope decode(byte[] payload) {
        int[] ends = new int[FIELDS];
        int field = 0;
        for (int i = 0; i < payload.length && field < FIELDS; i++) {
            if (payload[i] == '\n') {
                ends[field++] = i;
            }
        }
        if (field < FIELDS || ends[0] != 1) {
            throw new IllegalArgumentException("not a cluster envelope (" + payload.length + " bytes)");
        }
        long at;
        try {
            at = Long.parseLong(string(payload, ends[3] + 1, ends[4]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a cluster envelope: bad timestamp");
        }
        return new Envelope((char) payload[0], string(payload, ends[0] + 1, ends[1]), string(payload, ends[1] + 1,
                ends[2]), string(payload, ends[2] + 1, ends[3]), at, payload, ends[4] + 1);
    }

    private static String string(byte[] bytes, int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }

    /**
     * The stamp of an {@code S} or {@code I} envelope: its position in the room's or inbox's history (offset 0 for
     * an ephemeral message), and the connection it must not reach (empty for none), from {@code b}.
     */
    Stamp stamp() {
        int first = b.indexOf(' ');
        int second = first < 0 ? -1 : b.indexOf(' ', first + 1);
        if (second < 0) {
            throw new IllegalArgumentException("not a stamped envelope: " + b);
        }
        long offset = Long.parseLong(b.substring(0, first));
        return new Stamp(new Position(b.substring(first + 1, second), offset), b.substring(second + 1));
    }

    /** A stamped envelope's position and excluded connection. */
    record Stamp(Position position, String excludedConnection) {
    }

    /** Number of frame bytes. */
    int frameLength() {
        return payload.length - frameOffset;
    }

    /** The frame in a new direct buffer, so that every recipient's write shares one copy. */
    ByteBuf frame(ByteBufAllocator alloc) {
        int length = frameLength();
        return alloc.directBuffer(length, length).writeBytes(payload, frameOffset, length);
    }

    @Override
    public String toString() {
        return "Envelope(" + kind + " from " + origin + ", " + a + ", " + b + ", " + frameLength() + " bytes)";
    }
}
