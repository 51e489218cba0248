package io.chatgateway.server.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.chatgateway.auth.Authenticator;
import io.chatgateway.auth.AuthenticationException;
import io.chatgateway.server.GatewayServer;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static io.chatgateway.testing.TestTokens.claims;
import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Building the authenticator from the settings. */
class ServerAuthenticationTest {
    private static final String SECRET = "server-authentication-test-secret-32b";
    private static final RSAKey RSA = TestTokens.rsaKey(null);
    private static final ECKey EC = TestTokens.ecKey("jwks-ec");

    @TempDir
    Path dir;

    private static ServerConfig config(Map<Setting, String> settings) {
        Map<Setting, String> s = new EnumMap<>(Setting.class);
        s.putAll(settings);
        try {
            return ServerConfig.of(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String user(Authenticator a, String token) {
        return a.authenticate(token).toCompletableFuture().join().user();
    }

    @Test
    void combinesTheSecretPemKeysAndAJwksFile() throws Exception {
        Path pem = dir.resolve("rsa.pem");
        Files.writeString(pem, TestTokens.pem(RSA.toRSAPublicKey()));
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, "{\"keys\":[" + EC.toPublicJWK().toJSONString() + "]}");
        try (ServerAuthentication auth = ServerAuthentication.from(config(Map.of(Setting.JWT_SECRET, SECRET,
                Setting.JWT_PUBLIC_KEY_FILE, "app=" + pem, Setting.JWT_JWKS_FILE, jwks.toString(),
                Setting.JWT_ISSUER, "https://idp.test/", Setting.JWT_MAX_LIFETIME_SECONDS, "3600")))) {
            Authenticator a = auth.authenticator();
            assertFalse(a.isDevelopmentMode());
            assertEquals(Duration.ofSeconds(5), a.leeway());
            Instant exp = Instant.now().plusSeconds(600);
            assertEquals("hs", user(a, TestTokens.hs256(SECRET, claims("hs", exp).issuer("https://idp.test/").build())));
            assertEquals("rs", user(a, sign(signer(RSA), JWSAlgorithm.RS256, "app",
                    claims("rs", exp).issuer("https://idp.test/").build())));
            assertEquals("es", user(a, sign(signer(EC), JWSAlgorithm.ES256, "jwks-ec",
                    claims("es", exp).issuer("https://idp.test/").build())));
            // The rules apply to every source.
            CompletionException e = assertThrows(CompletionException.class, () -> user(a,
                    sign(signer(EC), JWSAlgorithm.ES256, "jwks-ec", claims("es", exp).build())));
            assertEquals("token lacks claim 'iss'", e.getCause().getMessage());
            assertTrue(e.getCause() instanceof AuthenticationException);

            String line = auth.toString();
            assertTrue(line.contains("HS256 secret"), line);
            assertTrue(line.contains("RS256 key kid=app (2048 bits) from " + pem), line);
            assertTrue(line.contains("ES256 key kid=jwks-ec (P-256) from JWKS file " + jwks), line);
            assertTrue(line.contains("iss https://idp.test/"), line);
            assertTrue(line.contains("max lifetime 3600s"), line);
            assertFalse(line.contains(SECRET), "never the secret");
            assertFalse(auth.readinessCheck().isPresent(), "no URL, nothing to wait for");
        }
    }

    @Test
    void developmentModeWhenNoKeyIsConfigured() {
        try (ServerAuthentication auth = ServerAuthentication.from(config(Map.of()))) {
            assertTrue(auth.authenticator().isDevelopmentMode());
        }
    }

    @Test
    void aBrokenKeyFileStopsTheServerBeforeItStarts() throws Exception {
        Path priv = dir.resolve("private.pem");
        Files.writeString(priv, TestTokens.pem("PRIVATE KEY", RSA.toRSAPrivateKey().getEncoded()));
        KeyConfigException e = assertThrows(KeyConfigException.class, () -> new GatewayServer(config(Map.of(
                Setting.JWT_PUBLIC_KEY_FILE, priv.toString(), Setting.HTTP_PORT, "0", Setting.TCP_PORT, "0"))));
        assertTrue(e.getMessage().startsWith("jwt-public-key-file: " + priv), e.getMessage());
    }
}
