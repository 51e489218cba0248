package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without an admin token there is no admin API: every /api/ path is 404 and says why, whatever is sent. */
class AdminApiDisabledTest {

    @ParameterizedTest(name = "admin-token {0}")
    @ValueSource(strings = {"unset", "", "   "})
    void answers404OnEveryApiPathWhenNoTokenIsConfigured(String token) {
        Map<Setting, String> settings = new EnumMap<>(Setting.class);
        if (!token.equals("unset")) {
            settings.put(Setting.ADMIN_TOKEN, token);
        }
        try (TestServer gateway = TestServer.start(settings)) {
            HttpTestClient http = new HttpTestClient(gateway.httpPort());
            for (String path : new String[] {"/api/stats", "/api/users", "/api", "/api/"}) {
                for (HttpResponse<String> res : new HttpResponse[] {http.get(path),
                        http.get(path, "Authorization", "Bearer " + token.strip() + "x"),
                        http.post(path, "{\"body\":1}", "Content-Type", "application/json")}) {
                    assertEquals(404, res.statusCode(), path + ": " + res.body());
                    JsonNode doc = HttpTestClient.json(res);
                    assertEquals("not_found", doc.path("error").asText());
                    assertTrue(doc.path("message").asText().contains("admin API is off"), doc::toString);
                }
            }
            assertFalse(HttpTestClient.json(http.get("/client-config")).path("adminApi").asBoolean());
            assertEquals(200, http.get("/healthz").statusCode(), "the rest of the surface is unaffected");
        }
    }
}
