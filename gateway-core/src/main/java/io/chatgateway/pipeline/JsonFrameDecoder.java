package io.chatgateway.pipeline;

import io.chatgateway.protocol.FrameParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Turns one frame's JSON payload into a {@link io.chatgateway.protocol.ClientFrame}. Bad input becomes an invalid
 * frame that the protocol handler answers; nothing is thrown into the pipeline.
 *
 * <p>The payload is copied into a heap array and released at once: frames are small, the parser reads arrays
 * fastest, and the frame may wait in a queue without pinning pooled network buffers.
 */
@Sharable
final class JsonFrameDecoder extends ChannelInboundHandlerAdapter {
    private final FrameParser parser;

    JsonFrameDecoder(FrameParser parser) {
        this.parser = parser;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf buf = (ByteBuf) msg;
        byte[] bytes;
        try {
            bytes = ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
        ctx.fireChannelRead(parser.parse(bytes));
    }
}
