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
     * {@code true} when the socket channel Lettuce will choose fits event loops of the gateway's transport. Both
     * pick native epoll when it loads; a gateway told to use NIO while epoll is available does not match.
     */
    static boolean fits(String gatewayTransport) {
        String channel = Transports.socketChannelClass().getSimpleName();
        switch (gatewayTransport) {
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
