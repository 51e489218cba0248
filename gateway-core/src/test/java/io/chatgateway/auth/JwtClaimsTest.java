package io.chatgateway.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletionException;

import static io.chatgateway.testing.TestTokens.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The header and claim rules, the same for every key type; HS256 keeps the tokens easy to hand-write. */
class JwtClaimsTest {
    private static final String SECRET = "a-test-secret-that-is-32-bytes-long!";
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final long NOW_S = NOW.getEpochSecond();
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    private final JwtAuthenticator auth = builder().build();

    private static JwtAuthenticator.Builder builder() {
        return JwtAuthenticator.builder(JwtKeySource.of(JwtKeys.of(
                JwtKey.hmac(null, SECRET.getBytes(StandardCharsets.UTF_8))))).clock(CLOCK)
                .leeway(Duration.ofSeconds(5));
    }

    private static String token(JWTClaimsSet claims) {
        return TestTokens.hs256(SECRET, claims);
    }

    private static String raw(String payloadJson) {
        return TestTokens.hs256Raw(SECRET, HEADER, payloadJson);
    }

    private static JWTClaimsSet.Builder valid(String sub) {
        return claims(sub, NOW.plusSeconds(60));
    }

    private static String rejected(Authenticator a, String token) {
        return JwtKeyTypesTest.rejected(a, token);
    }

    private static Principal principal(Authenticator a, String token) {
        return a.authenticate(token).toCompletableFuture().join();
    }

    private static String roomRejected(Authenticator a, String token, String user, String room) {
        CompletionException e = assertThrows(CompletionException.class,
                () -> a.authorizeRoom(token, user, room).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof AuthenticationException, () -> "not an AuthenticationException: " + e);
        return e.getCause().getMessage();
    }

    private static RoomRight room(Authenticator a, String token, String user, String room) {
        return a.authorizeRoom(token, user, room).toCompletableFuture().join();
    }

    // ---- header

    @Test
    void rejectsCritHeadersWhateverTheyName() {
        String payload = valid("eve").build().toString();
        assertEquals("token header 'crit' names an extension the gateway does not support",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", payload)));
        assertEquals("token header 'crit' names an extension the gateway does not support",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
                        payload)));
        assertTrue(rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"HS256\",\"crit\":[]}", payload))
                .contains("crit"));
    }

    @Test
    void rejectsDuplicateMembersInTheHeader() {
        String payload = valid("eve").build().toString();
        // Which alg would a lenient parser keep? Neither: the token is refused.
        assertEquals("token header names a member twice",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"none\",\"alg\":\"HS256\"}", payload)));
        assertEquals("token header names a member twice",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"HS256\",\"kid\":\"a\",\"k\\u0069d\":\"b\"}",
                        payload)));
    }

    @Test
    void rejectsDuplicateClaims() {
        long exp = NOW_S + 60;
        assertEquals("token claims name a member twice",
                rejected(auth, raw("{\"sub\":\"alice\",\"sub\":\"admin\",\"exp\":" + exp + "}")));
        assertEquals("token claims name a member twice",
                rejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S - 3600) + ",\"exp\":" + exp + "}")));
        assertEquals("token claims name a member twice", rejected(auth,
                raw("{\"sub\":\"alice\",\"exp\":" + exp + ",\"extra\":{\"a\":1,\"a\":2}}")));
        // The same token without the duplicate is fine.
        assertEquals("alice", principal(auth, raw("{\"sub\":\"alice\",\"exp\":" + exp + "}")).user());
    }

    @Test
    void rejectsHeadersThatAreNotObjectsOrLackAlg() {
        String payload = valid("eve").build().toString();
        assertEquals("token is not a JWT", rejected(auth, TestTokens.hs256Raw(SECRET, "[\"HS256\"]", payload)));
        assertEquals("token header lacks 'alg'", rejected(auth, TestTokens.hs256Raw(SECRET, "{\"typ\":\"JWT\"}", payload)));
        assertEquals("token header 'alg' must be a string",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":256}", payload)));
        assertEquals("token algorithm is not supported",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"hs256\"}", payload)));
        assertEquals("token header 'kid' must be a string",
                rejected(auth, TestTokens.hs256Raw(SECRET, "{\"alg\":\"HS256\",\"kid\":7}", payload)));
    }

    @Test
    void rejectsJweAndOtherShapes() {
        assertEquals("token is not a JWT", rejected(auth, "a.b.c.d.e"));
        assertEquals("token is not a JWT", rejected(auth, ".b.c"));
        assertEquals("token is not a JWT", rejected(auth, "a+b.c.d"));
        String good = token(valid("alice").build());
        assertEquals("token is not a JWT", rejected(auth, good + "="));
    }

    // ---- sub

    @Test
    void rejectsNumericAndOtherNonStringSubjects() {
        long exp = NOW_S + 60;
        assertEquals("token 'sub' must be a string", rejected(auth, raw("{\"sub\":42,\"exp\":" + exp + "}")));
        assertEquals("token 'sub' must be a string", rejected(auth, raw("{\"sub\":[\"a\"],\"exp\":" + exp + "}")));
        assertEquals("token 'sub' must be a string", rejected(auth, raw("{\"sub\":null,\"exp\":" + exp + "}")));
        assertEquals("token lacks claim 'sub'", rejected(auth, raw("{\"exp\":" + exp + "}")));
        assertTrue(rejected(auth, raw("{\"sub\":\"al\\u200Bice\",\"exp\":" + exp + "}")).contains("invisible"));
    }

    // ---- time

    @Test
    void checksExpiryWithTheLeeway() {
        assertEquals("bob", principal(auth, token(claims("bob", NOW.minusSeconds(4)).build())).user());
        assertEquals("token expired", rejected(auth, token(claims("bob", NOW.minusSeconds(5)).build())));
        assertEquals("token expired", rejected(auth, token(claims("bob", NOW.minusSeconds(60)).build())));
        JwtAuthenticator strict = builder().leeway(Duration.ZERO).build();
        assertEquals("token expired", rejected(strict, token(claims("bob", NOW).build())));
        assertEquals("bob", principal(strict, token(claims("bob", NOW.plusSeconds(1)).build())).user());
    }

    @Test
    void principalCarriesExpAsEpochSeconds() {
        assertEquals(NOW_S + 60, principal(auth, token(valid("alice").build())).expiresAt());
        assertEquals(NOW_S + 60, principal(auth, raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S + 60) + ".75}")).expiresAt());
    }

    @Test
    void rejectsExpThatIsMissingOrNotANumber() {
        assertEquals("token lacks claim 'exp'", rejected(auth, raw("{\"sub\":\"alice\"}")));
        assertEquals("token 'exp' must be a number",
                rejected(auth, raw("{\"sub\":\"alice\",\"exp\":\"" + (NOW_S + 60) + "\"}")));
        assertEquals("token 'exp' is not a valid time", rejected(auth, raw("{\"sub\":\"alice\",\"exp\":1e400}")));
    }

    @Test
    void checksNotBeforeWithTheLeeway() {
        assertEquals("alice", principal(auth, token(valid("alice").notBeforeTime(Date.from(NOW.plusSeconds(5))).build()))
                .user());
        assertEquals("token not valid yet (nbf)",
                rejected(auth, token(valid("alice").notBeforeTime(Date.from(NOW.plusSeconds(6))).build())));
        assertEquals("token 'nbf' must be a number",
                rejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S + 60) + ",\"nbf\":true}")));
    }

    @Test
    void rejectsTokensIssuedInTheFuture() {
        assertEquals("alice", principal(auth, token(valid("alice").issueTime(Date.from(NOW.plusSeconds(5))).build()))
                .user());
        assertEquals("token issued in the future (iat)",
                rejected(auth, token(valid("alice").issueTime(Date.from(NOW.plusSeconds(30))).build())));
    }

    @Test
    void enforcesTheMaximumLifetime() {
        JwtAuthenticator max = builder().maxLifetime(Duration.ofHours(1)).build();
        // With iat: exp - iat counts, however much of it is left.
        assertEquals("alice", principal(max, token(claims("alice", NOW.plusSeconds(3000))
                .issueTime(Date.from(NOW.minusSeconds(600))).build())).user());
        assertEquals("token lifetime exceeds the maximum of 3600 s", rejected(max, token(claims("alice",
                NOW.plusSeconds(60)).issueTime(Date.from(NOW.minusSeconds(3600))).build())));
        // Without iat: exp - now counts (plus the leeway).
        assertEquals("alice", principal(max, token(claims("alice", NOW.plusSeconds(3605)).build())).user());
        assertEquals("token lifetime exceeds the maximum of 3600 s",
                rejected(max, token(claims("alice", NOW.plusSeconds(3606)).build())));
        // No maximum: a year is fine.
        assertEquals("alice", principal(auth, token(claims("alice", NOW.plusSeconds(365 * 86_400)).build())).user());
    }

    // ---- iss and aud

    @Test
    void checksTheIssuerWhenConfigured() {
        JwtAuthenticator iss = builder().issuer("https://idp.example/").build();
        assertEquals("alice", principal(iss, token(valid("alice").issuer("https://idp.example/").build())).user());
        assertEquals("token issuer is not accepted",
                rejected(iss, token(valid("alice").issuer("https://evil.example/").build())));
        assertEquals("token lacks claim 'iss'", rejected(iss, token(valid("alice").build())));
        assertEquals("token issuer is not accepted", rejected(iss, raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S + 60)
                + ",\"iss\":[\"https://idp.example/\"]}")));
        // Not configured: any iss is fine.
        assertEquals("alice", principal(auth, token(valid("alice").issuer("https://evil.example/").build())).user());
    }

    @Test
    void checksTheAudienceWhenConfigured() {
        JwtAuthenticator aud = builder().audience("chat").build();
        assertEquals("alice", principal(aud, token(valid("alice").audience("chat").build())).user());
        assertEquals("alice", principal(aud, token(valid("alice").audience(List.of("api", "chat")).build())).user());
        assertEquals("token audience is not accepted", rejected(aud, token(valid("alice").audience("api").build())));
        assertEquals("token audience is not accepted",
                rejected(aud, token(valid("alice").audience(List.of("api", "billing")).build())));
        assertEquals("token lacks claim 'aud'", rejected(aud, token(valid("alice").build())));
        assertEquals("token 'aud' must be a string or an array of strings",
                rejected(aud, raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S + 60) + ",\"aud\":[\"chat\",7]}")));
        assertEquals("alice", principal(auth, token(valid("alice").audience("api").build())).user());
    }

    // ---- room grants in a connection token

    @Test
    void parsesRoomsAndReadonlyRooms() {
        Principal p = principal(auth, token(valid("alice").claim("rooms", List.of("team:42", "public:*"))
                .claim("rooms_readonly", List.of("*")).build()));
        assertTrue(p.rooms().matches("team:42"));
        assertTrue(p.rooms().matches("public:lobby"));
        assertFalse(p.rooms().matches("team:43"));
        assertTrue(p.readonlyRooms().matches("anything"));
        Principal none = principal(auth, token(valid("bob").build()));
        assertTrue(none.rooms().isEmpty());
        assertTrue(none.readonlyRooms().isEmpty());
    }

    @Test
    void rejectsRoomClaimsThatAreNotArraysOfValidPatterns() {
        long exp = NOW_S + 60;
        assertEquals("token 'rooms' must be an array of strings",
                rejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + exp + ",\"rooms\":\"team:42\"}")));
        assertEquals("token 'rooms_readonly' must be an array of strings",
                rejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + exp + ",\"rooms_readonly\":[\"a\",1]}")));
        assertEquals("token 'rooms' must be an array of strings",
                rejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + exp + ",\"rooms\":null}")));
        String bad = rejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + exp + ",\"rooms\":[\"ok\",\"bad\\u202Eroom\"]}"));
        assertTrue(bad.startsWith("token 'rooms': room pattern"), bad);
    }

    @Test
    void aConnectionTokenMustNotBeARoomToken() {
        assertEquals("a room token is not a connection token",
                rejected(auth, token(valid("alice").claim("room", "team:42").build())));
    }

    // ---- room tokens

    @Test
    void roomTokenGrantsItsRoomToItsUser() {
        assertEquals(RoomRight.PUBLISH, room(auth, token(valid("alice").claim("room", "team:42").build()),
                "alice", "team:42"));
        assertEquals(RoomRight.READ, room(auth, token(valid("alice").claim("room", "team:42").claim("readonly", true)
                .build()), "alice", "team:42"));
        assertEquals(RoomRight.PUBLISH, room(auth, token(valid("alice").claim("room", "team:42").claim("readonly", false)
                .build()), "alice", "team:42"));
    }

    @Test
    void roomTokenIsRejectedForAnotherUserOrRoom() {
        String t = token(valid("alice").claim("room", "team:42").build());
        assertEquals("room token is for another user", roomRejected(auth, t, "bob", "team:42"));
        assertEquals("room token is for another room", roomRejected(auth, t, "alice", "team:43"));
        assertEquals("room token lacks claim 'room'", roomRejected(auth, token(valid("alice").build()), "alice", "x"));
        assertEquals("room token 'room' must be a string",
                roomRejected(auth, raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S + 60) + ",\"room\":[\"x\"]}"), "alice", "x"));
    }

    @Test
    void roomTokenNeedsExpAndABooleanReadonly() {
        assertEquals("token lacks claim 'exp'",
                roomRejected(auth, raw("{\"sub\":\"alice\",\"room\":\"x\"}"), "alice", "x"));
        assertEquals("token expired", roomRejected(auth,
                token(claims("alice", NOW.minusSeconds(60)).claim("room", "x").build()), "alice", "x"));
        assertEquals("room token 'readonly' must be true or false", roomRejected(auth,
                raw("{\"sub\":\"alice\",\"exp\":" + (NOW_S + 60) + ",\"room\":\"x\",\"readonly\":\"yes\"}"), "alice", "x"));
    }

    @Test
    void roomTokenFollowsTheSameSignatureAndIssuerRules() {
        RSAKey rsa = TestTokens.rsaKey("k");
        JwtAuthenticator a = JwtAuthenticator.builder(JwtKeySource.of(JwtKeys.of(JwtKey.fromJwk(rsa.toPublicJWK()))))
                .clock(CLOCK).issuer("https://idp.example/").build();
        JWTClaimsSet c = valid("alice").claim("room", "x").issuer("https://idp.example/").build();
        assertEquals(RoomRight.PUBLISH, room(a, TestTokens.sign(TestTokens.signer(rsa), JWSAlgorithm.RS256, "k", c),
                "alice", "x"));
        assertEquals("token algorithm HS256 is not accepted", roomRejected(a, token(c), "alice", "x"));
        assertEquals("token lacks claim 'iss'", roomRejected(a, TestTokens.sign(TestTokens.signer(rsa),
                JWSAlgorithm.RS256, "k", valid("alice").claim("room", "x").build()), "alice", "x"));
        assertEquals("token algorithm none is not accepted",
                roomRejected(a, TestTokens.unsigned(c.toString()), "alice", "x"));
    }
}
