package io.chatgateway.server.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One Redis (or a primary behind Sentinel): two connections, one pipelining commands, one for pub/sub; every key
 * and channel on that one server, every batch one {@code ops.lua} call.
 */
final class SingleRedisBroker implements RedisBroker {
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final ClusterConfig config;
    private final String inbox;
    private final RedisClient client;
    private final RedisURI uri;
    private volatile StatefulRedisConnection<String, byte[]> commands;
    private volatile StatefulRedisPubSubConnection<String, byte[]> pubsub;

    SingleRedisBroker(ClusterConfig config, String nodeId, ClientResources resources, ClientOptions options,
                      RedisConnectionStateListener events) {
        this.config = config;
        this.inbox = config.name() + ":in:" + nodeId;
        this.uri = RedisURI.create(config.redisUri());
        uri.setTimeout(config.timeout());
        for (RedisURI sentinel : uri.getSentinels()) {
            // Sentinel URIs: the primary is looked up through these at every (re)connection.
            sentinel.setTimeout(config.timeout());
        }
        this.client = RedisClient.create(resources, uri);
        client.setOptions(options);
        client.addListener(events);
    }

    @Override
    public CompletableFuture<Void> connect(RedisPubSubListener<String, byte[]> listener) {
        CompletableFuture<?> c = commands != null ? CompletableFuture.completedFuture(null)
                : client.connectAsync(CODEC, uri).toCompletableFuture().thenAccept(conn -> commands = conn);
        CompletableFuture<?> p = pubsub != null ? CompletableFuture.completedFuture(null)
                : client.connectPubSubAsync(CODEC, uri).toCompletableFuture().thenAccept(conn -> {
                    conn.addListener(listener);
                    pubsub = conn;
                });
        return CompletableFuture.allOf(c, p);
    }

    @Override
    public boolean connected() {
        return commands != null && pubsub != null;
    }

    @Override
    public boolean isOpen() {
        StatefulRedisConnection<String, byte[]> c = commands;
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        return c != null && p != null && c.isOpen() && p.isOpen();
    }

    @Override
    public boolean owns(RedisChannelHandler<?, ?> connection) {
        return connection == commands || connection == pubsub;
    }

    @Override
    public CompletableFuture<List<Object>> runBatch(List<Op> batch, byte[][] common, long deadline) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null) {
            return CompletableFuture.failedFuture(new io.chatgateway.routing.UnavailableException(
                    "not connected to Redis"));
        }
        byte[][] a = new byte[common.length + 1 + batch.size() * 4][];
        System.arraycopy(common, 0, a, 0, common.length);
        int i = common.length;
        a[i++] = RedisCluster.utf8(Long.toString(deadline));
        for (Op op : batch) {
            a[i++] = RedisCluster.utf8(op.code);
            a[i++] = op.a;
            a[i++] = op.b;
            a[i++] = op.c;
        }
        return Scripts.run(c.async(), Scripts.OPS, a).thenApply(reply -> {
            if (reply.size() != batch.size()) {
                throw new IllegalStateException("ops.lua answered " + reply.size() + " of " + batch.size());
            }
            return reply;
        });
    }

    @Override
    public CompletableFuture<List<Object>> tick(byte[][] common, long leaseMillis, byte[] stats, byte[] run) {
        return Scripts.run(commands.async(), Scripts.TICK,
                args(common, RedisCluster.utf8(Long.toString(leaseMillis)), stats, run));
    }

    @Override
    public CompletableFuture<?> reset(byte[][] common, String mode) {
        return Scripts.run(commands.async(), Scripts.RESET, args(common, RedisCluster.utf8(mode)));
    }

    @Override
    public CompletableFuture<List<Object>> presence(byte[][] common, String room, int limit) {
        return Scripts.run(commands.async(), Scripts.PRESENCE, args(common,
                RedisCluster.utf8(room == null ? "" : room), RedisCluster.utf8(Integer.toString(limit))));
    }

    @Override
    public CompletableFuture<List<Object>> nodes(byte[][] common) {
        return Scripts.run(commands.async(), Scripts.NODES, common);
    }

    @Override
    public CompletableFuture<String> serverRunId() {
        return commands.async().info("server").toCompletableFuture().handle((info, error) -> {
            if (error != null) {
                Throwable cause = RedisCluster.rootCause(error);
                if (cause instanceof RedisCommandExecutionException && !RedisCluster.isTransient(cause)) {
                    // INFO renamed or refused: a failover is noticed by missing keys only.
                    return null;
                }
                throw new CompletionException(cause);
            }
            for (String line : info.split("\r?\n")) {
                if (line.startsWith("run_id:")) {
                    return line.substring("run_id:".length()).trim();
                }
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> subscribe(String channel) {
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p == null) {
            return CompletableFuture.failedFuture(new io.chatgateway.routing.UnavailableException(
                    "not connected to Redis"));
        }
        return p.async().subscribe(channel).toCompletableFuture();
    }

    @Override
    public void unsubscribe(String channel) {
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p != null) {
            // A failure while disconnected is harmless: the resubscription after it only covers counted rooms.
            p.async().unsubscribe(channel);
        }
    }

    @Override
    public void publishToInbox(byte[] payload) {
        commands.async().publish(inbox, payload);
    }

    @Override
    public CompletableFuture<Void> resubscribeOwn() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public String inboxChannel() {
        return inbox;
    }

    @Override
    public String roomChannel(String room) {
        return config.name() + ":room:" + room;
    }

    @Override
    public void close(Duration timeout) {
        closeQuietly(pubsub);
        closeQuietly(commands);
        try {
            client.shutdown(Duration.ZERO, timeout);
        } catch (RuntimeException e) {
            // closing anyway
        }
    }

    static byte[][] args(byte[][] common, byte[]... more) {
        byte[][] a = new byte[common.length + more.length][];
        System.arraycopy(common, 0, a, 0, common.length);
        System.arraycopy(more, 0, a, common.length, more.length);
        return a;
    }

    static void closeQuietly(StatefulConnection<?, ?> c) {
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
    }
}
