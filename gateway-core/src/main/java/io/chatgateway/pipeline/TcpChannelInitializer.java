package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.session.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the pipeline of a TCP connection (see {@link PipelineNames} for the order): the front door at accept, the
 * rest once the connection is admitted. With {@link io.chatgateway.Gateway.Builder#sslContext TLS} the port speaks
 * TLS only.
 *
 * <pre>{@code
 * new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
 *         .childHandler(new TcpChannelInitializer(gateway))
 *         .bind(9090);
 * }</pre>
 */
public final class TcpChannelInitializer extends ChannelInitializer<Channel> {
    private static final Logger log = LoggerFactory.getLogger(TcpChannelInitializer.class);

    private final ProtocolStage stage;
    private final int maxFrameBytes;

    public TcpChannelInitializer(Gateway gateway) {
        this.stage = new ProtocolStage(gateway, Transport.TCP, Refusal.TCP_FRAME);
        this.maxFrameBytes = gateway.config().maxFrameBytes();
    }

    @Override
    protected void initChannel(Channel ch) {
        stage.addFrontDoor(ch, this::addConnection);
    }

    /** Everything after the front door, for an admitted connection. */
    private void addConnection(Channel ch) {
        stage.addTls(ch);
        stage.addFront(ch);
        ChannelPipeline p = ch.pipeline();
        stage.addFlush(p);
        p.addLast(PipelineNames.TCP_DECODER, new TcpFrameDecoder(maxFrameBytes));
        p.addLast(PipelineNames.TCP_ENCODER, TcpFrameEncoder.INSTANCE);
        stage.addProtocol(p, Transport.TCP);
        if (log.isDebugEnabled()) {
            log.debug("{} pipeline: {}", ch, p.names());
        }
    }
}
