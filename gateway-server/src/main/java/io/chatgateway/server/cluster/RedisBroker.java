package io.chatgateway.server.cluster;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.pubsub.RedisPubSubListener;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The seam between {@link RedisCluster} (lease, resync, deferred clean-ups, the router's operations) and the Redis
 * it talks to: one Redis ({@link SingleRedisBroker}, {@code redis://}) or a Redis Cluster
 * ({@link ShardedRedisBroker}, {@code redis-cluster://}), whose keys, scripts and channels are laid out per slot.
 *
 * <p>Every script reply keeps the shape of the single-Redis scripts ({@code tick.lua}, {@code presence.lua},
 * {@code nodes.lua}, one result per operation of {@code ops.lua}), so the code above does not know which it is.
 * All methods are called on the cluster's control event loop except {@link #runBatch} (the batcher's) and
 * {@link #subscribe} / {@link #unsubscribe} (any thread).
 */
interface RedisBroker {
    /**
     * Opens the command and pub/sub connections that are not open yet; {@code listener} gets every message of
     * every channel this broker subscribes to.
     */
    CompletableFuture<Void> connect(RedisPubSubListener<String, byte[]> listener);

    /** Both connections exist (they may be reconnecting). */
    boolean connected();

    /** Both connections are up. */
    boolean isOpen();

    /** Whether a connection event of the client is about this broker's connections. */
    boolean owns(RedisChannelHandler<?, ?> connection);

    /**
     * Runs a batch of operations in order (per slot, for a sharded broker).
     *
     * @param common the script's common arguments (cluster name, node, key ttl, history settings)
     * @param deadline the batch's deadline (epoch ms), after which deliveries are dropped
     * @return one element per operation: its result, or the {@link Throwable} it failed with
     */
    CompletableFuture<List<Object>> runBatch(List<Op> batch, byte[][] common, long deadline);

    /** The lease refresh; answers as {@code tick.lua}: had keys, was reaped, live nodes, other run, reaped... */
    CompletableFuture<List<Object>> tick(byte[][] common, long leaseMillis, byte[] stats, byte[] run);

    /** {@code reset.lua}'s modes: depart, restart, or drop quietly. */
    CompletableFuture<?> reset(byte[][] common, String mode);

    /** {@code presence.lua}'s answer: users of the other live nodes (at most {@code limit}), more. */
    CompletableFuture<List<Object>> presence(byte[][] common, String room, int limit);

    /** {@code nodes.lua}'s answer: node, deadline, statistics, connections per live node. */
    CompletableFuture<List<Object>> nodes(byte[][] common);

    /**
     * The run id of the Redis server the commands go to ({@code INFO server}; a Redis Cluster: of every primary), to
     * tell a failover or restart, after which the node registers everything again; {@code null} when it cannot say.
     */
    CompletableFuture<String> serverRunId();

    /** Subscribes to a channel (sharded channels for a sharded broker); completes when Redis confirmed it. */
    CompletableFuture<Void> subscribe(String channel);

    void unsubscribe(String channel);

    /** Publishes on this node's own inbox (the lag probe). */
    void publishToInbox(byte[] payload);

    /** Channels the broker subscribes to by itself (a sharded broker's per-user channels), again after a resync. */
    CompletableFuture<Void> resubscribeOwn();

    String inboxChannel();

    String roomChannel(String room);

    /** Closes the connections and the client. */
    void close(java.time.Duration timeout);
}
