package io.chatgateway.testing;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;

/**
 * Fault injection for tests: fails every write as a socket whose peer vanished would. Add it at the front of a
 * channel's pipeline to make writes to that connection fail.
 */
@Sharable
public final class BrokenPipe extends ChannelOutboundHandlerAdapter {
    public static final BrokenPipe INSTANCE = new BrokenPipe();

    private BrokenPipe() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ReferenceCountUtil.release(msg);
        promise.setFailure(new IOException("Broken pipe"));
    }
}
