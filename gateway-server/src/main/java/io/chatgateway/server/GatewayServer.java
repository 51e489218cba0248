package io.chatgateway.server;

import io.chatgateway.Gateway;
import io.chatgateway.pipeline.NotFoundHttpHandler;
import io.chatgateway.server.auth.ServerAuthentication;
import io.chatgateway.server.cluster.ClusterConfig;
import io.chatgateway.server.cluster.RedisCluster;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.health.Lifecycle;
import io.chatgateway.server.health.Readiness;
import io.chatgateway.server.health.ReadinessCheck;
import io.chatgateway.server.http.HttpRoutes;
import io.chatgateway.server.metrics.ClusterMeterBinder;
import io.chatgateway.server.metrics.ServerMetrics;
import io.chatgateway.server.tls.TlsContextReloader;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The running gateway: event loops, the two listening sockets and the engine, with an orderly start and stop.
 *
 * <p>Stopping is graceful and bounded: stop accepting, kick every connection with {@code shutdown}, give them
 * {@link ServerConfig#shutdownTimeout()} to close, then stop the event loops (which closes whatever is left).
 *
 * <p>The server's {@link Lifecycle} drives {@code /readyz}: 503 while {@code STARTING}, 200 once {@code READY} (as
 * long as every {@link #addReadinessCheck readiness check} passes), 503 again from the moment {@link #stop()}
 * begins ({@code DRAINING}). Its meters live in one registry ({@link #meterRegistry()}), scraped at {@code /metrics}.
 *
 * <p>With {@code redis-uri} set the node runs in cluster mode: the engine routes through a {@link RedisCluster},
 * which connects to Redis when the server starts (sharing its event loops) and leaves the cluster when it stops,
 * after the connections were kicked and before the event loops end.
 *
 * <p>With {@code jwt-jwks-url} set, the keys are fetched on a thread of their own ({@link ServerAuthentication}):
 * {@link #start()} waits a few seconds for the first fetch and serves anyway; {@code /readyz} fails (check
 * {@code jwks}) until a key has been fetched.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);
    /** Accept backlog; the kernel caps it at net.core.somaxconn. */
    private static final int BACKLOG = 4096;
    /**
     * How big each connection's next read buffer is, Netty's adaptive guess from its last reads. Netty makes one
     * such allocator per channel unless given one; it holds only its size limits (the guesses are in each channel's
     * handle), so one serves every connection, 32 bytes of heap less per connection.
     */
    private static final AdaptiveRecvByteBufAllocator RECEIVE_SIZES = new AdaptiveRecvByteBufAllocator();
    /** How long start() waits for the cluster broker before it serves anyway (not ready until the broker is). */
    private static final Duration CLUSTER_START_WAIT = Duration.ofSeconds(5);
    /** How long start() waits for the first JWKS fetch before it serves anyway (not ready until it succeeds). */
    private static final Duration JWKS_START_WAIT = Duration.ofSeconds(5);

    private final ServerConfig config;
    private final ServerAuthentication authentication;
    private final Gateway gateway;
    private final NettyTransport transport;
    private final ChannelHandler http;
    private final Readiness readiness;
    private final ServerMetrics metrics;
    private final RedisCluster cluster;
    private final TlsContextReloader tls;
    private volatile Lifecycle state = Lifecycle.STARTING;
    private EventLoopGroup group;
    private Channel httpChannel;
    private Channel tcpChannel;
    private io.netty.util.concurrent.ScheduledFuture<?> sweeper;
    private volatile boolean stopped;

    /** A gateway with the full HTTP surface: health, metrics, admin API and web pages ({@link HttpRoutes}). */
    public GatewayServer(ServerConfig config) {
        this(config, Gateway.builder(config.gateway()));
    }

    /**
     * A gateway with the full HTTP surface ({@link HttpRoutes}) around a customised engine.
     *
     * @param gatewayBuilder the engine to run; its authenticator is set here from the configuration
     */
    public GatewayServer(ServerConfig config, Gateway.Builder gatewayBuilder) {
        this(config, gatewayBuilder, server -> new HttpRoutes(server.config, server.gateway, server.readiness,
                server.metrics, server.cluster));
    }

    /**
     * @param http           answers HTTP requests that are not WebSocket upgrades (e.g.
     *                       {@link NotFoundHttpHandler#INSTANCE} for no HTTP surface at all)
     * @param gatewayBuilder the engine to run; its authenticator is set here from the configuration
     */
    public GatewayServer(ServerConfig config, ChannelHandler http, Gateway.Builder gatewayBuilder) {
        this(config, gatewayBuilder, server -> http);
    }

    private GatewayServer(ServerConfig config, Gateway.Builder gatewayBuilder,
                          Function<GatewayServer, ChannelHandler> http) {
        this.config = config;
        this.transport = NettyTransport.select(config.transport());
        ClusterConfig clusterConfig = ClusterConfig.from(config);
        this.cluster = clusterConfig == null ? null : new RedisCluster(clusterConfig, config.gateway().nodeId());
        if (cluster != null) {
            gatewayBuilder.routerFactory(cluster.routerFactory());
        }
        // Loaded here, so that unusable certificate files stop the server before anything is bound.
        this.tls = config.isTls() ? new TlsContextReloader(Path.of(config.tlsCertFile()), Path.of(config.tlsKeyFile()))
                : null;
        if (tls != null) {
            gatewayBuilder.sslContext(tls::current);
        }
        // Reads the key files now: a gateway whose keys cannot be used must not start.
        this.authentication = ServerAuthentication.from(config);
        this.gateway = gatewayBuilder.authenticator(authentication.authenticator()).build();
        this.readiness = new Readiness(() -> state);
        this.metrics = new ServerMetrics(gateway, readiness);
        authentication.readinessCheck().ifPresent(readiness::add);
        authentication.bindTo(metrics.registry());
        if (cluster != null) {
            readiness.add(ReadinessCheck.of("broker", () -> cluster.status().isBrokerAvailable()));
            new ClusterMeterBinder(cluster.status()).bindTo(metrics.registry());
        }
        if (tls != null) {
            tls.bindTo(metrics.registry());
        }
        this.http = Objects.requireNonNull(http.apply(this), "http");
    }

    /**
     * Binds both ports; returns once the gateway accepts connections.
     *
     * @throws CannotListenException when either port cannot be bound; nothing is left running then
     */
    public GatewayServer start() throws InterruptedException {
        log.info("Starting chat gateway, node {} ({})", config.gateway().nodeId(), config);
        log.info("Engine: {}", config.gateway());
        if (transport.fallbacks().isEmpty()) {
            log.info("Transport: {}", transport.describe());
        } else {
            log.warn("Transport: {}", transport.describe());
        }
        if (config.isDevelopmentMode()) {
            log.warn("**************************************************************************");
            log.warn("* DEVELOPMENT MODE: no JWT key is configured, so a token is taken as the *");
            log.warn("* user id and NOTHING IS VERIFIED. Set GATEWAY_JWT_SECRET (or a public   *");
            log.warn("* key or JWKS: see docs/operations.md) for production.                   *");
            log.warn("**************************************************************************");
        } else {
            log.info("Authentication: {}", authentication);
        }
        if (tls != null) {
            log.info("TLS on both ports: {}", tls.describe());
        }
        log.info("Front door: allowed-origins {}, max-connections-per-ip {}, connect-rate-per-ip {}, "
                        + "max-unauthenticated-connections {}, proxy-protocol {}",
                config.gateway().allowedOrigins(), off(config.gateway().maxConnectionsPerIp()),
                config.gateway().connectRatePerIp() == 0 ? "off" : config.gateway().connectRatePerIp() + "/s",
                config.gateway().effectiveMaxUnauthenticatedConnections(),
                config.gateway().proxyProtocol() ? "on (every connection must start with a PROXY v1/v2 header)"
                        : "off");
        group = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("gateway-io"),
                transport.ioHandlerFactory());
        try {
            authentication.start(JWKS_START_WAIT);
            if (cluster != null) {
                cluster.start(group, transport.name());
                // Serve at once when Redis is there; otherwise keep trying in the background (not ready meanwhile).
                if (!cluster.awaitAvailable(CLUSTER_START_WAIT)) {
                    log.warn("Cluster broker not available yet; cross-node operations answer unavailable until it is");
                }
            }
            httpChannel = bind(config.httpPort(), "HTTP/WebSocket", gateway.webSocketInitializer(http));
            tcpChannel = bind(config.tcpPort(), "TCP", gateway.tcpInitializer());
        } catch (InterruptedException | RuntimeException e) {
            if (cluster != null) {
                cluster.stop();
            }
            authentication.close();
            // Closed here and waited for: on io_uring a listening socket closes only once its pending accept is
            // cancelled on the event loop, which a loop shutting down may never get to, leaving the port bound.
            if (httpChannel != null) {
                httpChannel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            // Nothing ran: a later stop() (Main's shutdown hook) has nothing to drain and nothing to say.
            group = null;
            throw e;
        }
        metrics.start(group);
        if (tls != null) {
            tls.start(TlsContextReloader.DEFAULT_INTERVAL);
        }
        sweeper = group.next().scheduleAtFixedRate(this::sweep, 1, 1, TimeUnit.SECONDS);
        log.info("Listening: WebSocket {}://{}:{}{}, TCP{} {}:{}", tls != null ? "wss" : "ws", config.bind(),
                httpPort(), config.gateway().webSocketPath(), tls != null ? " over TLS" : "", config.bind(), tcpPort());
        if (http instanceof HttpRoutes) {
            ((HttpRoutes) http).logSurface(httpPort());
        }
        state = Lifecycle.READY;
        return this;
    }

    /** @throws CannotListenException when the socket cannot be bound (e.g. the port is in use) */
    private Channel bind(int port, String listener, ChannelInitializer<Channel> initializer)
            throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_SIZES)
                .childHandler(initializer);
        InetSocketAddress address = new InetSocketAddress(config.bind(), port);
        ChannelFuture bound = b.bind(address).await();
        if (!bound.isSuccess()) {
            throw new CannotListenException(address, listener, bound.cause());
        }
        return bound.channel();
    }

    /** Once a second: the engine's housekeeping (history expiry); a failure is logged, never ends the schedule. */
    private void sweep() {
        try {
            gateway.sweep();
        } catch (RuntimeException e) {
            log.warn("Housekeeping failed", e);
        }
    }

    private static Object off(int limit) {
        return limit == 0 ? "off" : limit;
    }

    public Gateway gateway() {
        return gateway;
    }

    /** The TLS context of both ports and its reloading, or {@code null} when the ports are plain. */
    public TlsContextReloader tls() {
        return tls;
    }

    /** Where the server is in its life; {@code /readyz} is 200 only in {@link Lifecycle#READY}. */
    public Lifecycle state() {
        return state;
    }

    /**
     * Adds a condition for {@code /readyz} (e.g. "the cluster broker is reachable"); while it fails, the node
     * answers 503 there. May be called before or after {@link #start()}.
     */
    public void addReadinessCheck(ReadinessCheck check) {
        readiness.add(check);
    }

    /** The readiness decision behind {@code /readyz}. */
    public Readiness readiness() {
        return readiness;
    }

    /**
     * The registry scraped at {@code /metrics}. Other modules register their meters here; tags must stay
     * low-cardinality (never a user id or room name).
     */
    public MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /** The server's meters and the dashboard's message-rate history. */
    public ServerMetrics metrics() {
        return metrics;
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * The cluster membership (broker status, cluster-wide statistics), or {@code null} when the node runs alone.
     */
    public RedisCluster cluster() {
        return cluster;
    }

    /** The bound HTTP/WebSocket port (useful when configured as 0). */
    /** The Netty transport in use: {@code io_uring}, {@code epoll} or {@code nio}. */
    public String transportName() {
        return transport.name();
    }

    public int httpPort() {
        return ((InetSocketAddress) httpChannel.localAddress()).getPort();
    }

    /** The bound TCP port (useful when configured as 0). */
    public int tcpPort() {
        return ((InetSocketAddress) tcpChannel.localAddress()).getPort();
    }

    /** Stops gracefully; safe to call more than once and from a shutdown hook. */
    public void stop() {
        if (stopped) {
            return;
        }
        if (group == null) {
            stopped = true;
            if (tls != null) {
                tls.close();
            }
            state = Lifecycle.STOPPED;
            authentication.close();
            metrics.close();
            return;
        }
        stopped = true;
        state = Lifecycle.DRAINING;
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        log.info("Shutting down: no new connections, kicking {} connections", gateway.connections().size());
        // Either may be missing when start() failed half-way.
        if (httpChannel != null) {
            httpChannel.close().syncUninterruptibly();
        }
        if (tcpChannel != null) {
            tcpChannel.close().syncUninterruptibly();
        }
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        CompletableFuture<Void> closed = gateway.shutdown();
        try {
            closed.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            log.info("All connections closed");
        } catch (TimeoutException e) {
            log.warn("{} connections still open after {}s; closing them", gateway.connections().size(),
                    config.shutdownTimeout().toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("Shutdown: {}", e.toString());
        }
        if (cluster != null) {
            cluster.stop();
        }
        if (tls != null) {
            tls.close();
        }
        authentication.close();
        long left = Math.max(TimeUnit.SECONDS.toNanos(1), deadline - System.nanoTime());
        group.shutdownGracefully(0, left, TimeUnit.NANOSECONDS).syncUninterruptibly();
        metrics.close();
        state = Lifecycle.STOPPED;
        log.info("Stopped");
    }

    @Override
    public void close() {
        stop();
    }
}
