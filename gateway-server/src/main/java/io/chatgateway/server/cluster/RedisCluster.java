package io.chatgateway.server.cluster;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.GatewayStatistics;
import io.chatgateway.room.Room;
import io.chatgateway.routing.UnavailableException;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.session.Connection;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cluster mode: this node's membership in a cluster of gateways that share one user space through Redis.
 *
 * <p>It owns the Redis client (two connections: one pipelining commands, one for pub/sub), the node's lease, and
 * the {@link io.chatgateway.routing.Router} it gives the engine. Life cycle, as {@code GatewayServer} drives it:
 * <pre>{@code
 * RedisCluster cluster = new RedisCluster(ClusterConfig.from(config), config.gateway().nodeId());
 * Gateway gateway = Gateway.builder(config.gateway()).routerFactory(cluster.routerFactory())...build();
 * // after the event loops exist, before the ports are bound:
 * cluster.start(group, "epoll"); // or "io_uring", "nio"
 * ...
 * // after the connections were kicked, before the event loops stop:
 * cluster.stop();
 * }</pre>
 *
 * <p>What lives in Redis, the lease, and what happens when Redis or a node fails is described in
 * {@code docs/cluster.md}. In short: every key a node writes belongs to that node and expires unless its lease
 * refresh keeps it alive; registry writes and deliveries are batched into one script call; a room message is one
 * publish on the room's channel, to which only nodes with members subscribe. While Redis is unreachable, anything
 * that needs another node fails with {@link UnavailableException} within the configured timeout, local delivery goes
 * on, and when Redis is back the node resubscribes and registers its users and rooms again by itself.
 */
public final class RedisCluster {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    /** Clean-up operations kept while the broker is down; beyond it the next resync rewrites the node's keys. */
    static final int MAX_DEFERRED = 200_000;

    private final ClusterConfig config;
    private final String nodeId;
    /** Cluster name, node id, key ttl, history settings: the first arguments of every script (see common.lua). */
    private volatile byte[][] commonArgs;
    private final ClusterStatus status;
    private final RoomSubscriptions subscriptions;
    private final String inbox;
    private final Object lock = new Object();
    private final ArrayDeque<Op> deferred = new ArrayDeque<>();
    private boolean deferredOverflow;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Tells this run's writes from those of another process started with the same node id. */
    private final byte[] run = utf8(Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36));

    private volatile Gateway gateway;
    private volatile ClusterRouter router;

    private ClientResources resources;
    private RedisClient client;
    private RedisURI uri;
    private EventExecutor control;
    private OpBatcher batcher;
    private ScheduledFuture<?> ticker;
    private volatile StatefulRedisConnection<String, byte[]> commands;
    private volatile StatefulRedisPubSubConnection<String, byte[]> pubsub;
    private volatile boolean stopped;
    // Control-loop state.
    private boolean connecting;
    private boolean resyncing;
    private boolean ticking;
    private boolean everAvailable;
    private int downEpoch;
    private String lastProblem;

    /**
     * @param nodeId this node's id, as in the engine's configuration (it prefixes connection ids, which is how the
     *               scripts tell which node holds a connection)
     */
    public RedisCluster(ClusterConfig config, String nodeId) {
        this.config = config;
        this.nodeId = nodeId;
        this.status = new ClusterStatus(nodeId);
        this.inbox = config.name() + ":in:" + nodeId;
        this.commonArgs = commonArgs(GatewayConfig.builder().build());
        this.subscriptions = new RoomSubscriptions(room -> subscribe(roomChannel(room)), this::unsubscribe);
    }

    private byte[][] commonArgs(GatewayConfig engine) {
        String history = engine.historySize() + " " + engine.historyTtl().toMillis() + " " + engine.inboxSize() + " "
                + engine.inboxTtl().toMillis() + " " + engine.roomEventsMaxMembers();
        return new byte[][] {utf8(config.name()), utf8(nodeId), utf8(Long.toString(config.keyTtl().toMillis())),
                utf8(history)};
    }

    /** The router factory to give {@link Gateway.Builder#routerFactory}. */
    public Gateway.RouterFactory routerFactory() {
        return (g, delivery) -> {
            if (!g.config().nodeId().equals(nodeId)) {
                throw new IllegalArgumentException("the engine's node id " + g.config().nodeId()
                        + " differs from the cluster's " + nodeId);
            }
            gateway = g;
            commonArgs = commonArgs(g.config());
            router = new ClusterRouter(this, g, delivery);
            return router;
        };
    }

    public ClusterConfig config() {
        return config;
    }

    /** Broker state, reconnections and pub/sub lag, for readiness and metrics. */
    public ClusterStatus status() {
        return status;
    }

    /**
     * Connects to Redis and starts the lease. Returns at once; the node becomes available when the first
     * connection and registration succeed (see {@link #awaitAvailable}), and keeps trying until then.
     *
     * @param group     the gateway's event loops, which the Redis connections share when the transports match
     * @param transport the gateway's transport, {@code io_uring}, {@code epoll} or {@code nio}
     */
    public void start(EventLoopGroup group, String transport) {
        if (router == null) {
            throw new IllegalStateException("the engine was not built with this cluster's routerFactory()");
        }
        SharedEventLoops.steerLettuce(transport);
        DefaultClientResources.Builder b = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS));
        boolean shared = SharedEventLoops.fits(transport);
        if (shared) {
            b.eventLoopGroupProvider(new SharedEventLoops(group)).eventExecutorGroup(group);
        } else {
            b.ioThreadPoolSize(1).computationThreadPoolSize(1);
        }
        resources = b.build();
        uri = RedisURI.create(config.redisUri());
        uri.setTimeout(config.timeout());
        client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Fail at once while disconnected, and never replay a command after a reconnection: a delivery
                // answered "unavailable" must not happen later behind the client's back.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(config.timeout()).keepAlive(true).build())
                .build());
        client.addListener(new ConnectionListener());
        control = group.next();
        batcher = new OpBatcher(control, this::sendBatch);
        log.info("Cluster mode: {} as node {}, Redis I/O on {} event loops", config, nodeId,
                shared ? "the gateway's" : "its own");
        control.execute(this::connect);
        long tick = config.tick().toNanos();
        ticker = control.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    }

    /**
     * Waits until the broker is available.
     *
     * @return {@code false} when it was not within {@code timeout}
     */
    public boolean awaitAvailable(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!status.isBrokerAvailable()) {
            if (System.nanoTime() > deadline || stopped) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Leaves the cluster: lets queued clean-ups reach Redis, drops this node's keys (announcing {@code left} for
     * memberships still recorded), and closes the Redis client. Call after the connections were closed and before
     * the event loops stop; never on an event loop.
     */
    public void stop() {
        if (stopped || client == null) {
            stopped = true;
            return;
        }
        stopped = true;
        if (ticker != null) {
            ticker.cancel(false);
        }
        long deadline = System.nanoTime() + config.timeout().toNanos() * 2;
        while ((batcher.queued() > 0 || inFlight.get() > 0) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c != null && c.isOpen() && status.brokerState() != ClusterStatus.BrokerState.CONNECTING) {
            try {
                Scripts.run(c.async(), Scripts.RESET, args(utf8("depart")))
                        .get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
                log.info("Left the cluster: node {} removed from Redis", nodeId);
            } catch (Exception e) {
                log.warn("Could not remove node {} from Redis ({}); its keys expire within {} ms", nodeId,
                        rootCause(e).toString(), config.keyTtl().toMillis());
            } catch (Throwable t) {
                log.warn("Could not remove node {} from Redis", nodeId, t);
            }
        }
        status.state(ClusterStatus.BrokerState.STOPPED);
        closeQuietly(pubsub);
        closeQuietly(c);
        try {
            client.shutdown(Duration.ZERO, config.timeout());
        } catch (RuntimeException e) {
            log.debug("Redis client shutdown: {}", e.toString());
        }
        resources.shutdown(0, config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Statistics of every live node and their total: the method the admin API calls. Completes with this node alone
     * (and {@code complete == false}) when the broker cannot be reached.
     */
    public CompletionStage<ClusterStatistics> statistics() {
        GatewayStatistics mine = gateway.statistics();
        ClusterStatistics.NodeStatistics self = new ClusterStatistics.NodeStatistics(nodeId, true,
                System.currentTimeMillis(), mine);
        StatefulRedisConnection<String, byte[]> c = commands;
        if (!status.isBrokerAvailable() || c == null) {
            return CompletableFuture.completedFuture(ClusterStatistics.of(List.of(self), false));
        }
        return Scripts.run(c.async(), Scripts.NODES, args()).handle((reply, error) -> {
            List<ClusterStatistics.NodeStatistics> nodes = new ArrayList<>();
            nodes.add(self);
            if (error != null) {
                return ClusterStatistics.of(nodes, false);
            }
            for (Object o : reply) {
                List<?> row = (List<?>) o;
                String node = string(row.get(0));
                if (node.equals(nodeId)) {
                    continue;
                }
                StatisticsJson.Stamped s = StatisticsJson.read((byte[]) row.get(2));
                if (s != null) {
                    nodes.add(new ClusterStatistics.NodeStatistics(node, false, s.at(), s.stats()));
                }
            }
            return ClusterStatistics.of(nodes, true);
        });
    }

    // ---- for the router

    String nodeId() {
        return nodeId;
    }

    boolean isAvailable() {
        return status.isBrokerAvailable();
    }

    RoomSubscriptions subscriptions() {
        return subscriptions;
    }

    UnavailableException unavailable(String what) {
        status.unavailable();
        String problem = lastProblem;
        return new UnavailableException(what + " (broker " + status.brokerState().name().toLowerCase(Locale.ROOT)
                + (problem == null ? "" : ": " + problem) + ")");
    }

    /**
     * Sends an operation with the next batch.
     *
     * @return its result; fails with {@link UnavailableException} when the broker is not available
     */
    CompletableFuture<Object> submit(Op op) {
        if (!status.isBrokerAvailable()) {
            return CompletableFuture.failedFuture(unavailable("broker unavailable"));
        }
        batcher.submit(op);
        return op.result;
    }

    /**
     * Sends a clean-up operation now if the broker is available, else keeps it until the node has resynchronised.
     *
     * @return completes when it has been applied, however late
     */
    CompletableFuture<Object> submitDurable(Op op) {
        if (status.isBrokerAvailable()) {
            batcher.submit(op);
            return op.result;
        }
        synchronized (lock) {
            if (status.isBrokerAvailable()) {
                batcher.submit(op);
            } else {
                deferLocked(op);
            }
        }
        return op.result;
    }

    private void deferLocked(Op op) {
        op.attempted.complete(null);
        if (deferred.size() >= MAX_DEFERRED) {
            // The next resync rewrites the node's keys from its memory instead.
            deferredOverflow = true;
            op.result.complete(0L);
            return;
        }
        deferred.add(op);
        status.deferred(deferred.size());
    }

    /** Who is online on the other nodes: {@code [users, more]} from {@code presence.lua}. */
    CompletableFuture<List<Object>> presence(String room, int limit) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (!status.isBrokerAvailable() || c == null) {
            return CompletableFuture.failedFuture(unavailable("broker unavailable"));
        }
        return Scripts.run(c.async(), Scripts.PRESENCE, args(utf8(room == null ? "" : room),
                utf8(Integer.toString(limit)))).handle((reply, error) -> {
                    if (error != null) {
                        throw new CompletionException(failure("presence", error));
                    }
                    return reply;
                });
    }

    /** The exception an operation fails with after a Redis error; connectivity problems mark the broker down. */
    UnavailableException failure(String what, Throwable error) {
        Throwable cause = rootCause(error);
        if (cause instanceof UnavailableException) {
            return (UnavailableException) cause;
        }
        if (!(cause instanceof RedisCommandExecutionException) || isTransient(cause)) {
            markDown(cause);
        } else {
            log.warn("Redis refused {}: {}", what, cause.toString());
        }
        return unavailable(what + " failed: " + cause.getMessage());
    }

    private static boolean isTransient(Throwable executionError) {
        String m = String.valueOf(executionError.getMessage());
        return m.startsWith("BUSY") || m.startsWith("LOADING") || m.startsWith("OOM") || m.startsWith("MASTERDOWN")
                || m.startsWith("READONLY") || m.startsWith("TRYAGAIN") || m.startsWith("CLUSTERDOWN");
    }

    // ---- batches

    private CompletionStage<?> sendBatch(List<Op> batch) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null) {
            failBatch(batch, new UnavailableException("not connected to Redis"));
            return CompletableFuture.completedFuture(null);
        }
        byte[][] a = new byte[commonArgs.length + 1 + batch.size() * 4][];
        System.arraycopy(commonArgs, 0, a, 0, commonArgs.length);
        int i = commonArgs.length;
        a[i++] = utf8(Long.toString(System.currentTimeMillis() + config.timeout().toMillis()));
        for (Op op : batch) {
            a[i++] = utf8(op.code);
            a[i++] = op.a;
            a[i++] = op.b;
            a[i++] = op.c;
        }
        status.batch(batch.size());
        inFlight.incrementAndGet();
        return Scripts.run(c.async(), Scripts.OPS, a).whenComplete((reply, error) -> {
            inFlight.decrementAndGet();
            if (error == null && reply.size() == batch.size()) {
                for (int k = 0; k < batch.size(); k++) {
                    Op op = batch.get(k);
                    op.attempted.complete(null);
                    op.result.complete(reply.get(k));
                }
            } else {
                failBatch(batch, error != null ? error
                        : new IllegalStateException("ops.lua answered " + reply.size() + " of " + batch.size()));
            }
        });
    }

    private void failBatch(List<Op> batch, Throwable error) {
        UnavailableException e = failure("registry batch", error);
        boolean retry = !(rootCause(error) instanceof RedisCommandExecutionException) || isTransient(rootCause(error));
        synchronized (lock) {
            for (Op op : batch) {
                op.attempted.complete(null);
                if (op.durable && retry) {
                    deferLocked(op);
                } else {
                    op.result.completeExceptionally(e);
                }
            }
        }
    }

    // ---- connections, lease and resync: on the control event loop

    private void connect() {
        if (stopped || connecting || commands != null && pubsub != null) {
            return;
        }
        connecting = true;
        CompletableFuture<?> c = commands != null ? CompletableFuture.completedFuture(null)
                : client.connectAsync(CODEC, uri).toCompletableFuture().thenAccept(conn -> commands = conn);
        CompletableFuture<?> p = pubsub != null ? CompletableFuture.completedFuture(null)
                : client.connectPubSubAsync(CODEC, uri).toCompletableFuture().thenAccept(conn -> {
                    conn.addListener(new Listener());
                    pubsub = conn;
                });
        CompletableFuture.allOf(c, p).whenComplete((v, error) -> control.execute(() -> {
            connecting = false;
            if (stopped) {
                closeQuietly(pubsub);
                closeQuietly(commands);
                return;
            }
            if (error != null) {
                problem("cannot connect to Redis at " + ServerConfig.maskPassword(config.redisUri()), rootCause(error));
                return;
            }
            tick();
        }));
    }

    private void tick() {
        if (stopped) {
            return;
        }
        StatefulRedisConnection<String, byte[]> c = commands;
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (c == null || p == null) {
            connect();
            return;
        }
        if (!c.isOpen() || !p.isOpen()) {
            // Lettuce is reconnecting; the next tick (or its connected event) tries again.
            markDown(new UnavailableException("connection to Redis lost"));
            return;
        }
        if (ticking) {
            // The previous refresh has not been answered yet (Redis is slow or stalled): do not pile up more.
            return;
        }
        ticking = true;
        runTick(c).whenComplete((reply, error) -> control.execute(() -> {
            ticking = false;
            afterTick(reply, error);
        }));
        if (status.isBrokerAvailable()) {
            c.async().publish(inbox, Envelope.encode(Envelope.PROBE, nodeId, Long.toString(System.nanoTime()), "",
                    System.currentTimeMillis()));
        }
    }

    private CompletableFuture<List<Object>> runTick(StatefulRedisConnection<String, byte[]> c) {
        byte[] stats = StatisticsJson.write(System.currentTimeMillis(), gateway.statistics());
        return Scripts.run(c.async(), Scripts.TICK, args(utf8(Long.toString(config.lease().toMillis())), stats, run));
    }

    private void afterTick(List<Object> reply, Throwable error) {
        if (stopped) {
            return;
        }
        if (error != null) {
            markDown(rootCause(error));
            return;
        }
        boolean had = ((Long) reply.get(0)) == 1;
        boolean reaped = ((Long) reply.get(1)) == 1;
        status.liveNodes(((Long) reply.get(2)).intValue());
        if (((Long) reply.get(3)) == 1 && everAvailable) {
            log.error("Another gateway process writes to Redis as node {}: node ids must be unique in a cluster "
                    + "(unset GATEWAY_NODE_ID to get a random one)", nodeId);
        }
        for (int i = 4; i < reply.size(); i++) {
            status.reaped();
            log.warn("Node {} missed its lease: dropped its users and rooms from the cluster", string(reply.get(i)));
        }
        if (resyncing) {
            return;
        }
        boolean overflow;
        synchronized (lock) {
            overflow = deferredOverflow;
        }
        if (reaped) {
            log.warn("This node missed its lease and was dropped by its peers; registering its users and rooms again");
        }
        if (!everAvailable) {
            // First registration of this run: whatever an earlier run under this node id left is stale.
            resync(true, false, had ? "restart" : "reset");
        } else if (!status.isBrokerAvailable() || !had || reaped || overflow) {
            resync(!had || reaped || overflow, reaped, "reset");
        } else {
            drainDeferred();
        }
    }

    /**
     * Brings Redis back in line with this node's memory: resubscribes, and when the node's keys are gone (Redis lost
     * them, or peers reaped the node) or cannot be trusted (first start, clean-ups lost) replaces them with every
     * connection and membership it holds. Clean-ups that waited for the broker are applied last; then the node is
     * available.
     */
    private void resync(boolean full, boolean announce, String resetMode) {
        resyncing = true;
        int epoch = downEpoch;
        boolean recovering = everAvailable && !status.isBrokerAvailable();
        status.state(ClusterStatus.BrokerState.RESYNCING);
        if (full) {
            synchronized (lock) {
                deferredOverflow = false;
            }
        }
        StatefulRedisConnection<String, byte[]> c = commands;
        CompletableFuture<?> done = subscribe(inbox).thenCompose(v -> subscriptions.resubscribeAll());
        if (full) {
            done = done.thenCompose(v -> Scripts.run(c.async(), Scripts.RESET, args(utf8(resetMode))))
                    .thenCompose(v -> runTick(c))
                    .thenCompose(v -> registerAll(announce));
        }
        done.whenComplete((v, error) -> control.execute(() -> {
            resyncing = false;
            if (stopped) {
                return;
            }
            if (error != null || epoch != downEpoch) {
                if (error != null) {
                    markDown(rootCause(error));
                }
                return;
            }
            int applied;
            synchronized (lock) {
                applied = deferred.size();
                drainDeferredLocked();
                status.state(ClusterStatus.BrokerState.AVAILABLE);
            }
            lastProblem = null;
            if (recovering) {
                status.reconnected();
                log.info("Broker available again: node {} resubscribed{}, {} deferred clean-ups applied", nodeId,
                        full ? " and registered its users and rooms again" : "", applied);
            } else if (!everAvailable) {
                log.info("Joined the cluster as node {} ({} live nodes)", nodeId, status.liveNodes());
            }
            everAvailable = true;
        }));
    }

    private CompletableFuture<Void> registerAll(boolean announce) {
        List<CompletableFuture<Object>> all = new ArrayList<>();
        for (Connection conn : gateway.connections().snapshot()) {
            if (conn.isAuthenticated() && conn.user() != null) {
                Op op = Op.register(conn.user(), conn.id(), 0);
                batcher.submit(op);
                all.add(op.result);
            }
        }
        for (Room room : gateway.rooms().rooms()) {
            for (Channel ch : room.members()) {
                Connection conn = Connection.of(ch);
                if (conn != null && conn.user() != null) {
                    Op op = Op.join(room.name(), conn.user(), conn.id(), announce);
                    batcher.submit(op);
                    all.add(op.result);
                }
            }
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    private void drainDeferred() {
        synchronized (lock) {
            if (status.isBrokerAvailable()) {
                drainDeferredLocked();
            }
        }
    }

    private void drainDeferredLocked() {
        Op op;
        while ((op = deferred.poll()) != null) {
            batcher.submit(op);
        }
        status.deferred(0);
    }

    private void markDown(Throwable cause) {
        if (stopped) {
            return;
        }
        EventExecutor ctl = control;
        if (ctl == null) {
            return;
        }
        if (!ctl.inEventLoop()) {
            ctl.execute(() -> markDown(cause));
            return;
        }
        downEpoch++;
        ClusterStatus.BrokerState before = status.brokerState();
        if (before == ClusterStatus.BrokerState.AVAILABLE || before == ClusterStatus.BrokerState.RESYNCING) {
            status.state(ClusterStatus.BrokerState.UNAVAILABLE);
            lastProblem = cause.getMessage();
            log.warn("Broker unavailable ({}): cross-node operations answer unavailable until Redis is back",
                    cause.toString());
        } else if (before == ClusterStatus.BrokerState.CONNECTING) {
            problem("Redis not ready", cause);
        }
    }

    private void problem(String what, Throwable cause) {
        String text = what + ": " + cause;
        if (!text.equals(lastProblem)) {
            log.warn("{}; retrying", text);
        }
        lastProblem = text;
    }

    // ---- pub/sub

    private CompletableFuture<Void> subscribe(String channel) {
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p == null) {
            return CompletableFuture.failedFuture(new UnavailableException("not connected to Redis"));
        }
        return p.async().subscribe(channel).toCompletableFuture();
    }

    private void unsubscribe(String room) {
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p != null) {
            // A failure while disconnected is harmless: the resubscription after it only covers counted rooms.
            p.async().unsubscribe(roomChannel(room));
        }
    }

    String roomChannel(String room) {
        return config.name() + ":room:" + room;
    }

    private final class Listener extends RedisPubSubAdapter<String, byte[]> {
        @Override
        public void message(String channel, byte[] message) {
            status.received();
            Envelope e;
            try {
                e = Envelope.decode(message);
            } catch (IllegalArgumentException ex) {
                log.warn("Ignoring a message on {}: {}", channel, ex.getMessage());
                return;
            }
            if (e.kind == Envelope.PROBE) {
                if (nodeId.equals(e.origin)) {
                    try {
                        status.lag(System.nanoTime() - Long.parseLong(e.a));
                    } catch (NumberFormatException ignored) {
                        // not ours
                    }
                }
                return;
            }
            try {
                router.onEnvelope(e);
            } catch (RuntimeException ex) {
                log.warn("Failed to deliver {} from {}", e, channel, ex);
            }
        }
    }

    private final class ConnectionListener implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            EventExecutor ctl = control;
            if (!stopped && ctl != null && (connection == commands || connection == pubsub)) {
                ctl.execute(RedisCluster.this::tick);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (!stopped && (connection == commands || connection == pubsub)) {
                markDown(new UnavailableException("connection to Redis lost"));
            }
        }
    }

    // ---- helpers

    private byte[][] args(byte[]... more) {
        byte[][] a = new byte[commonArgs.length + more.length][];
        System.arraycopy(commonArgs, 0, a, 0, commonArgs.length);
        System.arraycopy(more, 0, a, commonArgs.length, more.length);
        return a;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(Object bulk) {
        return bulk instanceof byte[] ? new String((byte[]) bulk, StandardCharsets.UTF_8) : String.valueOf(bulk);
    }

    static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static void closeQuietly(StatefulConnection<?, ?> c) {
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
    }
}
