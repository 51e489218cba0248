package io.chatgateway.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The one place that chooses between Linux's io_uring, native epoll and Java NIO.
 *
 * <p>{@code auto} takes native epoll when it loads, else NIO. It does not take io_uring even where the kernel
 * allows it: on the bench machine (Linux 6.18, Netty 4.2.18) a room fan-out on io_uring cost 43-93 us of gateway CPU
 * per delivery against 2.2-2.8 us on epoll, its completion queue overflowing (docs/benchmarks.md, "io_uring against
 * epoll"; a completion queue of 32,768 instead of Netty's default still overflowed); and kernels
 * and containers often refuse it by policy ({@code kernel.io_uring_disabled}, Docker's default seccomp profile).
 * Ask for it by name with {@code transport=io_uring}.
 *
 * @param name               {@code io_uring}, {@code epoll} or {@code nio}
 * @param ioHandlerFactory   for the event-loop group
 * @param serverChannelClass for the server bootstrap
 * @param fallbacks          for the start-up log: each native transport passed over on the way here, and why
 */
record NettyTransport(String name, IoHandlerFactory ioHandlerFactory,
                      Class<? extends ServerChannel> serverChannelClass, List<String> fallbacks) {

    static final String IO_URING = "io_uring";
    static final String EPOLL = "epoll";
    static final String NIO = "nio";

    /** Whether a native transport loads here, and if not why: what {@link #select} consults. */
    interface Availability {
        /** {@code null} when the transport loads, else why it does not. */
        Throwable epoll();

        /** {@code null} when the transport loads and the kernel allows it, else why not. */
        Throwable ioUring();

        /** What Netty finds on this machine. */
        Availability NETTY = new Availability() {
            @Override
            public Throwable epoll() {
                return Epoll.isAvailable() ? null : cause(Epoll::unavailabilityCause);
            }

            @Override
            public Throwable ioUring() {
                return IoUring.isAvailable() ? null : cause(IoUring::unavailabilityCause);
            }
        };
    }

    /**
     * @param preference {@code auto} (epoll when it loads, else NIO), {@code io_uring} or {@code epoll} (fail
     *                   if it does not load, with the reason), or {@code nio}
     * @throws IllegalStateException when the native transport asked for by name cannot be used
     */
    static NettyTransport select(String preference) {
        return select(preference, Availability.NETTY);
    }

    static NettyTransport select(String preference, Availability available) {
        switch (preference) {
            case NIO:
                return nio(List.of());
            case IO_URING: {
                Throwable why = available.ioUring();
                if (why != null) {
                    throw new IllegalStateException("transport=io_uring but io_uring is unavailable: "
                            + why.getMessage(), why);
                }
                return ioUring();
            }
            case EPOLL: {
                Throwable why = available.epoll();
                if (why != null) {
                    throw new IllegalStateException("transport=epoll but native epoll is unavailable: "
                            + why.getMessage(), why);
                }
                return epoll(List.of());
            }
            default: {
                Throwable why = available.epoll();
                if (why == null) {
                    return epoll(List.of());
                }
                List<String> fallbacks = new ArrayList<>();
                fallbacks.add("native epoll unavailable: " + why.getMessage());
                return nio(fallbacks);
            }
        }
    }

    /** The start-up log line: which transport, and what was passed over. */
    String describe() {
        String what = switch (name) {
            case IO_URING -> "io_uring";
            case EPOLL -> "native epoll";
            default -> "NIO";
        };
        return fallbacks.isEmpty() ? what : what + " (" + String.join("; ", fallbacks) + ")";
    }

    private static Throwable cause(Supplier<Throwable> why) {
        Throwable t = why.get();
        return t != null ? t : new UnsupportedOperationException("no reason given");
    }

    private static NettyTransport ioUring() {
        return new NettyTransport(IO_URING, IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                List.of());
    }

    private static NettyTransport epoll(List<String> fallbacks) {
        return new NettyTransport(EPOLL, EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                List.copyOf(fallbacks));
    }

    private static NettyTransport nio(List<String> fallbacks) {
        return new NettyTransport(NIO, NioIoHandler.newFactory(), NioServerSocketChannel.class,
                List.copyOf(fallbacks));
    }
}
