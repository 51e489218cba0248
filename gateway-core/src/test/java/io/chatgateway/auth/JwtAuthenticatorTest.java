package io.chatgateway.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
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

    /** An HS256 token under {@code secret}; {@code null} leaves the claim out. */
    private static String token(String secret, String sub, Instant exp) {
        return TestTokens.hs256(secret, claims(sub, exp));
    }

    private static JWTClaimsSet claims(String sub, Instant exp) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(exp == null ? null : Date.from(exp)).build();
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
        assertEquals("alice", user(auth, token(SECRET, "alice", NOW.plusSeconds(60))));
    }

    @Test
    void acceptsTokenExpiredWithinTheLeeway() throws Exception {
        assertEquals("bob", user(auth, token(SECRET, "bob", NOW.minusSeconds(3))));
    }

    @Test
    void rejectsExpiredToken() {
        assertEquals("token expired", rejected(token(SECRET, "bob", NOW.minusSeconds(60))));
    }

    @Test
    void rejectsBadSignature() {
        assertEquals("bad token signature",
                rejected(token("another-secret-that-is-32-bytes-long", "eve", NOW.plusSeconds(60))));
    }

    @Test
    void rejectsOtherAlgorithmsEvenWithTheRightSecret() {
        String hs384 = TestTokens.hmacRaw("HmacSHA384", SECRET.getBytes(StandardCharsets.UTF_8),
                "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", claims("eve", NOW.plusSeconds(60)).toString());
        assertEquals("token algorithm HS384 is not accepted", rejected(hs384));
        assertEquals("token algorithm none is not accepted",
                rejected(new PlainJWT(claims("eve", NOW.plusSeconds(60))).serialize()));
    }

    @Test
    void rejectsHandCraftedAlgNoneToken() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"sub\":\"eve\",\"exp\":" + NOW.plusSeconds(60).getEpochSecond() + "}")
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("token algorithm none is not accepted", rejected(header + "." + payload + "."));
        // The same with the HS256 signature of the real secret attached: alg decides, not the signature.
        String signed = token(SECRET, "eve", NOW.plusSeconds(60));
        assertEquals("token algorithm none is not accepted",
                rejected(header + "." + payload + "." + signed.substring(signed.lastIndexOf('.') + 1)));
    }

    @Test
    void requiresSubAndExp() {
        assertTrue(rejected(token(SECRET, null, NOW.plusSeconds(60))).contains("sub"));
        assertTrue(rejected(token(SECRET, "alice", null)).contains("exp"));
    }

    @Test
    void rejectsReservedAndEmptySubjects() {
        assertTrue(rejected(token(SECRET, "$server", NOW.plusSeconds(60))).contains("reserved"));
        assertTrue(rejected(token(SECRET, "", NOW.plusSeconds(60))).contains("empty"));
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
