package io.chatgateway.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.concurrent.CompletionException;
import io.chatgateway.protocol.Names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JwtAuthenticatorTest {
    private static final String SECRET = "a-test-secret-that-is-32-bytes-long!";
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private final JwtAuthenticator auth = new JwtAuthenticator(SECRET, Duration.ofSeconds(5),
            Clock.fixed(NOW, ZoneOffset.UTC));

    private static String token(Algorithm alg, String sub, Instant exp) {
        var b = JWT.create();
        if (sub != null) {
            b.withSubject(sub);
        }
        if (exp != null) {
            b.withExpiresAt(exp);
        }
        return b.sign(alg);
    }

    private static Algorithm hs256(String secret) {
        return Algorithm.HMAC256(secret.getBytes(StandardCharsets.UTF_8));
    }

    private String rejected(String token) {
        return rejected(auth, token);
    }

    private static String rejected(Authenticator a, String token) {
        CompletionException e = assertThrows(CompletionException.class,
                () -> a.authenticate(token).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof AuthenticationException, () -> "not an AuthenticationException: " + e);
        return e.getCause().getMessage();
    }

    private static String user(Authenticator a, String token) {
        return a.authenticate(token).toCompletableFuture().join().user();
    }

    @Test
    void acceptsValidTokenAndReturnsItsSubject() throws Exception {
        assertEquals("alice", user(auth, token(hs256(SECRET), "alice", NOW.plusSeconds(60))));
    }

    @Test
    void acceptsTokenExpiredWithinTheLeeway() throws Exception {
        assertEquals("bob", user(auth, token(hs256(SECRET), "bob", NOW.minusSeconds(3))));
    }

    @Test
    void rejectsExpiredToken() {
        assertEquals("token expired", rejected(token(hs256(SECRET), "bob", NOW.minusSeconds(60))));
    }

    @Test
    void rejectsBadSignature() {
        assertEquals("bad token signature",
                rejected(token(hs256("another-secret-that-is-32-bytes-long"), "eve", NOW.plusSeconds(60))));
    }

    @Test
    void rejectsOtherAlgorithmsEvenWithTheRightSecret() {
        assertEquals("token algorithm is not HS256",
                rejected(token(Algorithm.HMAC384(SECRET.getBytes(StandardCharsets.UTF_8)), "eve", NOW.plusSeconds(60))));
        assertEquals("token algorithm is not HS256", rejected(token(Algorithm.none(), "eve", NOW.plusSeconds(60))));
    }

    @Test
    void rejectsHandCraftedAlgNoneToken() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"sub\":\"eve\",\"exp\":" + NOW.plusSeconds(60).getEpochSecond() + "}")
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("token algorithm is not HS256", rejected(header + "." + payload + "."));
    }

    @Test
    void requiresSubAndExp() {
        assertTrue(rejected(token(hs256(SECRET), null, NOW.plusSeconds(60))).contains("sub"));
        assertTrue(rejected(token(hs256(SECRET), "alice", null)).contains("exp"));
    }

    @Test
    void rejectsReservedAndEmptySubjects() {
        assertTrue(rejected(token(hs256(SECRET), "$server", NOW.plusSeconds(60))).contains("reserved"));
        assertTrue(rejected(token(hs256(SECRET), "", NOW.plusSeconds(60))).contains("empty"));
    }

    @Test
    void rejectsGarbageAndOversizedTokens() {
        assertEquals("token is not a JWT", rejected("not-a-jwt"));
        assertEquals("empty token", rejected(""));
        assertTrue(rejected("x".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH + 1)).contains("longer"));
    }

    @Test
    void developmentModeTakesTheTokenAsUserIdWithinTheRules() throws Exception {
        DevelopmentAuthenticator dev = new DevelopmentAuthenticator();
        assertEquals("alice", user(dev, "alice"));
        assertTrue(dev.isDevelopmentMode());
        assertTrue(rejected(dev, "").contains("empty"));
        assertTrue(rejected(dev, "$server").contains("reserved"));
        assertTrue(rejected(dev, "x".repeat(Names.MAX_LENGTH + 1)).contains("longer"));
        assertTrue(rejected(dev, "tab\there").contains("control"));
    }
}
