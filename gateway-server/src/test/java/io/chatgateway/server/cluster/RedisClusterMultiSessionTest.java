package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One user connected to both nodes of a Redis Cluster, messaged by senders on both: the user's channel carries each
 * direct message once from the script that gave it its inbox offset, so both connections see the same messages with
 * the same offsets in the same order.
 */
@Timeout(120)
class RedisClusterMultiSessionTest {
    private RedisClusterServer redis;
    private TestServer a;
    private TestServer b;

    @BeforeEach
    void start() {
        redis = RedisClusterServer.start(3);
        Map<Setting, String> multi = Map.of(Setting.SESSIONS, "multi", Setting.RATE_LIMIT_PER_SECOND, "0");
        a = RedisClusterShardedTest.node(redis, "multiA", multi);
        b = RedisClusterShardedTest.node(redis, "multiB", multi);
    }

    @AfterEach
    void stop() {
        RedisClusterServer.close(redis, a, b);
    }

    @Test
    void bothConnectionsOfAUserSeeOneInboxOrderFromSendersOnBothNodes() {
        TestClient onA = a.login(Transport.TCP, "m-bob");
        TestClient onB = b.login(Transport.WEBSOCKET, "m-bob");
        TestClient alice = a.login(Transport.TCP, "m-alice");
        TestClient carol = b.login(Transport.TCP, "m-carol");
        int n = 100;
        for (int i = 0; i < n; i++) {
            alice.sendFields("type", "send", "to", "m-bob", "body", "a" + i);
            carol.sendFields("type", "send", "to", "m-bob", "body", "c" + i);
        }
        List<String> seenA = new ArrayList<>();
        List<String> seenB = new ArrayList<>();
        for (int i = 0; i < 2 * n; i++) {
            JsonNode x = onA.expect("message");
            JsonNode y = onB.expect("message");
            assertEquals(i + 1, x.get("offset").asLong(), x::toString);
            assertEquals(i + 1, y.get("offset").asLong(), y::toString);
            seenA.add(x.get("body").asText());
            seenB.add(y.get("body").asText());
        }
        assertEquals(seenA, seenB, "one order for both connections");
        for (int i = 0; i < n; i++) {
            assertEquals(2, alice.expect("ack").get("recipients").asInt());
            assertEquals(2, carol.expect("ack").get("recipients").asInt());
        }
    }
}
