package io.chatgateway.server.cluster;

import io.chatgateway.server.config.ServerConfig;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of cluster mode.
 *
 * @param redisUri the Redis shared by the nodes, e.g. {@code redis://redis:6379}, or a Redis Cluster:
 *                 {@code redis-cluster://[user:password@]host:port,host:port} (seed nodes; keys and channels are then
 *                 sharded by slot, see docs/cluster.md)
 * @param name     prefix of every key and channel; nodes with the same name form one cluster
 * @param lease    a node that has not refreshed its lease for this long is dead: its users and memberships go
 * @param timeout  the most a Redis call may take before the operation that needs it answers {@code unavailable}
 */
public record ClusterConfig(String redisUri, String name, Duration lease, Duration timeout) {
    public static final String DEFAULT_NAME = "gw";
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(1500);
    /** The lease is refreshed at least this often, and three times per lease when the lease is shorter. */
    static final Duration MAX_TICK = Duration.ofSeconds(1);

    public ClusterConfig {
        Objects.requireNonNull(redisUri, "redisUri");
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9_-]{1,32}")) {
            throw new IllegalArgumentException("name: " + name + " (expected: 1-32 of [A-Za-z0-9_-])");
        }
        if (isClusterUri(redisUri)) {
            if (redisUri.replaceFirst("(?i)^rediss?-cluster://([^@]*@)?", "").replaceAll("[,\\s]", "").isEmpty()) {
                throw new IllegalArgumentException("redisUri: " + ServerConfig.maskPassword(redisUri)
                        + " (expected: redis-cluster://[user:password@]host:port[,host:port...])");
            }
        }
        if (lease.toMillis() < 300) {
            throw new IllegalArgumentException("lease: " + lease.toMillis() + "ms (expected: >= 300ms)");
        }
        if (timeout.toMillis() < 50) {
            throw new IllegalArgumentException("timeout: " + timeout.toMillis() + "ms (expected: >= 50ms)");
        }
    }

    /** The cluster settings of a server configuration, or {@code null} when it has no Redis URI. */
    public static ClusterConfig from(ServerConfig config) {
        if (!config.isClusterMode()) {
            return null;
        }
        return new ClusterConfig(config.redisUri(), config.clusterName(), config.clusterLease(),
                config.clusterTimeout());
    }

    /** The scheme of a Redis Cluster URI. */
    public static final String CLUSTER_SCHEME = "redis-cluster://";
    /** The scheme of a Redis Cluster URI over TLS. */
    public static final String CLUSTER_TLS_SCHEME = "rediss-cluster://";

    /** {@code true} when {@link #redisUri()} names a Redis Cluster (sharded keys and pub/sub). */
    public boolean isRedisCluster() {
        return isClusterUri(redisUri);
    }

    static boolean isClusterUri(String uri) {
        String lower = uri.toLowerCase(java.util.Locale.ROOT);
        return lower.startsWith(CLUSTER_SCHEME) || lower.startsWith(CLUSTER_TLS_SCHEME);
    }

    /**
     * The seed nodes of a Redis Cluster URI as plain Redis URIs: {@code redis-cluster://u:p@a:1,b:2} gives
     * {@code redis://u:p@a:1} and {@code redis://u:p@b:2}.
     */
    java.util.List<String> clusterSeeds() {
        if (!isRedisCluster()) {
            throw new IllegalStateException("not a Redis Cluster URI");
        }
        boolean tls = redisUri.toLowerCase(java.util.Locale.ROOT).startsWith(CLUSTER_TLS_SCHEME);
        String rest = redisUri.substring(tls ? CLUSTER_TLS_SCHEME.length() : CLUSTER_SCHEME.length());
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        String credentials = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            credentials = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        java.util.List<String> seeds = new java.util.ArrayList<>();
        for (String hostPort : rest.split(",")) {
            if (!hostPort.isBlank()) {
                seeds.add((tls ? "rediss://" : "redis://") + credentials + hostPort.trim());
            }
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("redisUri: " + ServerConfig.maskPassword(redisUri)
                    + " (expected: at least one host:port)");
        }
        return seeds;
    }

    /** How often the lease is refreshed. */
    Duration tick() {
        Duration third = Duration.ofMillis(lease.toMillis() / 3);
        return third.compareTo(MAX_TICK) < 0 ? third : MAX_TICK;
    }

    /**
     * Expiry of the keys a node owns: two leases, so that a peer can still read a dead node's keys to announce its
     * users' departure, and they go by themselves when no peer is left to do it.
     */
    Duration keyTtl() {
        return lease.multipliedBy(2);
    }

    @Override
    public String toString() {
        return "ClusterConfig{redis=" + ServerConfig.maskPassword(redisUri) + ", name=" + name + ", lease="
                + lease.toMillis() + "ms, timeout=" + timeout.toMillis() + "ms}";
    }
}
