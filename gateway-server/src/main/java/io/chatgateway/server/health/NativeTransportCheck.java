package io.chatgateway.server.health;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;

/**
 * Exits with status 0 when Netty's native epoll transport loads on this machine and 1 (with the reason) when it does
 * not. The Docker build runs it in the runtime image so that an image in which the gateway would silently fall back
 * to NIO is never produced:
 *
 * <pre>java -cp gateway-server.jar io.chatgateway.server.health.NativeTransportCheck</pre>
 *
 * <p>It also says whether io_uring would load ({@code transport=io_uring}), which does not change the status: the
 * image runs {@code auto} (epoll), and where the image is built or run decides about io_uring (Docker's default
 * seccomp profile forbids it).
 */
public final class NativeTransportCheck {
    private NativeTransportCheck() {
    }

    public static void main(String[] args) {
        System.out.println("io_uring transport: " + (IoUring.isAvailable() ? "available"
                : "unavailable here (" + IoUring.unavailabilityCause() + "); transport=io_uring would not start"));
        if (Epoll.isAvailable()) {
            System.out.println("native epoll transport: available (" + System.getProperty("os.arch") + ")");
            return;
        }
        System.err.println("native epoll transport: UNAVAILABLE on " + System.getProperty("os.name") + "/"
                + System.getProperty("os.arch") + ": " + Epoll.unavailabilityCause());
        System.exit(1);
    }
}
