package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator sees of a cluster: /readyz follows the broker, /metrics and /api/stats cover every node. */
class ClusterOperatorSurfaceTest {
    private static final String TOKEN = "cluster-admin-token-for-tests";

    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        a = ClusterFixture.node(redis, "opsA", Map.of(Setting.ADMIN_TOKEN, TOKEN));
        b = ClusterFixture.node(redis, "opsB", Map.of(Setting.ADMIN_TOKEN, TOKEN));
    }

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    private static double metric(TestServer node, String sample) {
        String body = new HttpTestClient(node.httpPort()).get("/metrics").body();
        for (String line : body.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample " + sample + " in the scrape");
    }

    @Test
    void readinessAndBrokerMetricsFollowTheBroker() {
        HttpTestClient http = new HttpTestClient(a.httpPort());
        assertEquals(200, http.get("/readyz").statusCode());
        assertEquals(1.0, metric(a, "gateway_cluster_broker_available"));
        TestServer.await("the lease refresh counted both nodes", () -> metric(a, "gateway_cluster_live_nodes") == 2.0);

        redis.kill();
        TestServer.await("node A sees the broker down", () -> !ClusterFixture.status(a).isBrokerAvailable());
        HttpResponse<String> down = http.get("/readyz");
        assertEquals(503, down.statusCode());
        assertTrue(down.body().contains("broker"), down.body());
        assertEquals(0.0, metric(a, "gateway_cluster_broker_available"));
        assertEquals(1.0, metric(a, "gateway_cluster_broker_state{state=\"unavailable\"}"));

        redis.restart();
        TestServer.await("node A recovered", () -> ClusterFixture.status(a).isBrokerAvailable());
        assertEquals(200, http.get("/readyz").statusCode());
        assertTrue(metric(a, "gateway_cluster_reconnects_total") >= 1.0);
    }

    @Test
    void adminStatisticsListEveryNodeAndTheirTotal() {
        a.login(Transport.TCP, "ops-ann");
        b.login(Transport.WEBSOCKET, "ops-ben");
        b.login(Transport.TCP, "ops-cid");
        HttpTestClient http = new HttpTestClient(a.httpPort());
        TestServer.await("both nodes published their figures", () -> {
            JsonNode stats = HttpTestClient.json(http.get("/api/stats", "Authorization", "Bearer " + TOKEN));
            return stats.path("cluster").path("total").path("connections").asInt() == 3;
        });
        JsonNode stats = HttpTestClient.json(http.get("/api/stats", "Authorization", "Bearer " + TOKEN));
        assertEquals("opsA", stats.get("node").asText());
        assertEquals(1, stats.get("connections").asInt(), "this node's own figures stay at the top level");
        JsonNode cluster = stats.get("cluster");
        assertTrue(cluster.get("complete").asBoolean());
        assertEquals("available", cluster.get("brokerState").asText());
        Set<String> nodes = new HashSet<>();
        for (JsonNode n : cluster.get("nodes")) {
            nodes.add(n.get("node").asText());
            assertEquals(n.get("node").asText().equals("opsA"), n.get("self").asBoolean());
        }
        assertEquals(Set.of("opsA", "opsB"), nodes);
        assertEquals(3, cluster.get("total").get("users").asInt());
        assertFalse(new HttpTestClient(b.httpPort()).get("/api/stats").statusCode() == 200, "the token is required");
    }
}
