package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;

import java.util.List;

/**
 * Splits the TCP byte stream into frames: a 4-byte big-endian unsigned length, then that many bytes of JSON.
 * Emits each payload as a retained slice, without the prefix.
 *
 * <p>A length above the maximum raises a {@link TooLongFrameException} once (the protocol handler answers
 * {@code frame_too_large} and closes); from then on input is discarded unread, so a hostile length never makes
 * the decoder buffer or wait for the announced bytes.
 */
public final class TcpFrameDecoder extends ByteToMessageDecoder {
    /** Size of the length prefix. */
    public static final int PREFIX_BYTES = 4;

    private final int maxFrameBytes;
    private boolean discarding;

    public TcpFrameDecoder(int maxFrameBytes) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: > 0)");
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (discarding) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < PREFIX_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > maxFrameBytes) {
            discarding = true;
            in.skipBytes(in.readableBytes());
            throw new TooLongFrameException(
                    "frame of " + length + " bytes exceeds the maximum of " + maxFrameBytes + " bytes");
        }
        if (in.readableBytes() < PREFIX_BYTES + length) {
            return;
        }
        in.skipBytes(PREFIX_BYTES);
        out.add(in.readRetainedSlice((int) length));
    }
}
