package io.chatgateway;

import io.chatgateway.auth.Authenticator;
import io.chatgateway.history.History;
import io.chatgateway.history.HistoryPage;
import io.chatgateway.history.Position;
import io.chatgateway.policy.AccessPolicy;
import io.chatgateway.policy.RoomAccess;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.routing.Delivery;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.pipeline.Admission;
import io.chatgateway.pipeline.TcpChannelInitializer;
import io.chatgateway.pipeline.WebSocketChannelInitializer;
import io.chatgateway.policy.RateLimitPolicy;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.RawJson;
import io.chatgateway.protocol.ServerFrames;
import io.chatgateway.room.RoomRegistry;
import io.chatgateway.routing.LocalDelivery;
import io.chatgateway.routing.LocalRouter;
import io.chatgateway.routing.MessageIds;
import io.chatgateway.routing.Presence;
import io.chatgateway.routing.Router;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionListener;
import io.chatgateway.session.ConnectionRegistry;
import io.chatgateway.session.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Ticker;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The chat gateway engine: connection registry, rooms, routing, authentication and policies, and the channel
 * initializers that put them on the wire. It starts no threads and binds no ports; the application bootstraps
 * Netty with {@link #webSocketInitializer(ChannelHandler)} and {@link #tcpInitializer()}.
 *
 * <pre>{@code
 * Gateway gateway = Gateway.builder(GatewayConfig.builder().build())
 *         .authenticator(new JwtAuthenticator(secret))
 *         .build();
 * new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
 *         .childHandler(gateway.webSocketInitializer(NotFoundHttpHandler.INSTANCE))
 *         .bind(8080);
 * }</pre>
 *
 * <p>Besides serving clients it offers the server-side operations an operator needs: send to a user, publish to a
 * room, broadcast, list online users, disconnect a user, statistics and a graceful shutdown. All of them go through
 * the same {@link Router} as client frames, so they work across a cluster when the router does.
 */
public final class Gateway {
    private final GatewayConfig config;
    private final GatewayMetrics metrics;
    private final ConnectionRegistry connections;
    private final RoomRegistry rooms;
    private final LocalDelivery delivery;
    private final Router router;
    private final Authenticator authenticator;
    private final MessageIds messageIds;
    private final RateLimitPolicy rateLimit;
    private final AccessPolicy access;
    private final LongSupplier clock;
    private final Admission admission;
    private final Supplier<SslContext> sslContext;
    private volatile boolean draining;

    private Gateway(Builder b) {
        this.config = b.config;
        this.clock = b.clock;
        this.metrics = new GatewayMetrics();
        this.connections = new ConnectionRegistry(config.maxConnections(), config.sessionMode(),
                config.maxSessionsPerUser(), config.nodeId() + ".", metrics, clock);
        this.rooms = new RoomRegistry(b.groupExecutor);
        this.delivery = new LocalDelivery(connections, rooms, metrics, b.groupExecutor);
        this.authenticator = b.authenticator;
        boolean development = authenticator.isDevelopmentMode();
        this.access = new AccessPolicy(
                config.roomAccess() != null ? config.roomAccess() : development ? RoomAccess.OPEN : RoomAccess.GRANTED,
                config.globalPresence() != null ? config.globalPresence() : development);
        this.router = Objects.requireNonNull(b.routerFactory.create(this, delivery), "router");
        this.messageIds = new MessageIds(config.nodeId());
        this.rateLimit = config.rateLimitPerSecond() == 0 ? RateLimitPolicy.UNLIMITED
                : new RateLimitPolicy(config.rateLimitPerSecond(), config.rateLimitBurst(), b.ticker);
        // First listener, so that a closed connection has left its rooms before anyone else hears of it.
        connections.addListener(new ConnectionListener() {
            @Override
            public void connectionRemoved(Connection connection) {
                router.unregister(connection);
            }
        });
        this.admission = new Admission(config, metrics, b.ticker);
        connections.addListener(admission.listener());
        this.sslContext = b.sslContext;
    }

    /** Starts a gateway with this configuration. */
    public static Builder builder(GatewayConfig config) {
        return new Builder(config);
    }

    public GatewayConfig config() {
        return config;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    public ConnectionRegistry connections() {
        return connections;
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    public Router router() {
        return router;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public MessageIds messageIds() {
        return messageIds;
    }

    public RateLimitPolicy rateLimit() {
        return rateLimit;
    }

    /** The front door shared by both ports: unauthenticated cap, per-address limits, refusal counting. */
    public Admission admission() {
        return admission;
    }

    /** Where the initializers get the TLS context of each new connection, or {@code null} for plain connections. */
    public Supplier<SslContext> sslContext() {
        return sslContext;
    }

    /** Who may join, read and publish which room (room access and global presence, resolved by mode). */
    public AccessPolicy access() {
        return access;
    }

    /** The history the router writes: rooms' recent messages. */
    public History history() {
        return router.history();
    }

    /** Wall clock in epoch milliseconds, as the engine uses it (message timestamps, history ages, token expiry). */
    public LongSupplier clock() {
        return clock;
    }

    /** Housekeeping: expires history. The application calls it about once a second. */
    public void sweep() {
        router.sweep();
    }

    /** The initializer for the HTTP/WebSocket port; {@code http} answers every request that is not an upgrade. */
    public WebSocketChannelInitializer webSocketInitializer(ChannelHandler http) {
        return new WebSocketChannelInitializer(this, http);
    }

    /** The initializer for the length-prefixed TCP port. */
    public TcpChannelInitializer tcpInitializer() {
        return new TcpChannelInitializer(this);
    }

    // ---- server-side operations

    /**
     * Sends a message from {@code $server} to every connection of {@code user}, kept in the user's inbox like any
     * direct message.
     *
     * @return completes with the connections written to, and whether it was kept for a user who has none
     */
    public CompletionStage<Delivery> sendToUser(String user, RawJson body) {
        String mid = messageIds.next();
        ByteBuf frame = ServerFrames.openMessage(ByteBufAllocator.DEFAULT, mid, ServerFrames.SERVER_SENDER, user,
                null, body, clock.getAsLong());
        return router.sendToUser(user, frame, null, false);
    }

    /**
     * Publishes a message from {@code $server} to every member of {@code room}; it gets an offset and is kept in
     * the room's history like any other.
     *
     * @return completes with the connections written to
     */
    public CompletionStage<Delivery> publishToRoom(String room, RawJson body) {
        String mid = messageIds.next();
        ByteBuf frame = ServerFrames.openMessage(ByteBufAllocator.DEFAULT, mid, ServerFrames.SERVER_SENDER, null,
                room, body, clock.getAsLong());
        return router.publish(room, frame, null, false);
    }

    /**
     * Adds {@code user} to {@code room}: all its connections, on every node, join it at once, each told with
     * {@code joined}.
     *
     * @return completes with the number of the user's connections in the room
     */
    public CompletionStage<Integer> addMember(String user, String room, RoomRight right) {
        return router.addMember(user, room, right);
    }

    /**
     * Takes {@code user} out of {@code room}: all its connections, on every node, leave it (reason {@code removed}).
     *
     * @return completes with the number of connections that left
     */
    public CompletionStage<Integer> removeMember(String user, String room) {
        return router.removeMember(user, room);
    }

    /** A room's history, as the {@code history} frame gives it. */
    public CompletionStage<HistoryPage> roomHistory(String room, Position since, int limit) {
        return router.history().read(room, since, limit);
    }

    /**
     * Sends a message from {@code $server} to every authenticated connection, except those of {@code excludeUser}
     * (may be {@code null}). The message has neither {@code to} nor {@code room}.
     *
     * @return completes with the number of connections written to
     */
    public CompletionStage<Integer> broadcast(RawJson body, String excludeUser) {
        String mid = messageIds.next();
        ByteBuf frame = ServerFrames.message(ByteBufAllocator.DEFAULT, mid, ServerFrames.SERVER_SENDER, null, null,
                body, clock.getAsLong());
        return router.broadcast(frame, excludeUser);
    }

    /** The users online, at most {@code limit}. */
    public CompletionStage<Presence> onlineUsers(int limit) {
        return router.presence(null, limit);
    }

    /** The members of a room, at most {@code limit}. */
    public CompletionStage<Presence> roomMembers(String room, int limit) {
        return router.presence(room, limit);
    }

    /**
     * Kicks every connection of {@code user} with {@code admin}.
     *
     * @return completes with the number of connections kicked
     */
    public CompletionStage<Integer> disconnectUser(String user) {
        return router.disconnect(user, KickReason.ADMIN);
    }

    /** This node's state and counters. */
    public GatewayStatistics statistics() {
        Map<KickReason, Long> kicks = new EnumMap<>(KickReason.class);
        for (KickReason r : KickReason.values()) {
            kicks.put(r, metrics.kicks(r));
        }
        Map<ErrorCode, Long> errors = new EnumMap<>(ErrorCode.class);
        for (ErrorCode c : ErrorCode.values()) {
            errors.put(c, metrics.errors(c));
        }
        long opened = 0;
        long closed = 0;
        for (Transport t : Transport.values()) {
            opened += metrics.opened(t);
            closed += metrics.closed(t);
        }
        return new GatewayStatistics(connections.size(), connections.authenticatedCount(), connections.userCount(),
                rooms.size(), connections.maxConnections(), opened, closed, metrics.rejectedConnections(),
                connections.averageAgeMillis(clock.getAsLong()), metrics.bytesIn(), metrics.bytesOut(),
                metrics.messagesIn(), metrics.messagesOut(), metrics.deliveries(), kicks, errors);
    }

    /** {@code true} once {@link #shutdown()} has begun. */
    public boolean isDraining() {
        return draining;
    }

    /**
     * Kicks every connection with {@code shutdown}. The caller stops accepting connections first.
     *
     * @return completes when every kicked connection is closed
     */
    public CompletableFuture<Void> shutdown() {
        draining = true;
        List<Connection> all = connections.snapshot();
        CompletableFuture<?>[] closed = new CompletableFuture<?>[all.size()];
        for (int i = 0; i < all.size(); i++) {
            ChannelFuture f = all.get(i).kick(KickReason.SHUTDOWN);
            CompletableFuture<Void> done = new CompletableFuture<>();
            f.addListener(x -> done.complete(null));
            closed[i] = done;
        }
        return CompletableFuture.allOf(closed);
    }

    /** Creates the router once the engine's local parts exist. */
    @FunctionalInterface
    public interface RouterFactory {
        /**
         * @param gateway  the engine being built (registry, rooms, metrics, config, clock, authenticator and access
         *                 policy are ready; the router is not)
         * @param delivery writes to this node's connections
         */
        Router create(Gateway gateway, LocalDelivery delivery);
    }

    /** Builds a {@link Gateway}. */
    public static final class Builder {
        private final GatewayConfig config;
        private Authenticator authenticator;
        private RouterFactory routerFactory = LocalRouter::new;
        private EventExecutor groupExecutor = GlobalEventExecutor.INSTANCE;
        private Ticker ticker = Ticker.systemTicker();
        private LongSupplier clock = System::currentTimeMillis;
        private Supplier<SslContext> sslContext;

        private Builder(GatewayConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** How tokens become user ids (required). */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = authenticator;
            return this;
        }

        /** The router; by default a {@link LocalRouter} for a single node. */
        public Builder routerFactory(RouterFactory routerFactory) {
            this.routerFactory = routerFactory;
            return this;
        }

        /** Executor for channel-group bookkeeping; by default Netty's global executor. */
        public Builder groupExecutor(EventExecutor groupExecutor) {
            this.groupExecutor = groupExecutor;
            return this;
        }

        /** Monotonic time for policies (rate limits); by default the system ticker. */
        public Builder ticker(Ticker ticker) {
            this.ticker = ticker;
            return this;
        }

        /** Wall clock in epoch milliseconds for message timestamps and connection ages. */
        public Builder clock(LongSupplier clock) {
            this.clock = clock;
            return this;
        }

        /**
         * TLS on both ports: each new connection gets a handler from the context the supplier returns at that
         * moment, so an application that reloads its certificate swaps what the supplier returns, and open
         * connections keep theirs. The supplier is called on event loops and must not block. {@code null} (the
         * default) for plain connections.
         */
        public Builder sslContext(Supplier<SslContext> sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        public Gateway build() {
            Objects.requireNonNull(authenticator, "authenticator");
            Objects.requireNonNull(routerFactory, "routerFactory");
            Objects.requireNonNull(groupExecutor, "groupExecutor");
            Objects.requireNonNull(ticker, "ticker");
            Objects.requireNonNull(clock, "clock");
            return new Gateway(this);
        }
    }
}
