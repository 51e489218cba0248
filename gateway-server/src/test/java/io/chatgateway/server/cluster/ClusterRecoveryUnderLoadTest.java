package io.chatgateway.server.cluster;

import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.RecoveryChurn;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

/** {@link RecoveryChurn} across two nodes on a real Redis: the reader comes back to the other node each time. */
@Timeout(120)
class ClusterRecoveryUnderLoadTest {
    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    @Test
    void aReaderThatKeepsReconnectingToTheOtherNodeMissesNothing() throws Exception {
        redis = RedisServer.start();
        Map<Setting, String> s = Map.of(Setting.RATE_LIMIT_PER_SECOND, "0", Setting.HISTORY_SIZE, "10000");
        a = ClusterFixture.node(redis, "churnA", s);
        b = ClusterFixture.node(redis, "churnB", s);
        RecoveryChurn.run(i -> i % 2 == 0 ? a : b, "cluster");
    }
}
