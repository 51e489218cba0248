package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Prefixes each outbound JSON payload with its 4-byte big-endian length. Small payloads are copied behind the
 * prefix into one buffer (one write, one iovec); large ones go out as prefix + the shared payload untouched, so a
 * fanned-out message is never copied per recipient.
 */
@Sharable
public final class TcpFrameEncoder extends ChannelOutboundHandlerAdapter {
    /** Payloads up to this size are copied behind the prefix. */
    static final int COPY_THRESHOLD = 1024;

    public static final TcpFrameEncoder INSTANCE = new TcpFrameEncoder();

    private TcpFrameEncoder() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf)) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf payload = (ByteBuf) msg;
        int length = payload.readableBytes();
        if (length <= COPY_THRESHOLD) {
            ByteBuf frame = ctx.alloc().buffer(TcpFrameDecoder.PREFIX_BYTES + length);
            try {
                frame.writeInt(length).writeBytes(payload, payload.readerIndex(), length);
            } finally {
                payload.release();
            }
            ctx.write(frame, promise);
        } else {
            ctx.write(ctx.alloc().buffer(TcpFrameDecoder.PREFIX_BYTES).writeInt(length));
            ctx.write(payload, promise);
        }
    }
}
