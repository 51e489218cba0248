package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.policy.OriginPolicy;
import io.chatgateway.session.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/**
 * Builds the pipeline of a connection to the HTTP/WebSocket port (see {@link PipelineNames} for the order).
 * Requests to the WebSocket path are upgraded; every other HTTP request goes to the {@code http} handler the
 * application supplies (health, metrics, pages), which must be {@link ChannelHandler.Sharable @Sharable} and
 * receives {@link io.netty.handler.codec.http.FullHttpRequest}s. A handshake from an {@code Origin} that
 * {@code allowed-origins} does not list is refused with HTTP 403 before the upgrade. With
 * {@link io.chatgateway.Gateway.Builder#sslContext TLS} the port speaks HTTPS and WSS only.
 *
 * <pre>{@code
 * new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
 *         .childHandler(new WebSocketChannelInitializer(gateway, new MyHttpRoutes()))
 *         .bind(8080);
 * }</pre>
 */
public final class WebSocketChannelInitializer extends ChannelInitializer<Channel> {
    private static final Logger log = LoggerFactory.getLogger(WebSocketChannelInitializer.class);
    /** HTTP request line and header limits; a WebSocket handshake needs far less. */
    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_BYTES = 8192;
    /** HTTP request bodies (admin API) may carry a message of the maximum frame size plus the request around it. */
    static final int HTTP_BODY_OVERHEAD = 16 * 1024;
    /** How long the gateway waits to write its close frame before it closes the socket anyway. */
    static final long FORCE_CLOSE_MILLIS = 1000;

    private final ProtocolStage stage;
    private final ChannelHandler http;
    private final WebSocketServerProtocolConfig wsConfig;
    private final int maxFrameBytes;
    private final OriginHandler origin;
    private final Consumer<ChannelPipeline> protocol;

    public WebSocketChannelInitializer(Gateway gateway, ChannelHandler http) {
        this(gateway, http, null);
    }

    /**
     * @param protocol adds what follows the WebSocket framing handlers; {@code null} for the gateway's protocol.
     *     Only the conformance tests put something else there (an echo, for Autobahn|Testsuite), so that the suite
     *     fuzzes the production framing: the same handlers, built by the same code, with the same limits.
     */
    WebSocketChannelInitializer(Gateway gateway, ChannelHandler http, Consumer<ChannelPipeline> protocol) {
        if (!http.getClass().isAnnotationPresent(ChannelHandler.Sharable.class)) {
            throw new IllegalArgumentException("http handler " + http.getClass().getName() + " must be @Sharable");
        }
        this.stage = new ProtocolStage(gateway, Transport.WEBSOCKET, Refusal.HTTP_503);
        this.http = http;
        List<String> origins = gateway.config().allowedOrigins() != null ? gateway.config().allowedOrigins()
                : List.of(gateway.authenticator().isDevelopmentMode() ? OriginPolicy.ANY : OriginPolicy.SELF);
        OriginPolicy policy = OriginPolicy.of(origins);
        this.origin = policy.allowsAny() ? null
                : new OriginHandler(policy, gateway.config().webSocketPath(), stage.isTls(), gateway.admission());
        this.protocol = protocol != null ? protocol : p -> stage.addProtocol(p, Transport.WEBSOCKET);
        this.maxFrameBytes = gateway.config().maxFrameBytes();
        this.wsConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(gateway.config().webSocketPath())
                .checkStartsWith(true) // lets "/ws?token=..." through; "/wsx" is still not the WebSocket path
                .handleCloseFrames(true)
                .dropPongFrames(true)
                .sendCloseFrame(null) // WebSocketFrameCodec sends the close frame, with the reason's code
                .forceCloseTimeoutMillis(FORCE_CLOSE_MILLIS)
                .handshakeTimeoutMillis(gateway.config().authTimeout().toMillis())
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(maxFrameBytes)
                        .allowExtensions(false)
                        .expectMaskedFrames(true)
                        // The violation still closes the connection, with one close frame: WebSocketFrameCodec's.
                        .closeOnProtocolViolation(false)
                        .withUTF8Validator(true)
                        .build())
                .build();
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
        p.addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, MAX_HEADER_BYTES));
        stage.addFlush(p);
        p.addLast(PipelineNames.HTTP_AGGREGATOR, new HttpObjectAggregator(maxFrameBytes + HTTP_BODY_OVERHEAD));
        if (origin != null) {
            p.addLast(PipelineNames.ORIGIN, origin);
        }
        p.addLast(PipelineNames.WS_PROTOCOL, new WebSocketServerProtocolHandler(wsConfig));
        p.addLast(PipelineNames.HTTP, http);
        p.addLast(PipelineNames.WS_AGGREGATOR, new WebSocketFrameAggregator(maxFrameBytes));
        p.addLast(PipelineNames.WS_FRAMES, WebSocketFrameCodec.INSTANCE);
        protocol.accept(p);
        if (log.isDebugEnabled()) {
            log.debug("{} pipeline: {}", ch, p.names());
        }
    }
}
