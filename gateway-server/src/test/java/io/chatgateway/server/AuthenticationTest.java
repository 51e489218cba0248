package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Transport;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Production mode: HS256 JWTs under a configured secret. */
class AuthenticationTest {
    private static final String SECRET = "integration-test-secret-of-32-bytes!!";
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.JWT_SECRET, SECRET));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String token(String sub, Instant exp) {
        return TestTokens.hs256(SECRET, TestTokens.claims(sub, exp).build());
    }

    private static String valid(String sub) {
        return token(sub, Instant.now().plusSeconds(300));
    }

    private static void assertRejectedAndClosed(TestClient c, String token, Transport transport) {
        c.sendFields("type", "auth", "token", token, "id", "a");
        JsonNode err = c.expectError("unauthorized");
        assertEquals("a", err.get("id").asText());
        int code = c.awaitClose(TestClient.WAIT);
        if (transport == Transport.WEBSOCKET) {
            assertEquals(1008, code, "WebSocket close code for an auth failure");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void acceptsValidTokenInTheFirstFrame(Transport transport) {
        TestClient c = gateway.connect(transport);
        c.sendFields("type", "auth", "token", valid("jwt-user-" + transport), "id", 1);
        JsonNode welcome = c.expect("welcome");
        assertEquals("jwt-user-" + transport, welcome.get("user").asText());
        assertEquals(1, welcome.get("id").asInt());
    }

    @Test
    void acceptsValidTokenInTheQueryString() {
        WsClient c = gateway.wsWithToken(valid("query-jwt"));
        assertEquals("query-jwt", c.expect("welcome").get("user").asText());
    }

    @Test
    void acceptsValidTokenInTheAuthorizationHeader() {
        WsClient c = gateway.ws(null, Map.of("Authorization", "Bearer " + valid("header-jwt")));
        assertEquals("header-jwt", c.expect("welcome").get("user").asText());
    }

    @Test
    void rejectsBadTokenInTheHandshakeAfterTheUpgrade() {
        WsClient c = gateway.wsWithToken(token("x", Instant.now().minusSeconds(3600)));
        c.expectError("unauthorized");
        assertEquals(1008, c.awaitClose(TestClient.WAIT));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rejectsBadSignature(Transport transport) {
        String forged = TestTokens.hs256("some-other-secret-that-is-long-enough",
                TestTokens.claims("eve", Instant.now().plusSeconds(300)).build());
        assertRejectedAndClosed(gateway.connect(transport), forged, transport);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rejectsAnotherAlgorithm(Transport transport) {
        String hs512 = TestTokens.hmacRaw("HmacSHA512", SECRET.getBytes(StandardCharsets.UTF_8),
                "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
                TestTokens.claims("eve", Instant.now().plusSeconds(300)).build().toString());
        assertRejectedAndClosed(gateway.connect(transport), hs512, transport);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rejectsExpiredToken(Transport transport) {
        assertRejectedAndClosed(gateway.connect(transport), token("late", Instant.now().minusSeconds(120)), transport);
    }

    @Test
    void rejectsTokenWithoutExpiry() {
        String noExp = TestTokens.hs256(SECRET, new JWTClaimsSet.Builder().subject("forever").build());
        assertRejectedAndClosed(gateway.connect(Transport.TCP), noExp, Transport.TCP);
    }

    @Test
    void doesNotTakeAUserNameAsTokenWhenASecretIsSet() {
        assertRejectedAndClosed(gateway.connect(Transport.TCP), "alice", Transport.TCP);
        assertFalse(gateway.server().gateway().authenticator().isDevelopmentMode());
    }

    @Test
    void developmentModeTakesTheTokenAsTheUserId() {
        try (TestServer dev = TestServer.start()) {
            assertTrue(dev.server().gateway().authenticator().isDevelopmentMode());
            TestClient c = dev.connect(Transport.TCP);
            assertEquals("just-a-name", c.auth("just-a-name").get("user").asText());
            TestClient reserved = dev.connect(Transport.TCP);
            reserved.sendFields("type", "auth", "token", "$server");
            reserved.expectError("unauthorized");
            reserved.awaitClose(Duration.ofSeconds(10));
        }
    }
}
