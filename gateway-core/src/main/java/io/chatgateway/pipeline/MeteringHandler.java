package io.chatgateway.pipeline;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the protocol frames that pass, in and out, on the connection's record and on the gateway's totals, and
 * stamps the connection's last activity. It sits where the transports' framing ends, so it sees one JSON payload
 * per frame whatever the transport: a {@link ByteBuf}, or a {@link SharedFrame} written to many connections. A shared
 * frame that takes the short way in ({@link FlushBatchHandler#writeShared}) is counted there, by {@link #countOut}.
 */
@Sharable
final class MeteringHandler extends ChannelDuplexHandler {
    private final GatewayMetrics metrics;

    MeteringHandler(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf) {
            int n = ((ByteBuf) msg).readableBytes();
            metrics.bytesIn(n);
            Connection c = Connection.of(ctx.channel());
            if (c != null) {
                c.recordInbound(n, System.currentTimeMillis());
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof SharedFrame) {
            SharedFrame shared = (SharedFrame) msg;
            countOut(metrics, Connection.of(ctx.channel()), shared.payloadBytes(), shared.frameCount());
        } else if (msg instanceof ByteBuf) {
            countOut(metrics, Connection.of(ctx.channel()), ((ByteBuf) msg).readableBytes(), 1);
        }
        ctx.write(msg, promise);
    }

    /**
     * Counts {@code frames} outbound frames of {@code payloadBytes} JSON bytes in all for the gateway and for
     * {@code c} (when the channel is a registered connection); also for shared frames that skip this handler.
     */
    static void countOut(GatewayMetrics metrics, Connection c, int payloadBytes, int frames) {
        metrics.bytesOut(payloadBytes);
        if (c != null) {
            c.recordOutbound(payloadBytes, frames);
        }
    }
}
