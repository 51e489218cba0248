package io.chatgateway.pipeline;

import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.session.ClientAddress;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Turns the {@link HAProxyMessage} that Netty's {@link HAProxyMessageDecoder} decodes (PROXY protocol v1 or v2) into
 * the connection's {@link ClientAddress}, then tells the admission handler ({@link #ADDRESS_KNOWN}) and leaves the
 * pipeline.
 *
 * <ul>
 *   <li>{@code PROXY} over TCP (IPv4 or IPv6): the named source becomes the client address.</li>
 *   <li>{@code LOCAL} (the balancer's own health checks), or an address family other than TCP: the socket's own
 *       address stays.</li>
 *   <li>A header the decoder rejects (including anything that is not a PROXY header at all, such as a plain HTTP
 *       request, and a header its parser fails on in any other way): counted as {@code proxy_invalid} and
 *       closed.</li>
 *   <li>No header within the timeout, or a close before one: counted as {@code proxy_missing} and closed.</li>
 * </ul>
 *
 * <p>Stateful: one instance per channel.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    /** Fired towards the admission handler once the client address is known. */
    static final Object ADDRESS_KNOWN = new Object() {
        @Override
        public String toString() {
            return "ProxyProtocolHandler.ADDRESS_KNOWN";
        }
    };

    /** What {@link #clientAddress} answers for a header whose source address cannot be used. */
    private static final InetSocketAddress INVALID = InetSocketAddress.createUnresolved("invalid", 0);

    private final Admission admission;
    private final long timeoutNanos;
    private ScheduledFuture<?> timer;
    private boolean done;

    ProxyProtocolHandler(Admission admission, long timeoutNanos) {
        this.admission = admission;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            arm(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    private void arm(ChannelHandlerContext ctx) {
        if (timer == null && !done) {
            timer = ctx.executor().schedule(() -> {
                if (!done) {
                    fail(ctx, RefusalReason.PROXY_MISSING, "no header within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
            }, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof HAProxyMessage)) {
            // The decoder passes nothing else on before the header; whatever this is, it is not ours to forward.
            ReferenceCountUtil.release(msg);
            return;
        }
        HAProxyMessage header = (HAProxyMessage) msg;
        InetSocketAddress client;
        try {
            client = clientAddress(header);
        } finally {
            header.release();
        }
        if (client == INVALID) {
            fail(ctx, RefusalReason.PROXY_INVALID, "unusable source address");
            return;
        }
        done = true;
        cancelTimer();
        if (client != null) {
            ClientAddress.set(ctx.channel(), client);
        }
        ctx.pipeline().remove(this);
        ctx.fireUserEventTriggered(ADDRESS_KNOWN);
    }

    /** The proxied client, {@code null} to keep the socket's address, or {@link #INVALID}. */
    private static InetSocketAddress clientAddress(HAProxyMessage header) {
        if (header.command() == HAProxyCommand.LOCAL) {
            return null;
        }
        HAProxyProxiedProtocol p = header.proxiedProtocol();
        if (p != HAProxyProxiedProtocol.TCP4 && p != HAProxyProxiedProtocol.TCP6) {
            return null;
        }
        // An IP literal, parsed without any name lookup.
        InetAddress ip = header.sourceAddress() == null ? null
                : NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        if (ip == null || header.sourcePort() < 0 || header.sourcePort() > 65535) {
            return INVALID;
        }
        return new InetSocketAddress(ip, header.sourcePort());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Not only HAProxyProtocolException: Netty's decoder lets other faults of its header parsing through wrapped
        // in a DecoderException (a v2 TLV that runs past the header: IndexOutOfBoundsException). Each is a bad header.
        if (!done && cause instanceof DecoderException) {
            fail(ctx, RefusalReason.PROXY_INVALID, cause instanceof HAProxyProtocolException ? cause.getMessage()
                    : "malformed header: " + (cause.getCause() != null ? cause.getCause() : cause));
        } else if (!done && cause instanceof IOException) {
            ctx.close(); // a reset before the header: counted as missing when the channel goes inactive
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            // Closed by the peer before any header: often a balancer's plain TCP health check, so counted quietly.
            done = true;
            cancelTimer();
            admission.refused(RefusalReason.PROXY_MISSING, ctx.channel().remoteAddress() + " (closed before a header)",
                    true);
        }
        ctx.fireChannelInactive();
    }

    private void fail(ChannelHandlerContext ctx, RefusalReason reason, String why) {
        done = true;
        cancelTimer();
        admission.refused(reason, ctx.channel().remoteAddress() + " (" + why + ")", false);
        ctx.close();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
