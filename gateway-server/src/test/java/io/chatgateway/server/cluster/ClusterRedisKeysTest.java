package io.chatgateway.server.cluster;

import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the cluster leaves in Redis: every key expires, nothing stays after the clients and then the nodes go. */
class ClusterRedisKeysTest {
    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    @Test
    void everyKeyExpiresAndNoneIsLeftWhenClientsAndNodesLeave() throws Exception {
        redis = RedisServer.start();
        // Histories and inboxes outlive their clients (that is what recovery needs), for seconds here.
        Map<Setting, String> history = Map.of(Setting.HISTORY_TTL_SECONDS, "3", Setting.INBOX_TTL_SECONDS, "2");
        a = ClusterFixture.node(redis, "keysA", history);
        b = ClusterFixture.node(redis, "keysB", history);
        Set<String> idle = Set.of("gw:nodes", "gw:clock", "gw:n:keysA:info", "gw:n:keysB:info");

        List<TestClient> clients = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            TestServer node = i % 2 == 0 ? a : b;
            TestClient c = node.login(i % 3 == 0 ? Transport.WEBSOCKET : Transport.TCP, "keys-user-" + i);
            c.sendFields("type", "join", "id", 1, "room", "keys-room-" + (i % 4));
            c.until("ack");
            c.sendFields("type", "join", "id", 2, "room", "keys-everyone");
            c.until("ack");
            clients.add(c);
        }
        clients.get(0).sendFields("type", "publish", "id", 3, "room", "keys-everyone", "body", "hi");
        clients.get(0).until("ack");

        List<String> busy = redis.keys();
        assertTrue(busy.contains("gw:n:keysA:users") && busy.contains("gw:n:keysB:room:keys-everyone"), "" + busy);
        assertTrue(busy.contains("gw:hl:keys-everyone") && busy.contains("gw:i:keys-user-0"), "history kept: " + busy);
        for (String key : busy) {
            long ttl = redis.pttl(key);
            assertTrue(ttl > 0, key + " has no expiry (pttl " + ttl + ")");
        }

        for (TestClient c : clients) {
            c.close();
        }
        TestServer.await("only the nodes' own keys and the histories remain", () -> {
            Set<String> keys = new TreeSet<>(redis.keys());
            keys.remove("gw:seq");
            keys.removeIf(ClusterRedisKeysTest::isHistory);
            return keys.equals(idle);
        });
        for (String key : redis.keys()) {
            if (isHistory(key) && key.startsWith("gw:i")) {
                long ttl = redis.pttl(key);
                assertTrue(ttl > 0 && ttl <= 2000, key + " outlives its user's last connection by the inbox TTL: " + ttl);
            }
        }

        a.close();
        a = null;
        TestServer.await("node A's keys are gone", () -> redis.keys().stream().noneMatch(k -> k.contains("keysA")));
        b.close();
        b = null;
        assertTrue(redis.keys().stream().allMatch(ClusterRedisKeysTest::isHistory), "only history after the last node");
        TestServer.await("the histories expire too", () -> redis.keys().isEmpty());
    }

    private static boolean isHistory(String key) {
        return key.startsWith("gw:h:") || key.startsWith("gw:hl:") || key.startsWith("gw:i:") || key.startsWith("gw:il:")
                || key.equals("gw:epochs");
    }
}
