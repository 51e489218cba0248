package io.chatgateway.pipeline;

import io.chatgateway.policy.SlowConsumerPolicy;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.session.Connection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the outbound buffer of one connection. The channel's write-buffer water marks come from the
 * {@link SlowConsumerPolicy}; when the channel turns unwritable a single timer is armed for the grace period, and a
 * connection still unwritable when it fires is kicked with {@code slow_consumer}. A buffer that reaches the policy's
 * hard limit is kicked at once. Nothing is ever dropped before that: the consumer either keeps up or goes.
 *
 * <p>Stateful: one instance per channel.
 */
final class SlowConsumerHandler extends ChannelDuplexHandler {
    private final SlowConsumerPolicy policy;
    private ScheduledFuture<?> graceTimer;

    SlowConsumerHandler(SlowConsumerPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        if (kickIfOverHardLimit(policy, ctx.channel())) {
            cancelTimer();
        }
    }

    /**
     * Kicks the connection at once when its outbound buffer has reached the policy's hard limit; after every write,
     * also of the shared frames that skip this handler ({@link FlushBatchHandler#writeShared}).
     *
     * @return {@code true} when it kicked
     */
    static boolean kickIfOverHardLimit(SlowConsumerPolicy policy, Channel ch) {
        if (ch.isWritable()) {
            return false;
        }
        ChannelOutboundBuffer buffer = ch.unsafe().outboundBuffer();
        if (buffer == null || !policy.exceedsHardLimit(buffer.totalPendingWriteBytes())) {
            return false;
        }
        kick(ch);
        return true;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            if (graceTimer == null) {
                graceTimer = ctx.executor().schedule(() -> onGraceExpired(ctx), policy.graceNanos(),
                        TimeUnit.NANOSECONDS);
            }
        } else {
            cancelTimer();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void onGraceExpired(ChannelHandlerContext ctx) {
        graceTimer = null;
        // Still above the low water mark after the whole grace period (the timer is cancelled on the way down).
        if (!ctx.channel().isWritable()) {
            kick(ctx);
        }
    }

    private void kick(ChannelHandlerContext ctx) {
        cancelTimer();
        kick(ctx.channel());
    }

    private static void kick(Channel ch) {
        Connection c = Connection.of(ch);
        if (c != null) {
            c.kick(KickReason.SLOW_CONSUMER);
        } else {
            ch.close();
        }
    }

    private void cancelTimer() {
        if (graceTimer != null) {
            graceTimer.cancel(false);
            graceTimer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }
}
