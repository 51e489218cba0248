package io.chatgateway.server;

import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transport choice and its fallbacks, against a machine described by hand (no native library consulted). */
class NettyTransportTest {
    private static final Throwable NO_URING = new UnsupportedOperationException("io_uring_setup: Operation not permitted");
    private static final Throwable NO_EPOLL = new UnsatisfiedLinkError("no netty_transport_native_epoll_x86_64");

    private static NettyTransport.Availability machine(Throwable epoll, Throwable ioUring) {
        return new NettyTransport.Availability() {
            @Override
            public Throwable epoll() {
                return epoll;
            }

            @Override
            public Throwable ioUring() {
                return ioUring;
            }
        };
    }

    @Test
    void autoTakesEpollWhereEverythingLoads() {
        NettyTransport t = NettyTransport.select("auto", machine(null, null));
        assertEquals("epoll", t.name());
        assertSame(EpollServerSocketChannel.class, t.serverChannelClass());
        assertEquals("native epoll", t.describe());
    }

    @Test
    void autoFallsBackToNioAndSaysWhyWhenEpollDoesNotLoad() {
        NettyTransport t = NettyTransport.select("auto", machine(NO_EPOLL, NO_URING));
        assertEquals("nio", t.name());
        assertSame(NioServerSocketChannel.class, t.serverChannelClass());
        assertEquals("NIO (native epoll unavailable: no netty_transport_native_epoll_x86_64)", t.describe());
    }

    @Test
    void ioUringByNameWhereTheKernelAllowsIt() {
        NettyTransport t = NettyTransport.select("io_uring", machine(null, null));
        assertEquals("io_uring", t.name());
        assertSame(IoUringServerSocketChannel.class, t.serverChannelClass());
        assertEquals("io_uring", t.describe());
    }

    @Test
    void ioUringByNameRefusesToStartWithTheKernelsReasonRatherThanFallingBack() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NettyTransport.select("io_uring", machine(null, NO_URING)));
        assertEquals("transport=io_uring but io_uring is unavailable: io_uring_setup: Operation not permitted",
                e.getMessage());
        assertSame(NO_URING, e.getCause());
    }

    @Test
    void epollByNameRefusesToStartWithoutIt() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> NettyTransport.select("epoll", machine(NO_EPOLL, null)));
        assertTrue(e.getMessage().startsWith("transport=epoll but native epoll is unavailable"), e::getMessage);
    }

    @Test
    void nioByNameIsAlwaysThere() {
        assertEquals("nio", NettyTransport.select("nio", machine(NO_EPOLL, NO_URING)).describe().toLowerCase());
    }
}
