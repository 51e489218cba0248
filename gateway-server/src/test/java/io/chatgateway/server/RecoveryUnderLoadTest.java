package io.chatgateway.server;

import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.RecoveryChurn;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

/**
 * A reader that keeps dropping and resuming with {@code since} while publishers on several event loops never
 * stop misses nothing and sees nothing twice (see {@link RecoveryChurn}); a hang detector bounds it. The
 * deterministic interleavings are in gateway-core's HistoryReplayTest.
 */
@Timeout(120)
class RecoveryUnderLoadTest {
    @Test
    void aReaderThatKeepsReconnectingMissesNothingOnOneNode() throws Exception {
        try (TestServer gateway = TestServer.start(Map.of(Setting.RATE_LIMIT_PER_SECOND, "0",
                Setting.HISTORY_SIZE, "10000", Setting.IO_THREADS, "4"))) {
            RecoveryChurn.run(i -> gateway, "single");
        }
    }
}
