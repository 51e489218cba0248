package io.chatgateway.server.cluster;

import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Transport;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A node on io_uring (in a JVM of its own, so that Lettuce picks its transport afresh) beside one on epoll: Redis
 * runs on the io_uring node's own event loops, as it does on epoll, and messages cross both ways. Skipped, with the
 * kernel's reason, where io_uring is unavailable.
 */
@Timeout(90)
class ClusterIoUringTest {
    private RedisServer redis;
    private TestServer epollNode;
    private NodeProcess uringNode;

    @BeforeEach
    void start() {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring is unavailable here: " + IoUring.unavailabilityCause());
        redis = RedisServer.start();
        epollNode = ClusterFixture.node(redis, "epoll_node");
        uringNode = NodeProcess.start(List.of("--redis-uri=" + redis.uri(), "--node-id=uring_node",
                "--cluster-lease-ms=" + ClusterFixture.LEASE_MS, "--cluster-timeout-ms=" + ClusterFixture.TIMEOUT_MS,
                "--transport=io_uring"));
    }

    @AfterEach
    void stop() {
        if (uringNode != null) {
            uringNode.close();
        }
        if (epollNode != null) {
            ClusterFixture.stop(redis, epollNode);
        } else if (redis != null) {
            redis.close();
        }
    }

    @Test
    void anIoUringNodeSharesItsEventLoopsWithRedisAndTalksToAnEpollNode() throws Exception {
        String log = uringNode.output();
        assertTrue(log.contains("Transport: io_uring"), log);
        assertTrue(log.contains("Redis I/O on the gateway's event loops"), log);

        TestClient alice = epollNode.login(Transport.TCP, "uring-alice");
        try (WsClient bob = WsClient.connect(URI.create("ws://127.0.0.1:" + uringNode.httpPort() + "/ws?token=uring-bob"),
                Map.of())) {
            bob.expect("welcome");
            TestServer.await("both nodes see each other", () -> ClusterFixture.status(epollNode).liveNodes() == 2);
            alice.sendFields("type", "send", "id", 1, "to", "uring-bob", "body", "to io_uring");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertEquals("to io_uring", bob.expect("message").get("body").asText());
            bob.sendFields("type", "send", "id", 2, "to", "uring-alice", "body", "from io_uring");
            assertEquals(1, bob.expect("ack").get("recipients").asInt());
            assertEquals("from io_uring", alice.expect("message").get("body").asText());
        }
    }
}
