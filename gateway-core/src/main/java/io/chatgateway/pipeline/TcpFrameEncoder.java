package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Prefixes each outbound JSON payload with its 4-byte big-endian length. A {@link SharedFrame} goes out as a
 * duplicate of its framed bytes, built once for all its TCP recipients. A payload for this connection alone is
 * copied behind the prefix into one buffer when small (one write, one iovec), and goes out as prefix + payload
 * untouched when large.
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
        if (msg instanceof SharedFrame) {
            SharedFrame shared = (SharedFrame) msg;
            ByteBuf framed;
            try {
                framed = shared.tcpFrame(ctx.alloc()).retainedDuplicate();
            } finally {
                shared.release();
            }
            ctx.write(framed, promise);
            return;
        }
        if (!(msg instanceof ByteBuf)) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf payload = (ByteBuf) msg;
        int length = payload.readableBytes();
        if (length <= COPY_THRESHOLD) {
            ByteBuf frame;
            try {
                frame = Framing.tcp(ctx.alloc(), payload);
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
