package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.policy.SlowConsumerPolicy;
import io.chatgateway.protocol.FrameParser;
import io.chatgateway.session.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What both transports' pipelines have in common: the front door (PROXY header, admission), TLS, the front of the
 * connection proper (idle detection, flush batching, write-buffer water marks) and everything from the first
 * protocol object on. The stateless handlers are created once here and shared by every channel of the initializer
 * that owns this stage.
 */
final class ProtocolStage {
    /**
     * PROXY v2 extensions (TLVs) accepted after the addresses, and ignored: room for what balancers add (AWS's
     * endpoint ids, TLS details), while a header stays small.
     */
    static final int MAX_PROXY_TLV_BYTES = 512;

    private final Gateway gateway;
    private final SlowConsumerPolicy slowConsumer;
    private final WriteBufferWaterMark waterMark;
    private final long readerIdleNanos;
    private final MeteringHandler metering;
    private final JsonFrameDecoder json;
    private final Supplier<SslContext> sslContext;
    private final TlsEventsHandler tlsEvents;
    private final boolean proxyProtocol;
    private final Refusal refusal;
    private final LoopFlusher.Flushers flushers;
    private final FlushBatchHandler.Front front;

    /**
     * @param transport    the transport of the port this stage builds pipelines for
     * @param plainRefusal how the transport turns a connection away without TLS (with TLS: a close)
     */
    ProtocolStage(Gateway gateway, Transport transport, Refusal plainRefusal) {
        this.gateway = gateway;
        this.sslContext = gateway.sslContext();
        this.tlsEvents = sslContext == null ? null : new TlsEventsHandler(gateway.metrics());
        this.proxyProtocol = gateway.config().proxyProtocol();
        this.refusal = sslContext == null ? plainRefusal : Refusal.CLOSE;
        this.slowConsumer = new SlowConsumerPolicy(gateway.config().outboundBufferBytes(),
                gateway.config().slowConsumerGrace());
        this.waterMark = new WriteBufferWaterMark(slowConsumer.lowWaterMark(), slowConsumer.highWaterMark());
        // Half the interval: the first idle event marks the connection IDLE, the second (a full interval of
        // silence) drops it. One timer per connection either way.
        this.readerIdleNanos = gateway.config().heartbeat().toNanos() / 2;
        this.flushers = new LoopFlusher.Flushers(gateway.config().writeDelay().toNanos());
        this.metering = new MeteringHandler(gateway.metrics());
        this.front = new FlushBatchHandler.Front(transport == Transport.WEBSOCKET, gateway.metrics(), slowConsumer);
        this.json = new JsonFrameDecoder(new FrameParser(gateway.config().maxFrameBytes(),
                gateway.config().maxJsonDepth()));
    }

    /** {@code true} when connections on this stage's port speak TLS. */
    boolean isTls() {
        return sslContext != null;
    }

    /**
     * The front door: the PROXY header (when on) and admission. {@code buildRest} adds everything after them, and
     * runs only for a connection that is admitted.
     */
    void addFrontDoor(Channel ch, Consumer<Channel> buildRest) {
        ChannelPipeline p = ch.pipeline();
        if (proxyProtocol) {
            p.addLast(PipelineNames.PROXY_DECODER, new ProxyHeaderDecoder(MAX_PROXY_TLV_BYTES));
            p.addLast(PipelineNames.PROXY, new ProxyProtocolHandler(gateway.admission(),
                    gateway.config().authTimeout().toNanos()));
        }
        p.addLast(PipelineNames.ADMISSION, new AdmissionHandler(gateway.admission(), refusal, proxyProtocol,
                buildRest));
    }

    /** TLS, when the port has it: a handler from the current context, so that a reloaded certificate is used. */
    void addTls(Channel ch) {
        if (sslContext == null) {
            return;
        }
        SslHandler tls = sslContext.get().newHandler(ch.alloc());
        tls.setHandshakeTimeoutMillis(gateway.config().authTimeout().toMillis());
        ch.pipeline().addLast(PipelineNames.TLS, tls);
        ch.pipeline().addLast(PipelineNames.TLS_EVENTS, tlsEvents);
    }

    /** Channel options and the front of the connection proper: idle detection. */
    void addFront(Channel ch) {
        ch.config().setWriteBufferWaterMark(waterMark);
        ch.pipeline().addLast(PipelineNames.IDLE, new IdleStateHandler(readerIdleNanos, 0, 0, TimeUnit.NANOSECONDS));
    }

    /**
     * Flush batching, and the short way in for shared frames: next to the socket on TCP, above the HTTP codec (so
     * above the WebSocket frame encoder that replaces it) on WebSocket; see {@link FlushBatchHandler}.
     */
    void addFlush(ChannelPipeline p) {
        p.addLast(PipelineNames.FLUSH, new FlushBatchHandler(flushers, front));
    }

    /** The handlers from the first protocol object on. */
    void addProtocol(ChannelPipeline p, Transport transport) {
        p.addLast(PipelineNames.SLOW_CONSUMER, new SlowConsumerHandler(slowConsumer));
        p.addLast(PipelineNames.METERING, metering);
        p.addLast(PipelineNames.JSON, json);
        p.addLast(PipelineNames.PROTOCOL, new ProtocolHandler(gateway, transport));
    }
}
