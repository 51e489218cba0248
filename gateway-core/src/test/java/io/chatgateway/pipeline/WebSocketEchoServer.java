package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.session.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The gateway's WebSocket pipeline with an echo in place of the chat protocol, for the fuzzing client of
 * Autobahn|Testsuite (gateway-server's pom runs it during {@code verify}; see "WebSocket conformance" in
 * docs/architecture.md). Everything from the socket to {@code wsFrames} is production's, built by
 * {@link WebSocketChannelInitializer} from a {@link GatewayConfig} with its defaults: the front door, idle and flush
 * handlers, HTTP codec, {@code WebSocketServerProtocolHandler} with the gateway's decoder settings, the frame
 * aggregator and {@link WebSocketFrameCodec}. Text messages come back as text, framed by {@link WebSocketFrameCodec}
 * as every payload of the gateway is; binary messages, which the chat protocol refuses, come back as binary.
 *
 * <p>{@code main(port)} binds where the plugin connects ({@code InetAddress.getLocalHost()}) and serves until its
 * thread is interrupted. The system property {@value #MAX_FRAME_BYTES_PROPERTY} raises the frame and message limit
 * (default {@value GatewayConfig#DEFAULT_MAX_FRAME_BYTES}, enough for every case but 9, which needs 16 MiB).
 */
public final class WebSocketEchoServer {
    static final String MAX_FRAME_BYTES_PROPERTY = "autobahn.maxFrameBytes";

    private WebSocketEchoServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        int maxFrameBytes = Integer.getInteger(MAX_FRAME_BYTES_PROPERTY, GatewayConfig.DEFAULT_MAX_FRAME_BYTES);
        Gateway gateway = Gateway.builder(GatewayConfig.builder()
                        .nodeId("autobahn")
                        .webSocketPath("/")
                        .maxFrameBytes(maxFrameBytes)
                        .build())
                .authenticator(new DevelopmentAuthenticator())
                .build();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new WebSocketChannelInitializer(gateway, NotFoundHttpHandler.INSTANCE,
                            p -> addEcho(gateway, p)))
                    .bind(localHost(), port).sync().channel();
            System.out.println("WebSocket echo on " + server.localAddress() + ", maxFrameBytes=" + maxFrameBytes);
            server.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }

    /** The address the plugin fuzzes ({@code ws://<local host>:<port>/}). */
    private static InetAddress localHost() {
        try {
            return InetAddress.getLocalHost();
        } catch (UnknownHostException e) {
            return InetAddress.getLoopbackAddress();
        }
    }

    private static void addEcho(Gateway gateway, ChannelPipeline p) {
        p.addBefore(PipelineNames.WS_FRAMES, "binaryEcho", BinaryEcho.INSTANCE);
        p.addLast("textEcho", new TextEcho(gateway));
    }

    /** Binary messages, which {@link WebSocketFrameCodec} would answer with {@code unsupported}: back as they came. */
    @Sharable
    static final class BinaryEcho extends ChannelInboundHandlerAdapter {
        static final BinaryEcho INSTANCE = new BinaryEcho();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof BinaryWebSocketFrame) {
                ctx.writeAndFlush(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    /**
     * A text message's payload, as the protocol would get it: back through {@link WebSocketFrameCodec}. The upgraded
     * connection is registered as {@link ProtocolHandler} registers it, so that closes take the production path
     * (the frame codec sends the close frame of a registered connection).
     */
    static final class TextEcho extends ChannelInboundHandlerAdapter {
        private final Gateway gateway;

        TextEcho(Gateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                ctx.pipeline().remove(PipelineNames.HTTP);
                if (gateway.connections().register(ctx.channel(), Transport.WEBSOCKET) == null) {
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                ctx.writeAndFlush(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
