package io.chatgateway.server.cluster;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.GatewayStatistics;
import io.chatgateway.room.Room;
import io.chatgateway.routing.UnavailableException;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
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
 * <p>It owns the node's lease, its resynchronisation after an outage, the clean-ups that wait for the broker, and
 * the {@link io.chatgateway.routing.Router} it gives the engine; it reaches Redis through a {@link RedisBroker}: one
 * Redis ({@code redis://}, two connections: one pipelining commands, one for pub/sub) or a Redis Cluster
 * ({@code redis-cluster://}, keys and pub/sub sharded by slot). Life cycle, as {@code GatewayServer} drives it:
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
    /** Clean-up operations kept while the broker is down; beyond it the next resync rewrites the node's keys. */
    static final int MAX_DEFERRED = 200_000;

    private final ClusterConfig config;
    private final String nodeId;
    /**
     * Cluster name, node id, key ttl, history settings and the Redis server's run id: the first arguments of every
     * script (see common.lua).
     */
    private volatile byte[][] commonArgs;
    private volatile GatewayConfig engineConfig;
    private final ClusterStatus status;
    private final RoomSubscriptions subscriptions;
    private final Object lock = new Object();
    private final ArrayDeque<Op> deferred = new ArrayDeque<>();
    private boolean deferredOverflow;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Tells this run's writes from those of another process started with the same node id. */
    private final byte[] run = utf8(Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36));

    private volatile Gateway gateway;
    private volatile ClusterRouter router;

    private ClientResources resources;
    /** One Redis or a Redis Cluster, by the URI's scheme. */
    private RedisBroker broker;
    private EventExecutor control;
    private OpBatcher batcher;
    private ScheduledFuture<?> ticker;
    private volatile boolean stopped;
    // Control-loop state.
    private boolean connecting;
    private boolean resyncing;
    /** Sessions of this node the last resync found displaced by logins elsewhere (kicks it did not hear). */
    private final AtomicInteger replacedOnResync = new AtomicInteger();
    private boolean ticking;
    private boolean everAvailable;
    private int downEpoch;
    private String lastProblem;
    /** Run id of the Redis server this node last synchronised with (tells a failover or restart). */
    private String syncedRunId;

    /**
     * @param nodeId this node's id, as in the engine's configuration (it prefixes connection ids, which is how the
     *               scripts tell which node holds a connection)
     */
    public RedisCluster(ClusterConfig config, String nodeId) {
        this.config = config;
        this.nodeId = nodeId;
        this.status = new ClusterStatus(nodeId);
        this.engineConfig = GatewayConfig.builder().build();
        this.commonArgs = commonArgs(engineConfig, "");
        this.subscriptions = new RoomSubscriptions(room -> subscribe(broker.roomChannel(room)), this::unsubscribe);
    }

    private byte[][] commonArgs(GatewayConfig engine, String server) {
        String history = engine.historySize() + " " + engine.historyTtl().toMillis() + " " + engine.inboxSize() + " "
                + engine.inboxTtl().toMillis() + " " + engine.roomEventsMaxMembers() + " " + server;
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
            engineConfig = g.config();
            commonArgs = commonArgs(engineConfig, "");
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
        control = group.next();
        broker = config.isRedisCluster()
                ? new ShardedRedisBroker(config, nodeId, resources, new ConnectionListener(), this, control)
                : new SingleRedisBroker(config, nodeId, resources, clientOptions(config), new ConnectionListener());
        batcher = new OpBatcher(control, this::sendBatch);
        log.info("Cluster mode: {} as node {}, Redis I/O on {} event loops", config, nodeId,
                shared ? "the gateway's" : "its own");
        control.execute(this::connect);
        long tick = config.tick().toNanos();
        ticker = control.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    }

    /**
     * Options of the Lettuce client: fail at once while disconnected, and never replay a command after a
     * reconnection, because a delivery answered "unavailable" must not happen later behind the client's back.
     */
    static ClientOptions clientOptions(ClusterConfig config) {
        return ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(config.timeout()).keepAlive(true).build())
                .build();
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
        if (stopped || broker == null) {
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
        if (broker.isOpen() && status.brokerState() != ClusterStatus.BrokerState.CONNECTING) {
            try {
                broker.reset(commonArgs, "depart").get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
                log.info("Left the cluster: node {} removed from Redis", nodeId);
            } catch (Exception e) {
                log.warn("Could not remove node {} from Redis ({}); its keys expire within {} ms", nodeId,
                        rootCause(e).toString(), config.keyTtl().toMillis());
            } catch (Throwable t) {
                log.warn("Could not remove node {} from Redis", nodeId, t);
            }
        }
        status.state(ClusterStatus.BrokerState.STOPPED);
        broker.close(config.timeout());
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
        if (!status.isBrokerAvailable() || !broker.connected()) {
            return CompletableFuture.completedFuture(ClusterStatistics.of(List.of(self), false));
        }
        return broker.nodes(commonArgs).handle((reply, error) -> {
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

    /** The router this cluster gave the engine (for tests). */
    ClusterRouter router() {
        return router;
    }

    boolean isAvailable() {
        return status.isBrokerAvailable();
    }

    Gateway gateway() {
        return gateway;
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
        if (!status.isBrokerAvailable() || !broker.connected()) {
            return CompletableFuture.failedFuture(unavailable("broker unavailable"));
        }
        return broker.presence(commonArgs, room, limit).handle((reply, error) -> {
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

    static boolean isTransient(Throwable executionError) {
        String m = String.valueOf(executionError.getMessage());
        return m.startsWith("BUSY") || m.startsWith("LOADING") || m.startsWith("OOM") || m.startsWith("MASTERDOWN")
                || m.startsWith("READONLY") || m.startsWith("TRYAGAIN") || m.startsWith("CLUSTERDOWN");
    }

    // ---- batches

    private CompletionStage<?> sendBatch(List<Op> batch) {
        if (!broker.connected()) {
            failBatch(batch, new UnavailableException("not connected to Redis"));
            return CompletableFuture.completedFuture(null);
        }
        status.batch(batch.size());
        inFlight.incrementAndGet();
        return broker.runBatch(batch, commonArgs, System.currentTimeMillis() + config.timeout().toMillis())
                .whenComplete((reply, error) -> {
                    inFlight.decrementAndGet();
                    if (error != null) {
                        failBatch(batch, error);
                        return;
                    }
                    for (int k = 0; k < batch.size(); k++) {
                        Op op = batch.get(k);
                        Object r = reply.get(k);
                        if (r instanceof Throwable) {
                            failBatch(List.of(op), (Throwable) r);
                        } else {
                            op.attempted.complete(null);
                            op.result.complete(r);
                        }
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
        if (stopped || connecting || broker.connected()) {
            return;
        }
        connecting = true;
        broker.connect(new Listener()).whenComplete((v, error) -> control.execute(() -> {
            connecting = false;
            if (stopped) {
                broker.close(config.timeout());
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
        if (!broker.connected()) {
            connect();
            return;
        }
        if (!broker.isOpen()) {
            // Lettuce is reconnecting; the next tick (or its connected event) tries again.
            markDown(new UnavailableException("connection to Redis lost"));
            return;
        }
        if (ticking) {
            // The previous refresh has not been answered yet (Redis is slow or stalled): do not pile up more.
            return;
        }
        ticking = true;
        runTick().whenComplete((reply, error) -> control.execute(() -> {
            ticking = false;
            afterTick(reply, error);
        }));
        if (status.isBrokerAvailable()) {
            broker.publishToInbox(Envelope.encode(Envelope.PROBE, nodeId, Long.toString(System.nanoTime()), "",
                    System.currentTimeMillis()));
        }
    }

    private CompletableFuture<List<Object>> runTick() {
        byte[] stats = StatisticsJson.write(System.currentTimeMillis(), gateway.statistics());
        return broker.tick(commonArgs, config.lease().toMillis(), stats, run);
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
     * them, or peers reaped the node) or cannot be trusted (first start, clean-ups lost, another Redis server than
     * the one last synchronised with) replaces them with every connection and membership it holds. Clean-ups that
     * waited for the broker are applied last (before the replacement when the server changed: its copy of the keys
     * may still have what they end, so they can announce {@code left}); then the node is available.
     */
    private void resync(boolean full, boolean announce, String resetMode) {
        resyncing = true;
        int epoch = downEpoch;
        boolean recovering = everAvailable && !status.isBrokerAvailable();
        status.state(ClusterStatus.BrokerState.RESYNCING);
        broker.serverRunId().whenComplete((runId, error) -> control.execute(() -> {
            if (stopped || error != null || epoch != downEpoch) {
                resyncing = false;
                if (!stopped && error != null) {
                    markDown(rootCause(error));
                }
                return;
            }
            // A replica promoted by a failover holds a copy of the keys that may lack the last writes (a login
            // welcomed, a connection gone), and a restarted Redis may have loaded an old snapshot: neither can be
            // trusted even though this node's keys are there.
            boolean moved = runId != null && syncedRunId != null && !runId.equals(syncedRunId);
            if (moved) {
                log.warn("Redis is another server than before (run id {} instead of {}: a failover or a restart); "
                        + "node {} registers its users and rooms again", runId, syncedRunId, nodeId);
            }
            if (runId != null) {
                // Histories written through another server start new epochs at their next use (see meta in
                // common.lua); the clean-ups and registrations below already speak for this one.
                commonArgs = commonArgs(engineConfig, runId);
            }
            resync(epoch, recovering, full || moved, moved && !full, announce, resetMode, runId);
        }));
    }

    private void resync(int epoch, boolean recovering, boolean full,
                        boolean cleanUpsFirst, boolean announce, String resetMode, String runId) {
        replacedOnResync.set(0);
        if (full) {
            synchronized (lock) {
                deferredOverflow = false;
            }
        }
        CompletableFuture<?> done = subscribe(broker.inboxChannel()).thenCompose(v -> subscriptions.resubscribeAll())
                .thenCompose(v -> broker.resubscribeOwn());
        if (cleanUpsFirst) {
            done = done.thenCompose(v -> applyDeferred());
        }
        if (full) {
            done = done.thenCompose(v -> broker.reset(commonArgs, resetMode))
                    .thenCompose(v -> runTick())
                    .thenCompose(v -> registerAll(announce));
        } else if (recovering && ClusterRouter.sessionLimit(engineConfig) > 0) {
            // The keys are intact, but a login elsewhere while this node was away may have kicked one of its
            // sessions through pub/sub, which keeps nothing: ask again, as that login did.
            done = done.thenCompose(v -> reregisterAll());
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
            if (runId != null) {
                syncedRunId = runId;
            }
            lastProblem = null;
            if (recovering) {
                status.reconnected();
                log.info("Broker available again: node {} resubscribed{}, {} deferred clean-ups applied{}", nodeId,
                        full ? " and registered its users and rooms again" : "", applied,
                        replacedOnResync.get() == 0 ? ""
                                : ", " + replacedOnResync.get() + " sessions replaced by logins elsewhere meanwhile");
            } else if (!everAvailable) {
                log.info("Joined the cluster as node {} ({} live nodes)", nodeId, status.liveNodes());
            }
            everAvailable = true;
        }));
    }

    /**
     * Sends the clean-ups that waited for the broker, in order, in batches of their own; completes when each batch
     * was answered or failed (a failed clean-up waits again).
     */
    private CompletableFuture<Void> applyDeferred() {
        List<Op> ops;
        synchronized (lock) {
            ops = new ArrayList<>(deferred);
            deferred.clear();
            status.deferred(0);
        }
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = 0; i < ops.size(); i += OpBatcher.MAX_OPS) {
            List<Op> batch = new ArrayList<>(ops.subList(i, Math.min(ops.size(), i + OpBatcher.MAX_OPS)));
            sent.add(sendBatch(batch).toCompletableFuture().handle((r, e) -> null));
        }
        return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0]));
    }

    /** Registers every connection again, with the session limit (see {@link #reregister}), and its rooms. */
    private CompletableFuture<Void> registerAll(boolean announce) {
        List<CompletableFuture<?>> all = new ArrayList<>(reregister());
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

    private CompletableFuture<Void> reregisterAll() {
        return CompletableFuture.allOf(reregister().toArray(new CompletableFuture<?>[0]));
    }

    /**
     * Registers each authenticated connection of this node again ({@link Op#reregister}): Redis applies the session
     * limit as it did for the logins made while this node was away, whose kicks for this node's sessions pub/sub did
     * not keep, and the sessions of this node beyond it are kicked here with {@code replaced}.
     */
    private List<CompletableFuture<Object>> reregister() {
        int limit = ClusterRouter.sessionLimit(engineConfig);
        ConnectionRegistry registry = gateway.connections();
        List<CompletableFuture<Object>> all = new ArrayList<>();
        for (Connection conn : registry.snapshot()) {
            if (conn.isAuthenticated() && conn.user() != null) {
                Op op = Op.reregister(conn.user(), conn.id(), limit);
                batcher.submit(op);
                all.add(op.result.thenApply(displaced -> {
                    replacedOnResync.addAndGet(ClusterRouter.kickDisplaced(registry, displaced, null));
                    return displaced;
                }));
            }
        }
        return all;
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
        RedisBroker b = broker;
        if (b == null) {
            return CompletableFuture.failedFuture(new UnavailableException("not connected to Redis"));
        }
        return b.subscribe(channel);
    }

    private void unsubscribe(String room) {
        RedisBroker b = broker;
        if (b != null) {
            b.unsubscribe(b.roomChannel(room));
        }
    }

    private final class Listener extends RedisPubSubAdapter<String, byte[]> {
        @Override
        public void smessage(String channel, byte[] message) {
            message(channel, message);
        }

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
            if (!stopped && ctl != null && broker != null && broker.owns(connection)) {
                ctl.execute(RedisCluster.this::tick);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (!stopped && broker != null && broker.owns(connection)) {
                markDown(new UnavailableException("connection to Redis lost"));
            }
        }
    }

    // ---- helpers

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
}
