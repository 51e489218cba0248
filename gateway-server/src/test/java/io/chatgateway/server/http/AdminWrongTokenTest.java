package io.chatgateway.server.http;

import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wrong admin tokens over a real socket: answered 403, counted in /metrics, and slowed down per address. */
@Timeout(60)
class AdminWrongTokenTest {
    private static final String TOKEN = "wrong-token-test-admin-token-0123456789";

    @Test
    void anAddressThatKeepsGuessingIsCountedAndSlowedDown() {
        try (TestServer gateway = TestServer.start(Map.of(Setting.ADMIN_TOKEN, TOKEN))) {
            HttpTestClient http = new HttpTestClient(gateway.httpPort());
            long[] millis = new long[AdminTarpit.FREE_MISSES + 2];
            for (int i = 0; i < millis.length; i++) {
                long start = System.nanoTime();
                assertEquals(403, http.get("/api/stats", "Authorization", "Bearer guess-" + i).statusCode());
                millis[i] = (System.nanoTime() - start) / 1_000_000;
            }
            assertTrue(millis[AdminTarpit.FREE_MISSES] >= AdminTarpit.BASE_DELAY_MILLIS,
                    "the first miss beyond the free ones waits: " + java.util.Arrays.toString(millis));
            assertTrue(millis[AdminTarpit.FREE_MISSES + 1] >= 2 * AdminTarpit.BASE_DELAY_MILLIS,
                    "and the next one twice as long: " + java.util.Arrays.toString(millis));
            String metrics = http.get("/metrics").body();
            assertTrue(metrics.contains("gateway_admin_auth_failures_total " + millis.length + ".0"), metrics);
            // The right token is answered at once and clears the record.
            assertEquals(200, http.get("/api/stats", "Authorization", "Bearer " + TOKEN).statusCode());
            long start = System.nanoTime();
            assertEquals(403, http.get("/api/stats", "Authorization", "Bearer again").statusCode());
            assertTrue((System.nanoTime() - start) / 1_000_000 < AdminTarpit.BASE_DELAY_MILLIS, "forgiven");
        }
    }
}
