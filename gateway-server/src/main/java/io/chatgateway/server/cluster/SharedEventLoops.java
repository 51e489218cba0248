package io.chatgateway.server.cluster;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.concurrent.TimeUnit;

/**
 * Lends the gateway's own event loops to Lettuce, so that the Redis connections run on the threads that already
 * serve clients instead of a pool of their own. Lettuce never shuts them down: the gateway does, after the
 * cluster has stopped.
 */
final class SharedEventLoops implements EventLoopGroupProvider {
    private final EventLoopGroup group;

    SharedEventLoops(EventLoopGroup group) {
        this.group = group;
    }

    /**
     * Points Lettuce at the gateway's transport, before Lettuce first looks (its providers read these properties
     * once, when their classes load): Lettuce prefers epoll to io_uring when both load, so a gateway on io_uring
     * turns Lettuce's epoll off, and one on epoll or NIO turns its io_uring off (otherwise it only warns that
     * both are there). A property the operator set is left alone; if Lettuce looked earlier in this JVM (another
     * gateway), {@link #fits} tells, and Redis gets its own event loop instead.
     */
    static void steerLettuce(String gatewayTransport) {
        String off = gatewayTransport.equals("io_uring") ? "io.lettuce.core.epoll" : "io.lettuce.core.iouring";
        if (System.getProperty(off) == null) {
            System.setProperty(off, "false");
        }
    }

    /**
     * {@code true} when the socket channel Lettuce will choose fits event loops of the gateway's transport
     * (after {@link #steerLettuce}, the same native transport); a gateway told to use NIO while epoll is
     * available does not match.
     */
    static boolean fits(String gatewayTransport) {
        String channel = Transports.socketChannelClass().getSimpleName();
        switch (gatewayTransport) {
            case "io_uring":
                return channel.startsWith("IoUring");
            case "epoll":
                return channel.startsWith("Epoll");
            case "nio":
                return channel.startsWith("Nio");
            default:
                return false;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        return (T) group;
    }

    @Override
    public int threadPoolSize() {
        return 0;
    }

    @Override
    public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(Boolean.TRUE);
    }

    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(Boolean.TRUE);
    }
}
