package io.chatgateway.server.cluster;

import io.chatgateway.server.config.ServerConfig;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of cluster mode.
 *
 * @param redisUri the Redis shared by the nodes, e.g. {@code redis://redis:6379}
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
