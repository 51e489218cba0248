package io.chatgateway.auth;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.Names;
import io.chatgateway.testing.Fuzzing;
import io.chatgateway.testing.JsonGen;
import io.chatgateway.testing.TestTokens;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection and room tokens as a client can send them: any string, mutations of valid tokens (parts dropped or
 * added, bad base64url, padding, swapped parts), headers and claims of any JSON (duplicates, wrong types, deep,
 * huge), every pairing of {@code alg}, {@code kid} and signing key. Properties: {@link JwtAuthenticator} never
 * throws and its stage fails only with an {@link AuthenticationException} whose message is short and never echoes
 * the token; it accepts exactly the tokens signed by a key of the type their {@code alg} names, among the keys their
 * {@code kid} selects; every valid token is accepted with its claims; {@link StrictJson} refuses exactly what a strict
 * reader refuses; {@link JwtKeys#fromJwks} fails only with {@link IllegalArgumentException}.
 */
@AddLifecycleHook(Fuzzing.class)
class JwtFuzzTest {
    private static final String SECRET = "a fuzzing secret of more than 32 bytes";
    private static final RSAKey RSA = TestTokens.rsaKey("r1");
    private static final ECKey EC = TestTokens.ecKey("e1");
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final JwtAuthenticator AUTH;

    static {
        try {
            AUTH = JwtAuthenticator.builder(JwtKeySource.of(JwtKeys.of(
                            JwtKey.hmac(null, SECRET.getBytes(StandardCharsets.UTF_8)),
                            JwtKey.rsa("r1", RSA.toRSAPublicKey()),
                            JwtKey.ec("e1", EC.toECPublicKey()))))
                    .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                    .build();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new AssertionError(e);
        }
    }

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    // ---- any input

    @Property(tries = 300)
    void refusesAnyMalformedTokenWithATypedShortReason(@ForAll("malformedTokens") String token) {
        Object outcome = outcome(AUTH.authenticate(token));
        if (outcome instanceof Principal) {
            // Only one change keeps a token valid: other unused low bits in the signature's last base64 character.
            assertEquals(VALID_TOKEN.substring(0, VALID_TOKEN.lastIndexOf('.')), token.substring(0,
                    token.lastIndexOf('.')), () -> "accepted a changed token: " + token);
            assertArrayEquals(signature(VALID_TOKEN), signature(token));
            return;
        }
        assertReason((String) outcome, token);
    }

    @Property(tries = 200)
    void refusesTokensWithAnyHeaderOrClaimsItCannotTrust(@ForAll("craftedTokens") String token) {
        Object outcome = outcome(AUTH.authenticate(token));
        if (outcome instanceof String) {
            assertReason((String) outcome, token);
        } else {
            // Accepted: then it was a token the rules allow, which the generator makes only with the secret and exp.
            Principal p = (Principal) outcome;
            assertEquals(null, Names.userProblem(p.user()));
            assertTrue(p.expiresAt() > NOW.getEpochSecond() - 10, () -> "expired token accepted: " + token);
        }
    }

    @Property(tries = 100)
    void roomTokensAreJudgedByTheSameRules(@ForAll("craftedTokens") String token, @ForAll("names") String room) {
        Object outcome = outcome(AUTH.authorizeRoom(token, "alice", room));
        if (outcome instanceof String) {
            assertReason((String) outcome, token);
        } else {
            assertInstanceOf(RoomRight.class, outcome);
        }
    }

    // ---- algorithm and key confusion

    @Property(tries = 200)
    void acceptsATokenExactlyWhenTheKeyItsKidSelectsAndItsAlgNamesSignedIt(
            @ForAll("algorithms") String alg, @ForAll("kids") String kid, @ForAll("signers") Signer signer) {
        String header = "{\"alg\":" + JsonGen.quote(alg) + (kid == null ? "" : ",\"kid\":" + JsonGen.quote(kid)) + "}";
        String token = signer.sign(header, claims("alice"));
        Object outcome = outcome(AUTH.authenticate(token));
        // The keys a kid selects: its own, or for an unknown kid the keys without one (the secret); all for none.
        boolean selected = kid == null || (kid.equals("r1") ? signer == Signer.RSA : kid.equals("e1")
                ? signer == Signer.EC : signer == Signer.SECRET);
        boolean expected = selected && alg.equals(signer.alg) && signer.genuine;
        assertEquals(expected, outcome instanceof Principal, () -> header + " signed by " + signer + ": " + outcome);
        if (!expected) {
            assertReason((String) outcome, token);
        }
    }

    // ---- valid tokens

    @Property(tries = 100)
    void acceptsEveryValidTokenWithItsClaims(@ForAll("names") String sub, @ForAll("signers") Signer signer,
                                            @ForAll boolean withKid, @ForAll("padding") String padding) {
        Signer s = signer.genuine ? signer : Signer.SECRET;
        long exp = NOW.getEpochSecond() + 1 + sub.length() * 1000L;
        String header = "{\"alg\":\"" + s.alg + "\",\"typ\":\"JWT\"" + (withKid && s.kid != null ? ",\"kid\":\""
                + s.kid + "\"" : "") + (padding.isEmpty() ? "" : ",\"x-pad\":" + JsonGen.quote(padding)) + "}";
        String claims = "{\"sub\":" + JsonGen.quote(sub) + ",\"exp\":" + exp + ",\"iat\":" + (NOW.getEpochSecond() - 1)
                + ",\"rooms\":[\"public:*\"],\"unknown\":{\"a\":[1,null,true]}}";
        String token = s.sign(header, claims);
        Object outcome = outcome(AUTH.authenticate(token));
        if (token.length() > JwtAuthenticator.MAX_TOKEN_LENGTH) {
            assertEquals("token longer than " + JwtAuthenticator.MAX_TOKEN_LENGTH + " characters", outcome);
            return;
        }
        Principal p = assertInstanceOf(Principal.class, outcome, () -> "refused " + header + " " + claims);
        assertEquals(sub, p.user());
        assertEquals(exp, p.expiresAt());
        assertTrue(p.rooms().matches("public:lobby"));
    }

    // ---- StrictJson and JWKS

    @Property(tries = 200)
    void strictJsonRefusesExactlyWhatAStrictReaderRefuses(@ForAll("jsonBytes") byte[] data) {
        JsonNode expected = strictlyRead(data);
        Map<String, Object> got;
        try {
            got = StrictJson.readObject(data.clone());
        } catch (StrictJson.Problem p) {
            assertTrue(expected == null || !expected.isObject() || depth(expected) > StrictJson.MAX_DEPTH,
                    () -> "refused (" + p.getMessage() + ") what a strict reader reads: " + expected);
            return;
        }
        assertNotNull(expected, () -> "read what a strict reader refuses: " + new String(data, StandardCharsets.UTF_8));
        assertEquals(expected, toTree(got));
    }

    @Property(tries = 150)
    void readsAnyJwksFailingOnlyWithIllegalArgument(@ForAll("jwks") String json) {
        List<String> skipped = new ArrayList<>();
        try {
            JwtKeys keys = JwtKeys.fromJwks(json, skipped::add);
            assertTrue(keys.size() <= JwtKeys.MAX_JWKS_KEYS);
        } catch (IllegalArgumentException expected) {
            assertNotNull(expected.getMessage());
        }
    }

    // ---- regressions

    /** Found by strictJsonRefusesExactlyWhatAStrictReaderRefuses: Jackson read a UTF-16 or UTF-32 header as JSON. */
    @Example
    void refusesHeadersAndClaimsInUtf16OrUtf32() throws Exception {
        // The shrunk input: "{}" in UTF-16BE.
        assertThrows(StrictJson.Problem.class, () -> StrictJson.readObject(new byte[] {0, '{', 0, '}'}));
        for (String charset : List.of("UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE")) {
            byte[] json = "{\"alg\":\"HS256\"}".getBytes(java.nio.charset.Charset.forName(charset));
            assertThrows(StrictJson.Problem.class, () -> StrictJson.readObject(json), charset);
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String token = b64.encodeToString(json) + "." + b64.encodeToString(claims("alice")
                    .getBytes(java.nio.charset.Charset.forName(charset))) + ".c2ln";
            assertEquals("token is not a JWT", outcome(AUTH.authenticate(token)), charset);
        }
    }

    /** Found by readsAnyJwksFailingOnlyWithIllegalArgument: a key set that is JSON null was a NullPointerException. */
    @Example
    void refusesAJwksThatIsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtKeys.fromJwks("null", skipped -> { }));
        assertEquals("not a JSON object: null", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JwtKeys.fromJwks(" null ", skipped -> { }));
    }

    // ---- checks

    /** The authenticator's answer: a Principal or RoomRight, or the reason it gave. Fails on anything else. */
    private static Object outcome(java.util.concurrent.CompletionStage<?> stage) {
        CompletableFuture<?> f = stage.toCompletableFuture();
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertInstanceOf(AuthenticationException.class, e.getCause(), "the stage failed with another exception");
            return e.getCause().getMessage();
        } catch (Exception e) {
            throw new AssertionError("no answer", e);
        }
    }

    private static void assertReason(String reason, String token) {
        assertNotNull(reason);
        assertTrue(reason.length() <= 120, () -> "a long reason: " + reason);
        if (token != null && token.length() >= 12) {
            assertFalse(reason.contains(token), "the reason echoes the token");
        }
        for (String part : token == null ? new String[0] : token.split("\\.")) {
            if (part.length() >= 12) {
                assertFalse(reason.contains(part), "the reason echoes part of the token");
            }
        }
    }

    private static byte[] signature(String token) {
        return Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1));
    }

    static JsonNode strictlyRead(byte[] data) {
        return JsonGen.strictlyRead(STRICT, data);
    }

    private static int depth(JsonNode n) {
        int d = 0;
        for (JsonNode c : n) {
            d = Math.max(d, depth(c));
        }
        return n.isContainerNode() ? d + 1 : 0;
    }

    private static JsonNode toTree(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v == StrictJson.NULL) {
            return f.nullNode();
        }
        if (v instanceof Map) {
            com.fasterxml.jackson.databind.node.ObjectNode o = f.objectNode();
            ((Map<?, ?>) v).forEach((k, x) -> o.set((String) k, toTree(x)));
            return o;
        }
        if (v instanceof List) {
            com.fasterxml.jackson.databind.node.ArrayNode a = f.arrayNode();
            ((List<?>) v).forEach(x -> a.add(toTree(x)));
            return a;
        }
        return new ObjectMapper().valueToTree(v);
    }

    // ---- tokens

    /** Who signs a token: the gateway's keys, or impostors (the RSA public key used as an HMAC secret, nobody). */
    enum Signer {
        SECRET("HS256", null, true), RSA("RS256", "r1", true), EC("ES256", "e1", true),
        RSA_PUBLIC_AS_SECRET("HS256", null, false), OTHER_SECRET("HS256", null, false), NONE("none", null, false);

        final String alg;
        final String kid;
        final boolean genuine;

        Signer(String alg, String kid, boolean genuine) {
            this.alg = alg;
            this.kid = kid;
            this.genuine = genuine;
        }

        String sign(String header, String claims) {
            try {
                switch (this) {
                    case SECRET:
                        return TestTokens.hs256Raw(JwtFuzzTest.SECRET, header, claims);
                    case RSA:
                        return TestTokens.signRaw(TestTokens.signer(JwtFuzzTest.RSA), JWSAlgorithm.RS256, header, claims);
                    case EC:
                        return TestTokens.signRaw(TestTokens.signer(JwtFuzzTest.EC), JWSAlgorithm.ES256, header, claims);
                    case RSA_PUBLIC_AS_SECRET:
                        return TestTokens.hmacRaw("HmacSHA256", JwtFuzzTest.RSA.toRSAPublicKey().getEncoded(), header,
                                claims);
                    case OTHER_SECRET:
                        return TestTokens.hs256Raw(JwtFuzzTest.SECRET + "!", header, claims);
                    default:
                        return TestTokens.b64(header) + "." + TestTokens.b64(claims) + ".";
                }
            } catch (com.nimbusds.jose.JOSEException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static String claims(String sub) {
        return "{\"sub\":" + JsonGen.quote(sub) + ",\"exp\":" + (NOW.getEpochSecond() + 600) + "}";
    }

    private static final String VALID_TOKEN = TestTokens.hs256(SECRET,
            TestTokens.claims("alice", NOW.plusSeconds(600)).build());

    @Provide
    Arbitrary<String> malformedTokens() {
        String t = VALID_TOKEN;
        String[] parts = t.split("\\.");
        Arbitrary<Integer> at = Arbitraries.integers().between(0, t.length() - 1);
        Arbitrary<String> junk = Arbitraries.of("", ".", "..", "=", "==", "+", "/", " ", "\n", "%", "é", "\u0000",
                "A", "_", "-", "\\", "\"", "eyJ", "Zm9v");
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(100),
                Arbitraries.strings().withChars("abcXYZ019-_.=+/").ofMaxLength(120),
                Arbitraries.of("", ".", "..", "...", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", parts[0] + "." + parts[1],
                        parts[1] + "." + parts[0] + "." + parts[2], parts[0] + "." + parts[0] + "." + parts[2],
                        t + ".", "." + t, t + "=", t.replace('-', '+').replace('_', '/'), t + "A", t + "AA", t + "AAA",
                        t.substring(0, t.length() - 1), "x".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH + 1),
                        parts[0] + "." + parts[1] + "." + parts[2] + parts[2], parts[0] + "." + parts[1] + ".",
                        TestTokens.unsigned("{\"sub\":\"alice\",\"exp\":" + (NOW.getEpochSecond() + 600) + "}")),
                Combinators.combine(at, junk).as((i, j) -> t.substring(0, i) + j + t.substring(i)),
                Combinators.combine(at, junk).as((i, j) -> t.substring(0, i) + j + t.substring(i + 1)),
                at.map(i -> t.substring(0, i) + t.substring(i + 1)),
                at.map(i -> t.substring(0, i)));
    }

    /** Tokens signed with the real secret over any header and claims: the signature is right, the content is not. */
    @Provide
    Arbitrary<String> craftedTokens() {
        long now = NOW.getEpochSecond();
        Arbitrary<String> alg = Arbitraries.of("\"HS256\"", "\"hs256\"", "\"none\"", "\"RS256\"", "\"HS512\"", "\"\"",
                "null", "256", "[\"HS256\"]", "{\"HS256\":1}", "\"HS256\\u0000\"", "\"HS256 \"");
        Arbitrary<String> kid = Arbitraries.of("", ",\"kid\":\"r1\"", ",\"kid\":\"zz\"", ",\"kid\":1", ",\"kid\":null",
                ",\"kid\":\"\"", ",\"kid\":[\"r1\"]", ",\"crit\":[\"exp\"]", ",\"crit\":[]", ",\"jku\":\"http://x\"",
                ",\"alg\":\"HS256\"", ",\"jwk\":{}");
        Arbitrary<String> header = Arbitraries.oneOf(
                Combinators.combine(alg, kid).as((a, k) -> "{\"alg\":" + a + k + "}"),
                JsonGen.object(JsonGen.value(2)),
                JsonGen.nearJson(Arbitraries.just("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")),
                Arbitraries.integers().between(1, 20).map(n -> "{\"alg\":\"HS256\"," + "{\"a\":".repeat(n) + "1"
                        + "}".repeat(n) + "}"),
                Arbitraries.of("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", "{\"alg\":\"HS256\"}{}", "[\"alg\"]", "",
                        "{\"alg\":\"HS256\",\"pad\":\"" + "p".repeat(7000) + "\"}"));
        Arbitrary<String> time = Arbitraries.oneOf(
                Arbitraries.longs().between(now - 100, now + 100000).map(String::valueOf),
                Arbitraries.of("null", "\"" + (now + 60) + "\"", "1e400", "-1", "1.5e10", "253402300800",
                        "99999999999999999999999999", "[1]", "true", String.valueOf(now + 60) + ".999"));
        Arbitrary<String> sub = Arbitraries.oneOf(JsonGen.string(), Arbitraries.of("\"alice\"", "\"$server\"", "\"\"",
                "\" alice\"", "\"a\\u202eb\"", "null", "1", "[\"alice\"]", "\"" + "a".repeat(129) + "\""));
        Arbitrary<String> extra = Arbitraries.of("", ",\"room\":\"lobby\"", ",\"room\":1", ",\"readonly\":\"yes\"",
                ",\"readonly\":true", ",\"rooms\":\"*\"", ",\"rooms\":[1]", ",\"rooms\":[\"\"]", ",\"rooms\":[\"a*b\"]",
                ",\"rooms_readonly\":[null]", ",\"aud\":[1]", ",\"nbf\":\"x\"", ",\"iat\":99999999999", ",\"sub\":\"bob\"",
                ",\"exp\":1", ",\"room\":\"lobby\",\"sub\":\"alice\"");
        Arbitrary<String> claims = Arbitraries.oneOf(
                Combinators.combine(sub, time, extra).as((s, e, x) -> "{\"sub\":" + s + ",\"exp\":" + e + x + "}"),
                JsonGen.object(JsonGen.value(2)),
                JsonGen.nearJson(Arbitraries.just("{\"sub\":\"alice\",\"exp\":" + (now + 60) + "}")));
        return Combinators.combine(header, claims).as((h, c) -> TestTokens.hs256Raw(SECRET, h, c));
    }

    @Provide
    Arbitrary<String> algorithms() {
        return Arbitraries.of("HS256", "RS256", "ES256", "none", "HS384", "HS512", "RS512", "PS256", "ES384", "EdDSA",
                "ES256K", "hs256", "");
    }

    @Provide
    Arbitrary<String> kids() {
        return Arbitraries.of("r1", "e1", "unknown", "", "R1").injectNull(0.3);
    }

    @Provide
    Arbitrary<Signer> signers() {
        return Arbitraries.of(Signer.class);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().all().ofMinLength(1).ofMaxLength(Names.MAX_LENGTH)
                .filter(n -> Names.userProblem(n) == null);
    }

    @Provide
    Arbitrary<String> padding() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just("")),
                Tuple.of(1, Arbitraries.integers().between(1, 6500).map("h"::repeat)));
    }

    @Provide
    Arbitrary<byte[]> jsonBytes() {
        return Arbitraries.oneOf(
                JsonGen.utf8(JsonGen.object(JsonGen.value(3))),
                JsonGen.utf8(JsonGen.nearJson(JsonGen.object(JsonGen.value(2)))),
                JsonGen.encodings(JsonGen.object(JsonGen.scalar())),
                JsonGen.utf8(Arbitraries.integers().between(10, 20).map(n -> "{\"a\":".repeat(n) + "1" + "}".repeat(n))),
                JsonGen.bytes(60));
    }

    @Provide
    Arbitrary<String> jwks() {
        String rsa = RSA.toPublicJWK().toJSONString();
        String ec = EC.toPublicJWK().toJSONString();
        Arbitrary<String> key = Arbitraries.oneOf(
                Arbitraries.of(rsa, ec, "{}", "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}", "{\"kty\":\"RSA\",\"n\":5,\"e\":\"AQAB\"}",
                        "{\"kty\":\"EC\",\"crv\":\"P-384\"}", "{\"kty\":\"RSA\",\"use\":\"enc\"}", "null", "1", "\"k\"",
                        rsa.replace("\"kty\"", "\"use\":\"enc\",\"kty\""), ec.replace("\"kty\"", "\"key_ops\":[1],\"kty\""),
                        rsa.replace("\"kty\"", "\"alg\":\"HS256\",\"kty\"")),
                JsonGen.nearJson(Arbitraries.of(rsa, ec)),
                JsonGen.object(JsonGen.value(2)));
        return Arbitraries.oneOf(
                key.list().ofMaxSize(5).map(k -> "{\"keys\":[" + String.join(",", k) + "]}"),
                JsonGen.nearJson(key.list().ofMaxSize(2).map(k -> "{\"keys\":[" + String.join(",", k) + "]}")),
                JsonGen.value(3),
                Arbitraries.strings().all().ofMaxLength(50));
    }
}
