package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The transports' framing of one outbound JSON payload: a WebSocket text frame as a server sends it (final, unmasked,
 * no extension bits; RFC 6455 section 5.2) or the TCP transport's 4-byte big-endian length prefix.
 */
final class Framing {
    /** FIN set, opcode 1 (text). */
    private static final int WS_FIN_TEXT = 0x81;

    private Framing() {
    }

    /** Length of the WebSocket header of an unmasked frame with this payload length. */
    static int webSocketHeaderLength(int payloadLength) {
        return payloadLength <= 125 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** Writes the header of an unmasked final text frame carrying {@code payloadLength} bytes. */
    static void writeWebSocketHeader(ByteBuf out, int payloadLength) {
        out.writeByte(WS_FIN_TEXT);
        if (payloadLength <= 125) {
            out.writeByte(payloadLength);
        } else if (payloadLength <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(payloadLength);
        } else {
            out.writeByte(127);
            out.writeLong(payloadLength);
        }
    }

    /** A new buffer with {@code payload}'s readable bytes as one WebSocket text frame; {@code payload} is untouched. */
    static ByteBuf webSocket(ByteBufAllocator alloc, ByteBuf payload) {
        int length = payload.readableBytes();
        ByteBuf out = alloc.buffer(webSocketHeaderLength(length) + length);
        writeWebSocketHeader(out, length);
        return out.writeBytes(payload, payload.readerIndex(), length);
    }

    /** A new buffer with {@code payload}'s readable bytes behind their length; {@code payload} is untouched. */
    static ByteBuf tcp(ByteBufAllocator alloc, ByteBuf payload) {
        int length = payload.readableBytes();
        return alloc.buffer(TcpFrameDecoder.PREFIX_BYTES + length)
                .writeInt(length)
                .writeBytes(payload, payload.readerIndex(), length);
    }

    /**
     * A new buffer with {@code payload}'s readable bytes as consecutive WebSocket text frames, one for each of
     * {@code lengths} in turn (they add up to the readable bytes); {@code payload} is untouched.
     */
    static ByteBuf webSocket(ByteBufAllocator alloc, ByteBuf payload, int[] lengths) {
        int size = payload.readableBytes();
        for (int length : lengths) {
            size += webSocketHeaderLength(length);
        }
        ByteBuf out = alloc.buffer(size);
        int at = payload.readerIndex();
        for (int length : lengths) {
            writeWebSocketHeader(out, length);
            out.writeBytes(payload, at, length);
            at += length;
        }
        return out;
    }

    /** As {@link #webSocket(ByteBufAllocator, ByteBuf, int[])}, with each part behind its TCP length prefix. */
    static ByteBuf tcp(ByteBufAllocator alloc, ByteBuf payload, int[] lengths) {
        ByteBuf out = alloc.buffer(payload.readableBytes() + lengths.length * TcpFrameDecoder.PREFIX_BYTES);
        int at = payload.readerIndex();
        for (int length : lengths) {
            out.writeInt(length).writeBytes(payload, at, length);
            at += length;
        }
        return out;
    }
}
