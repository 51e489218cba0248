package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.http.HttpTestClient;
import io.chatgateway.server.testing.JwksServer;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Production mode with RS256 and ES256 keys from a JWKS URL and a PEM file, over real sockets. */
class PublicKeyAuthenticationTest {
    private static final String ISSUER = "https://idp.test/realms/chat";
    private static final RSAKey RSA = TestTokens.rsaKey("rsa-2026");
    private static final ECKey EC = TestTokens.ecKey("ec-2026");

    @TempDir
    Path dir;

    private static JWTClaimsSet.Builder claims(String user) {
        return TestTokens.claims(user, Instant.now().plusSeconds(300)).issuer(ISSUER).audience("chat");
    }

    private static String rs256(RSAKey key, String user) {
        return sign(signer(key), JWSAlgorithm.RS256, key.getKeyID(), claims(user).build());
    }

    private static String es256(ECKey key, String user) {
        return sign(signer(key), JWSAlgorithm.ES256, key.getKeyID(), claims(user).build());
    }

    private static void welcomed(TestServer gateway, String token, String user) {
        TestClient c = gateway.ws();
        c.sendFields("type", "auth", "token", token, "id", 1);
        JsonNode welcome = c.expect("welcome");
        assertEquals(user, welcome.get("user").asText());
        assertTrue(welcome.path("conn").isTextual(), welcome::toString);
    }

    private static String refused(TestServer gateway, String token) {
        TestClient c = gateway.ws();
        c.sendFields("type", "auth", "token", token, "id", "a");
        JsonNode err = c.expectError("unauthorized");
        assertEquals(1008, c.awaitClose(TestClient.WAIT));
        return err.path("message").asText();
    }

    @Test
    void acceptsRs256AndEs256TokensFromAJwksUrl() {
        try (JwksServer idp = JwksServer.serving(List.of(RSA, EC));
             TestServer gateway = TestServer.start(Map.of(Setting.JWT_JWKS_URL, idp.url(),
                     Setting.JWT_ISSUER, ISSUER, Setting.JWT_AUDIENCE, "chat"))) {
            assertFalse(gateway.server().gateway().authenticator().isDevelopmentMode());
            assertTrue(gateway.server().readiness().evaluate().ready(), "the first fetch was done at start");
            welcomed(gateway, rs256(RSA, "alice"), "alice");
            welcomed(gateway, es256(EC, "bob"), "bob");

            RSAKey impostor = TestTokens.rsaKey("rsa-2026");
            assertEquals("bad token signature", refused(gateway, rs256(impostor, "alice")));
            assertEquals("token issuer is not accepted", refused(gateway,
                    sign(signer(RSA), JWSAlgorithm.RS256, "rsa-2026", claims("alice").issuer("https://evil").build())));
            assertEquals("token algorithm HS256 is not accepted",
                    refused(gateway, TestTokens.hs256("any-secret-at-all-of-32-bytes!!!", claims("alice").build())));
            assertEquals(1, idp.fetches(), "known kids are served from the cache");

            double fetched = gateway.server().meterRegistry().get("gateway.jwks.fetches").tag("result", "success")
                    .functionCounter().count();
            assertEquals(1, fetched);
        }
    }

    @Test
    void acceptsTokensForPemKeysBesideTheSecret() throws Exception {
        Path pem = dir.resolve("keys.pem");
        Files.writeString(pem, TestTokens.pem(RSA.toRSAPublicKey())
                + TestTokens.pem("PUBLIC KEY", EC.toECPublicKey().getEncoded()));
        String secret = "integration-test-secret-of-32-bytes!!";
        try (TestServer gateway = TestServer.start(Map.of(Setting.JWT_PUBLIC_KEY_FILE, "rsa-2026=" + pem,
                Setting.JWT_SECRET, secret))) {
            welcomed(gateway, rs256(RSA, "carol"), "carol");
            // The file's keys all carry kid rsa-2026; an ES256 token naming it is checked against the EC key there.
            welcomed(gateway, sign(signer(EC), JWSAlgorithm.ES256, "rsa-2026", claims("dave").build()), "dave");
            welcomed(gateway, TestTokens.hs256(secret, claims("erin").build()), "erin");
            // The public key's own bytes used as an HMAC secret: never accepted.
            String confused = TestTokens.hmacRaw("HmacSHA256",
                    TestTokens.pem(RSA.toRSAPublicKey()).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    "{\"alg\":\"HS256\"}", claims("mallory").build().toString());
            assertEquals("bad token signature", refused(gateway, confused));
            assertEquals("bad token signature", refused(gateway, es256(TestTokens.ecKey(null), "mallory")));
        }
    }

    @Test
    void isNotReadyUntilTheJwksIsFetchedAndAcceptsTheFirstTokenOnceItIs() {
        try (JwksServer idp = JwksServer.serving(List.of(RSA))) {
            idp.serveRaw(503, "starting up");
            try (TestServer gateway = TestServer.start(Map.of(Setting.JWT_JWKS_URL, idp.url()))) {
                HttpTestClient http = new HttpTestClient(gateway.httpPort());
                HttpResponse<String> down = http.get("/readyz");
                assertEquals(503, down.statusCode(), down.body());
                assertEquals("jwks: no key fetched yet from the JWKS URL (last attempt: HTTP 503)",
                        HttpTestClient.json(down).path("reason").asText());

                idp.serve(List.of(RSA));
                // The token's kid is unknown, so it triggers a fetch and is judged when that is done.
                welcomed(gateway, rs256(RSA, "frank"), "frank");
                assertEquals(200, http.get("/readyz").statusCode());
            }
        }
    }
}
