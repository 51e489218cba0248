package io.chatgateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;

/**
 * What to do when a write to a connection fails. It is a {@link ChannelFutureListener} for writes that have a
 * future of their own, and it is also called directly, with no future, by the writes of shared frames on their
 * short way in. That way is one promise per channel for all those writes (see {@link SharedFrame#writeTo}).
 */
@FunctionalInterface
public interface WriteFailure extends ChannelFutureListener {
    /** A write to {@code ch} failed with {@code cause}; on the channel's event loop. */
    void failed(Channel ch, Throwable cause);

    @Override
    default void operationComplete(ChannelFuture f) {
        if (!f.isSuccess()) {
            failed(f.channel(), f.cause());
        }
    }
}
