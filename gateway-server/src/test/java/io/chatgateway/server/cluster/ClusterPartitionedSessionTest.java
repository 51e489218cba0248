package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Single-session mode across a partition: node A loses Redis (its link alone is cut) while the user logs in again
 * on node B. The kick for A's session goes out over pub/sub while A is not listening, and pub/sub keeps nothing;
 * once A is back it must still end that session with {@code kicked replaced}, so that the user is not left with a
 * session on each node. Both ways back: within A's lease (its keys intact) and after it (peers reaped A, which
 * registers everything again).
 */
@Timeout(120)
class ClusterPartitionedSessionTest {
    private RedisServer redis;
    private CuttableLink link;
    private TestServer a;
    private TestServer b;

    @AfterEach
    void stop() {
        try {
            ClusterFixture.stop(redis, a, b);
        } finally {
            if (link != null) {
                link.close();
            }
        }
    }

    @Test
    void aLoginElsewhereWhileTheNodeIsCutOffWithinItsLeaseReplacesItsSessionOnceItIsBack() throws Exception {
        start("partA1", "partB1", 10_000); // a lease far longer than A's way back
        TestClient old = a.login(Transport.TCP, "part-user");
        link.cut();
        // At once, within A's lease: B sees A alive and its entry for the user, and publishes the kick A misses.
        TestClient fresh = b.login(Transport.WEBSOCKET, "part-user");
        TestServer.await("A sees Redis gone", () -> !ClusterFixture.status(a).isBrokerAvailable());
        link.restore();
        assertReplacedOnceBack(old, fresh, "part-user");
        assertEquals(0, ClusterFixture.status(b).reapedNodes(), "A came back within its lease");
    }

    @Test
    void aLoginElsewhereAfterTheNodeWasReapedReplacesItsSessionOnceItIsBack() throws Exception {
        start("partA2", "partB2", ClusterFixture.LEASE_MS);
        TestClient old = a.login(Transport.TCP, "part-user2");
        link.cut();
        TestServer.await("B reaped A", () -> ClusterFixture.status(b).reapedNodes() > 0);
        // A's keys are gone: B sees no other session and kicks nothing.
        TestClient fresh = b.login(Transport.WEBSOCKET, "part-user2");
        link.restore();
        assertReplacedOnceBack(old, fresh, "part-user2");
    }

    /** Two nodes in single-session mode (the default), A's link to Redis through {@link #link}. */
    private void start(String nodeA, String nodeB, int leaseMs) throws Exception {
        redis = RedisServer.start();
        link = new CuttableLink(redis.port());
        Map<Setting, String> lease = Map.of(Setting.CLUSTER_LEASE_MS, Integer.toString(leaseMs));
        a = ClusterFixture.node(link.uri(), nodeA, lease);
        b = ClusterFixture.node(redis, nodeB, lease);
    }

    /** A is back, has ended the old session with replaced, and the new one alone gets the user's messages. */
    private void assertReplacedOnceBack(TestClient old, TestClient fresh, String user) {
        TestServer.await("A back in the cluster", () -> ClusterFixture.status(a).isBrokerAvailable());
        List<JsonNode> frames = old.until("kicked");
        assertEquals("replaced", frames.get(frames.size() - 1).get("reason").asText());
        old.awaitClose(TestClient.WAIT);
        TestServer.await("the old session gone from A", () -> !a.server().gateway().connections().isOnline(user));
        assertTrue(b.server().gateway().connections().isOnline(user), "the new session stays");

        TestClient carol = a.login(Transport.TCP, user + "-carol");
        carol.sendFields("type", "send", "id", 1, "to", user, "body", "after the partition");
        assertEquals(1, carol.expect("ack").get("recipients").asInt(), "one session left in the cluster");
        assertEquals("after the partition", fresh.expect("message").get("body").asText());
        fresh.expectNothing(Duration.ofMillis(200));
    }
}
