package io.chatgateway.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;

/**
 * The client frames the bench sends, written as JSON straight into a buffer. Message bodies carry what the
 * checker needs: {@code s} the sender's index, {@code q} its sequence number and {@code t} the intended send time
 * ({@link System#nanoTime()}, which on Linux is CLOCK_MONOTONIC and so comparable between the bench's processes on
 * one machine), and optionally {@code p}, padding up to the requested size.
 */
final class Frames {
    private Frames() {
    }

    static ByteBuf auth(ByteBufAllocator alloc, String token) {
        ByteBuf b = alloc.buffer(32 + token.length());
        ByteBufUtil.writeAscii(b, "{\"type\":\"auth\",\"token\":");
        writeString(b, token);
        return b.writeByte('}');
    }

    /** {@code auth} resuming the inbox after {@code since} (protocol 1.1); no {@code since} when epoch is null. */
    static ByteBuf auth(ByteBufAllocator alloc, String token, String sinceEpoch, long sinceOffset) {
        if (sinceEpoch == null) {
            return auth(alloc, token);
        }
        ByteBuf b = alloc.buffer(64 + token.length() + sinceEpoch.length());
        ByteBufUtil.writeAscii(b, "{\"type\":\"auth\",\"token\":");
        writeString(b, token);
        writeSince(b, sinceEpoch, sinceOffset);
        return b.writeByte('}');
    }

    /** {@code join} resuming the room after {@code since} (protocol 1.1); no {@code since} when epoch is null. */
    static ByteBuf join(ByteBufAllocator alloc, String room, String sinceEpoch, long sinceOffset) {
        if (sinceEpoch == null) {
            return join(alloc, room);
        }
        ByteBuf b = alloc.buffer(64 + room.length() + sinceEpoch.length());
        ByteBufUtil.writeAscii(b, "{\"type\":\"join\",\"room\":");
        writeString(b, room);
        writeSince(b, sinceEpoch, sinceOffset);
        return b.writeByte('}');
    }

    /** {@code history} of {@code room}, its latest {@code limit} messages (the answer carries the latest offset). */
    static ByteBuf history(ByteBufAllocator alloc, String room, int limit) {
        ByteBuf b = alloc.buffer(48 + room.length());
        ByteBufUtil.writeAscii(b, "{\"type\":\"history\",\"room\":");
        writeString(b, room);
        ByteBufUtil.writeAscii(b, ",\"limit\":");
        writeLong(b, limit);
        return b.writeByte('}');
    }

    private static void writeSince(ByteBuf b, String epoch, long offset) {
        ByteBufUtil.writeAscii(b, ",\"since\":{\"epoch\":");
        writeString(b, epoch);
        ByteBufUtil.writeAscii(b, ",\"offset\":");
        writeLong(b, offset);
        b.writeByte('}');
    }

    /** The {@code id} of the bench's {@code presence} requests, which tells their answers from a message's. */
    static final long PRESENCE_ID = 7;

    /** {@code presence} of {@code room} ({@code null}: the whole gateway), with {@link #PRESENCE_ID}. */
    static ByteBuf presence(ByteBufAllocator alloc, String room) {
        ByteBuf b = alloc.buffer(48 + (room == null ? 0 : room.length()));
        ByteBufUtil.writeAscii(b, "{\"type\":\"presence\",\"id\":");
        writeLong(b, PRESENCE_ID);
        if (room != null) {
            ByteBufUtil.writeAscii(b, ",\"room\":");
            writeString(b, room);
        }
        return b.writeByte('}');
    }

    static ByteBuf ping(ByteBufAllocator alloc) {
        ByteBuf b = alloc.buffer(16);
        ByteBufUtil.writeAscii(b, "{\"type\":\"ping\"}");
        return b;
    }

    static ByteBuf join(ByteBufAllocator alloc, String room) {
        ByteBuf b = alloc.buffer(32 + room.length());
        ByteBufUtil.writeAscii(b, "{\"type\":\"join\",\"room\":");
        writeString(b, room);
        return b.writeByte('}');
    }

    /** The constant start of a {@code send} to {@code to}, up to the body's opening brace. */
    static byte[] sendPrefix(String to) {
        return ("{\"type\":\"send\",\"to\":" + quote(to) + ",\"body\":{").getBytes(StandardCharsets.UTF_8);
    }

    /** The constant start of a {@code publish} to {@code room}, up to the body's opening brace. */
    static byte[] publishPrefix(String room) {
        return ("{\"type\":\"publish\",\"room\":" + quote(room) + ",\"body\":{").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A {@code send} or {@code publish} frame: {@code prefix}, then the body's numbers, padding and the closing
     * braces.
     */
    static ByteBuf message(ByteBufAllocator alloc, byte[] prefix, long sender, long seq, long intendedNanos,
                           byte[] padding) {
        ByteBuf b = alloc.buffer(prefix.length + 64 + (padding == null ? 0 : padding.length + 8));
        b.writeBytes(prefix);
        ByteBufUtil.writeAscii(b, "\"s\":");
        writeLong(b, sender);
        ByteBufUtil.writeAscii(b, ",\"q\":");
        writeLong(b, seq);
        ByteBufUtil.writeAscii(b, ",\"t\":");
        writeLong(b, intendedNanos);
        if (padding != null) {
            ByteBufUtil.writeAscii(b, ",\"p\":\"");
            b.writeBytes(padding);
            b.writeByte('"');
        }
        return b.writeByte('}').writeByte('}');
    }

    /** Padding of {@code n} ASCII letters, or {@code null} for none. */
    static byte[] padding(int n) {
        if (n <= 0) {
            return null;
        }
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) ('a' + i % 26);
        }
        return p;
    }

    static void writeLong(ByteBuf b, long v) {
        if (v < 0) {
            b.writeByte('-');
            if (v == Long.MIN_VALUE) {
                ByteBufUtil.writeAscii(b, "9223372036854775808");
                return;
            }
            v = -v;
        }
        if (v < 10) {
            b.writeByte('0' + (int) v);
            return;
        }
        byte[] digits = new byte[20];
        int i = digits.length;
        while (v > 0) {
            digits[--i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        b.writeBytes(digits, i, digits.length - i);
    }

    private static void writeString(ByteBuf b, String s) {
        b.writeBytes(quote(s).getBytes(StandardCharsets.UTF_8));
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
