package io.chatgateway.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens bench connections: native epoll where it loads (NIO otherwise), WebSocket through Netty's client handshaker
 * or length-prefixed TCP, each socket bound to the next of the configured source addresses so that one machine can
 * open more connections to one gateway port than one source address has ephemeral ports.
 */
final class ClientFactory implements AutoCloseable {
    static final int MAX_FRAME_BYTES = 1 << 20;

    private final List<Target> targets;
    private final List<InetSocketAddress> remotes;
    private final List<InetAddress> sources;
    private final boolean authByFrame;
    private final Duration connectTimeout;
    private final boolean epoll;
    private final EventLoopGroup group;
    private final AtomicInteger nextSource = new AtomicInteger();

    ClientFactory(List<Target> targets, int threads, List<InetAddress> sources, boolean authByFrame,
                  Duration connectTimeout) {
        this.targets = targets;
        List<InetSocketAddress> r = new ArrayList<>();
        for (Target t : targets) {
            r.add(new InetSocketAddress(t.host(), t.port()));
        }
        this.remotes = List.copyOf(r);
        this.sources = sources;
        this.authByFrame = authByFrame;
        this.connectTimeout = connectTimeout;
        this.epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** {@code epoll} or {@code nio}. */
    String transportName() {
        return epoll ? "epoll" : "nio";
    }

    EventLoopGroup group() {
        return group;
    }

    /** Parses {@code --source-addresses}: {@code none}, a count of 127.0.0.x addresses, or a comma-separated list. */
    static List<InetAddress> parseSources(String spec, boolean loopbackTarget) throws Options.UsageException {
        List<InetAddress> out = new ArrayList<>();
        String s = spec == null ? "auto" : spec.trim();
        if (s.equals("none") || s.isEmpty()) {
            return out;
        }
        if (s.equals("auto")) {
            s = loopbackTarget ? "8" : "none";
            if (s.equals("none")) {
                return out;
            }
        }
        try {
            if (s.matches("[0-9]+")) {
                int n = Integer.parseInt(s);
                if (n < 1 || n > 254) {
                    throw new Options.UsageException("--source-addresses: " + spec + " (expected: 1..254)");
                }
                if (!loopbackTarget) {
                    throw new Options.UsageException("--source-addresses " + n + " means 127.0.0.1.." + n
                            + ", which only reaches a loopback target; list addresses instead");
                }
                for (int i = 1; i <= n; i++) {
                    out.add(InetAddress.getByName("127.0.0." + i));
                }
            } else {
                for (String a : s.split(",")) {
                    out.add(InetAddress.getByName(a.trim()));
                }
            }
        } catch (UnknownHostException e) {
            throw new Options.UsageException("--source-addresses: " + spec + " (" + e.getMessage() + ")");
        }
        return out;
    }

    /**
     * A bootstrap on this factory's event loops with the bench's socket options and no handler: for scenarios that
     * speak to the gateway below the protocol (the refusals scenario).
     */
    Bootstrap bare() {
        return new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
    }

    /** Starts connecting {@code client} to its target ({@link Target#of}); its listener hears how it ends. */
    ChannelFuture connect(BenchClient client) {
        return connect(client, 0, group);
    }

    /**
     * Starts connecting {@code client} again: attempt {@code attempt} goes to target {@code (index + attempt) mod n},
     * on {@code loop} (the client's own event loop, so that everything it keeps stays on one thread).
     */
    ChannelFuture connect(BenchClient client, int attempt, EventLoopGroup loop) {
        int node = Math.floorMod(client.index + attempt, targets.size());
        Target target = targets.get(node);
        InetSocketAddress remote = remotes.get(node);
        client.state = BenchClient.State.CONNECTING;
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        client.channel = ch;
                        init(ch.pipeline(), client, target);
                    }
                });
        ChannelFuture f;
        if (sources.isEmpty()) {
            f = b.connect(remote);
        } else {
            if (epoll) {
                // Pick the port at connect(), per destination, instead of reserving one per source address at bind().
                b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
            }
            InetAddress source = sources.get(Math.floorMod(nextSource.getAndIncrement(), sources.size()));
            f = b.connect(remote, new InetSocketAddress(source, 0));
        }
        f.addListener(done -> {
            if (!done.isSuccess()) {
                client.fail(Failures.reason(done.cause()));
            }
        });
        return f;
    }

    private void init(ChannelPipeline p, BenchClient client, Target target) {
        if (target.isWebSocket()) {
            URI uri = target.uri();
            if (!authByFrame) {
                String q = "token=" + URLEncoder.encode(client.token(), StandardCharsets.UTF_8);
                uri = URI.create(uri.toString() + (uri.getRawQuery() == null ? "?" : "&") + q);
            }
            WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                    .webSocketUri(uri)
                    .version(WebSocketVersion.V13)
                    .customHeaders(new DefaultHttpHeaders())
                    .maxFramePayloadLength(MAX_FRAME_BYTES)
                    .handleCloseFrames(true)
                    .dropPongFrames(true)
                    .withUTF8Validator(false) // FrameScanner checks every frame's UTF-8 at a fraction of the cost
                    .handshakeTimeoutMillis(connectTimeout.toMillis())
                    .forceCloseTimeoutMillis(1000)
                    .build();
            p.addLast("http", new HttpClientCodec());
            p.addLast("httpAggregator", new HttpObjectAggregator(8192));
            p.addLast("ws", new WebSocketClientProtocolHandler(config));
            p.addLast("wsAggregator", new WebSocketFrameAggregator(MAX_FRAME_BYTES));
            p.addLast("wsText", WsText.INSTANCE);
            if (target.isSocketIo()) {
                p.addLast("socketIo", new SocketIoFraming());
            }
        } else {
            p.addLast("tcpDecoder", new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, 4, 0, 4));
            p.addLast("tcpEncoder", TcpPrefix.INSTANCE);
        }
        p.addLast("client", client.newLink());
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Text frames in and out as plain payload buffers, so the client handler is the same for both transports. */
    @Sharable
    static final class WsText extends ChannelDuplexHandler {
        static final WsText INSTANCE = new WsText();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame) {
                ctx.fireChannelRead(((TextWebSocketFrame) msg).content());
            } else {
                // Binary or stray frames: the client counts them as unexpected.
                if (msg instanceof WebSocketFrame) {
                    ((WebSocketFrame) msg).release();
                    ctx.fireChannelRead(Boolean.FALSE);
                } else {
                    ctx.fireChannelRead(msg);
                }
            }
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg instanceof ByteBuf ? new TextWebSocketFrame((ByteBuf) msg) : msg, promise);
        }
    }

    /** The 4-byte big-endian length, then the payload, in one buffer. */
    @Sharable
    static final class TcpPrefix extends ChannelOutboundHandlerAdapter {
        static final TcpPrefix INSTANCE = new TcpPrefix();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!(msg instanceof ByteBuf)) {
                ctx.write(msg, promise);
                return;
            }
            ByteBuf payload = (ByteBuf) msg;
            try {
                int n = payload.readableBytes();
                ctx.write(ctx.alloc().buffer(4 + n).writeInt(n).writeBytes(payload), promise);
            } finally {
                payload.release();
            }
        }
    }

    /** {@code true} when the channel belongs to this factory's event loops. */
    boolean owns(Channel ch) {
        return ch.eventLoop().parent() == group;
    }
}
