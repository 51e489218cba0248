package io.chatgateway.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The one place that chooses between Linux's native epoll transport and Java NIO.
 *
 * @param name               {@code epoll} or {@code nio}
 * @param ioHandlerFactory   for the event-loop group
 * @param serverChannelClass for the server bootstrap
 */
record NettyTransport(String name, IoHandlerFactory ioHandlerFactory,
                      Class<? extends ServerChannel> serverChannelClass) {

    /**
     * @param preference {@code auto} (epoll when it loads, else NIO), {@code epoll} (fail if it does not load) or
     *                   {@code nio}
     */
    static NettyTransport select(String preference) {
        switch (preference) {
            case "nio":
                return nio();
            case "epoll":
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("transport=epoll but native epoll is unavailable",
                            Epoll.unavailabilityCause());
                }
                return epoll();
            default:
                return Epoll.isAvailable() ? epoll() : nio();
        }
    }

    /** Why epoll is not in use, for the start-up log; {@code null} when it is. */
    static Throwable epollUnavailabilityCause() {
        return Epoll.unavailabilityCause();
    }

    private static NettyTransport epoll() {
        return new NettyTransport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }

    private static NettyTransport nio() {
        return new NettyTransport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}
