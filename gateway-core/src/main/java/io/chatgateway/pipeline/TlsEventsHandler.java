package io.chatgateway.pipeline;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.session.ClientAddress;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;

/**
 * Right behind the {@code SslHandler}: counts failed handshakes (a TLS 1.1 client, a plain-text client on a TLS
 * port, a peer that leaves mid-way) and closes them quietly, and turns TLS errors after the handshake into a close
 * instead of an internal error further in. Passes everything else on; reads skip it.
 */
@ChannelHandler.Sharable
final class TlsEventsHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsEventsHandler.class);

    private final GatewayMetrics metrics;

    TlsEventsHandler(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent && !((SslHandshakeCompletionEvent) evt).isSuccess()) {
            metrics.tlsHandshakeFailure();
            if (log.isDebugEnabled()) {
                log.debug("{} TLS handshake failed: {}", ClientAddress.of(ctx.channel()),
                        ((SslHandshakeCompletionEvent) evt).cause().toString());
            }
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof SSLException
                || cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            log.debug("{} TLS error: {}", ClientAddress.of(ctx.channel()), cause.toString());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
