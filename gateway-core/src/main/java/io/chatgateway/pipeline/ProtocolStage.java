package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.policy.SlowConsumerPolicy;
import io.chatgateway.protocol.FrameParser;
import io.chatgateway.session.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;

/**
 * What both transports' pipelines have in common: the front (idle detection, flush consolidation, write-buffer
 * water marks) and everything from the first protocol object on. The stateless handlers are created once here
 * and shared by every channel of the initializer that owns this stage.
 */
final class ProtocolStage {
    private final Gateway gateway;
    private final SlowConsumerPolicy slowConsumer;
    private final WriteBufferWaterMark waterMark;
    private final long readerIdleNanos;
    private final MeteringHandler metering;
    private final JsonFrameDecoder json;

    ProtocolStage(Gateway gateway) {
        this.gateway = gateway;
        this.slowConsumer = new SlowConsumerPolicy(gateway.config().outboundBufferBytes(),
                gateway.config().slowConsumerGrace());
        this.waterMark = new WriteBufferWaterMark(slowConsumer.lowWaterMark(), slowConsumer.highWaterMark());
        // Half the interval: the first idle event marks the connection IDLE, the second (a full interval of
        // silence) drops it. One timer per connection either way.
        this.readerIdleNanos = gateway.config().heartbeat().toNanos() / 2;
        this.metering = new MeteringHandler(gateway.metrics());
        this.json = new JsonFrameDecoder(new FrameParser(gateway.config().maxFrameBytes(),
                gateway.config().maxJsonDepth()));
    }

    /** Channel options and the front of the pipeline. */
    void addFront(Channel ch) {
        ch.config().setWriteBufferWaterMark(waterMark);
        ChannelPipeline p = ch.pipeline();
        p.addLast(PipelineNames.IDLE, new IdleStateHandler(readerIdleNanos, 0, 0, TimeUnit.NANOSECONDS));
        p.addLast(PipelineNames.FLUSH, new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }

    /** The handlers from the first protocol object on. */
    void addProtocol(ChannelPipeline p, Transport transport) {
        p.addLast(PipelineNames.SLOW_CONSUMER, new SlowConsumerHandler(slowConsumer));
        p.addLast(PipelineNames.METERING, metering);
        p.addLast(PipelineNames.JSON, json);
        p.addLast(PipelineNames.PROTOCOL, new ProtocolHandler(gateway, transport));
    }
}
