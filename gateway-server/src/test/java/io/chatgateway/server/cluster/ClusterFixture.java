package io.chatgateway.server.cluster;

import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;

import java.util.EnumMap;
import java.util.Map;

/** In-process cluster nodes for tests: short leases, so that failures show within a couple of seconds. */
final class ClusterFixture {
    /** Lease of test nodes: a dead node is gone within this (plus a refresh). */
    static final int LEASE_MS = 1000;
    /** Redis call timeout of test nodes; the protocol promises unavailable within 2 s. */
    static final int TIMEOUT_MS = 1000;

    private ClusterFixture() {
    }

    /** Starts a node of the cluster on {@code redis}, waiting until it has joined. */
    static TestServer node(RedisServer redis, String nodeId, Map<Setting, String> extra) {
        return node(redis.uri(), nodeId, extra);
    }

    /** Starts a node of the cluster on the Redis at {@code redisUri} (e.g. Sentinels), waiting until it has joined. */
    static TestServer node(String redisUri, String nodeId, Map<Setting, String> extra) {
        Map<Setting, String> s = new EnumMap<>(Setting.class);
        s.put(Setting.REDIS_URI, redisUri);
        s.put(Setting.NODE_ID, nodeId);
        s.put(Setting.CLUSTER_LEASE_MS, Integer.toString(LEASE_MS));
        s.put(Setting.CLUSTER_TIMEOUT_MS, Integer.toString(TIMEOUT_MS));
        s.putAll(extra);
        TestServer node = TestServer.start(s);
        TestServer.await("node " + nodeId + " joined the cluster",
                () -> node.server().cluster().status().isBrokerAvailable());
        return node;
    }

    static TestServer node(RedisServer redis, String nodeId) {
        return node(redis, nodeId, Map.of());
    }

    /** Stops a test's cluster: the nodes in order, then Redis, whatever happened; any of them may be null. */
    static void stop(RedisServer redis, TestServer... nodes) {
        try {
            for (TestServer node : nodes) {
                if (node != null) {
                    node.close();
                }
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }

    static ClusterStatus status(TestServer node) {
        return node.server().cluster().status();
    }
}
