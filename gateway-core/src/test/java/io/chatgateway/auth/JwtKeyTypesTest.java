package io.chatgateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletionException;

import static io.chatgateway.testing.TestTokens.claims;
import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RS256 and ES256 keys, and the rule that a token's alg must match the type of the key that verifies it. */
class JwtKeyTypesTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String SECRET = "a-test-secret-that-is-32-bytes-long!";
    private static final RSAKey RSA = TestTokens.rsaKey("rsa-1");
    private static final RSAKey OTHER_RSA = TestTokens.rsaKey("rsa-1");
    private static final ECKey EC = TestTokens.ecKey("ec-1");
    private static final ECKey OTHER_EC = TestTokens.ecKey("ec-1");

    private static JwtKey rsaKey() {
        return JwtKey.fromJwk(RSA.toPublicJWK());
    }

    private static JwtKey ecKey() {
        return JwtKey.fromJwk(EC.toPublicJWK());
    }

    private static JwtAuthenticator auth(JwtKey... keys) {
        return JwtAuthenticator.builder(JwtKeySource.of(JwtKeys.of(keys))).clock(CLOCK).build();
    }

    private static JWTClaimsSet valid(String sub) {
        return claims(sub, NOW.plusSeconds(60)).build();
    }

    static String rejected(Authenticator a, String token) {
        CompletionException e = assertThrows(CompletionException.class,
                () -> a.authenticate(token).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof AuthenticationException, () -> "not an AuthenticationException: " + e);
        return e.getCause().getMessage();
    }

    static String user(Authenticator a, String token) {
        return a.authenticate(token).toCompletableFuture().join().user();
    }

    private static String tamperPayload(String token, String newPayloadJson) {
        String[] parts = token.split("\\.");
        return parts[0] + "." + TestTokens.b64(newPayloadJson) + "." + parts[2];
    }

    @Test
    void acceptsRs256TokenSignedWithTheConfiguredKey() {
        JwtAuthenticator auth = auth(rsaKey());
        assertEquals("alice", user(auth, sign(signer(RSA), JWSAlgorithm.RS256, "rsa-1", valid("alice"))));
        // Without a kid the token is tried against every key of its type.
        assertEquals("alice", user(auth, sign(signer(RSA), JWSAlgorithm.RS256, null, valid("alice"))));
    }

    @Test
    void acceptsEs256TokenSignedWithTheConfiguredKey() {
        JwtAuthenticator auth = auth(ecKey());
        assertEquals("bob", user(auth, sign(signer(EC), JWSAlgorithm.ES256, "ec-1", valid("bob"))));
        assertEquals("bob", user(auth, sign(signer(EC), JWSAlgorithm.ES256, null, valid("bob"))));
    }

    @Test
    void rejectsTokensSignedWithAnotherKeyOfTheSameKid() {
        JwtAuthenticator auth = auth(rsaKey(), ecKey());
        assertEquals("bad token signature",
                rejected(auth, sign(signer(OTHER_RSA), JWSAlgorithm.RS256, "rsa-1", valid("eve"))));
        assertEquals("bad token signature",
                rejected(auth, sign(signer(OTHER_EC), JWSAlgorithm.ES256, "ec-1", valid("eve"))));
    }

    @Test
    void rejectsTamperedPayloads() {
        JwtAuthenticator auth = auth(rsaKey(), ecKey());
        String changed = "{\"sub\":\"admin\",\"exp\":" + NOW.plusSeconds(60).getEpochSecond() + "}";
        String rs = sign(signer(RSA), JWSAlgorithm.RS256, "rsa-1", valid("alice"));
        String es = sign(signer(EC), JWSAlgorithm.ES256, "ec-1", valid("alice"));
        assertEquals("alice", user(auth, rs));
        assertEquals("bad token signature", rejected(auth, tamperPayload(rs, changed)));
        assertEquals("bad token signature", rejected(auth, tamperPayload(es, changed)));
    }

    @Test
    void rejectsAnAlgorithmThatDoesNotMatchTheKeyItsKidNames() {
        // An RSA key named ec-1: an ES256 token with that kid must not be checked against it, nor as RS256.
        RSAKey rsaNamedLikeEc = TestTokens.rsaKey("ec-1");
        JwtKey otherEc = JwtKey.fromJwk(TestTokens.ecKey("ec-2").toPublicJWK());
        JwtAuthenticator auth = auth(JwtKey.fromJwk(rsaNamedLikeEc.toPublicJWK()), otherEc);
        assertEquals("token algorithm does not match its key",
                rejected(auth, sign(signer(EC), JWSAlgorithm.ES256, "ec-1", valid("eve"))));
        // And an ES256 token where only RSA keys are held is not accepted at all.
        assertEquals("token algorithm ES256 is not accepted",
                rejected(auth(JwtKey.fromJwk(rsaNamedLikeEc.toPublicJWK())),
                        sign(signer(EC), JWSAlgorithm.ES256, null, valid("eve"))));
    }

    @Test
    void rejectsOtherRsaAndEcAlgorithmsEvenWithTheRightKey() {
        JwtAuthenticator auth = auth(rsaKey(), ecKey());
        assertEquals("token algorithm RS512 is not accepted",
                rejected(auth, sign(signer(RSA), JWSAlgorithm.RS512, "rsa-1", valid("eve"))));
        assertEquals("token algorithm PS256 is not accepted",
                rejected(auth, sign(signer(RSA), JWSAlgorithm.PS256, "rsa-1", valid("eve"))));
        ECKey p384 = TestTokens.ecKey(Curve.P_384, "ec-1");
        assertEquals("token algorithm ES384 is not accepted",
                rejected(auth, sign(signer(p384), JWSAlgorithm.ES384, "ec-1", valid("eve"))));
    }

    @Test
    void hs256TokenMacedWithTheRsaPublicKeyIsRejected() throws JOSEException {
        // The classic confusion: the attacker knows the public key and uses its bytes as an HMAC secret.
        RSAPublicKey pub = RSA.toRSAPublicKey();
        String header = "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}";
        String payload = valid("eve").toString();
        String withPem = TestTokens.hmacRaw("HmacSHA256",
                TestTokens.pem(pub).getBytes(StandardCharsets.US_ASCII), header, payload);
        String withDer = TestTokens.hmacRaw("HmacSHA256", pub.getEncoded(), header, payload);
        JwtAuthenticator rsaOnly = auth(rsaKey());
        assertEquals("token algorithm HS256 is not accepted", rejected(rsaOnly, withPem));
        assertEquals("token algorithm HS256 is not accepted", rejected(rsaOnly, withDer));
        // With a secret held too, the HS256 token meets only the secret, never the RSA key.
        JwtAuthenticator both = auth(rsaKey(), JwtKey.hmac(null, SECRET.getBytes(StandardCharsets.UTF_8)));
        assertEquals("token algorithm does not match its key", rejected(both, withPem));
        assertEquals("token algorithm does not match its key", rejected(both, withDer));
        String noKid = "{\"alg\":\"HS256\"}";
        assertEquals("bad token signature", rejected(both, TestTokens.hmacRaw("HmacSHA256",
                TestTokens.pem(pub).getBytes(StandardCharsets.US_ASCII), noKid, payload)));
        assertEquals("bad token signature",
                rejected(both, TestTokens.hmacRaw("HmacSHA256", pub.getEncoded(), noKid, payload)));
    }

    @Test
    void rs256TokenNeverMeetsTheHmacSecret() throws JOSEException {
        JwtKey secret = JwtKey.hmac("shared", SECRET.getBytes(StandardCharsets.UTF_8));
        JwtAuthenticator secretOnly = auth(secret);
        assertEquals("token algorithm RS256 is not accepted",
                rejected(secretOnly, sign(signer(RSA), JWSAlgorithm.RS256, null, valid("eve"))));
        // A kid naming the secret does not make an RS256 token check against it.
        assertEquals("token algorithm RS256 is not accepted",
                rejected(secretOnly, sign(signer(RSA), JWSAlgorithm.RS256, "shared", valid("eve"))));
        JwtAuthenticator both = auth(secret, rsaKey());
        assertEquals("token algorithm does not match its key",
                rejected(both, sign(signer(RSA), JWSAlgorithm.RS256, "shared", valid("eve"))));
        // An RS256 header over a signature made with the secret is still checked as RSA: bad signature.
        String forged = TestTokens.signRaw(new MACSigner(SECRET), JWSAlgorithm.HS256,
                "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", valid("eve").toString());
        assertEquals("bad token signature", rejected(both, forged));
        // The secret itself still works for HS256.
        assertEquals("carol", user(both, TestTokens.hs256(SECRET, valid("carol"))));
    }

    @Test
    void refusesRsaKeysBelow2048BitsAndTheirTokens() {
        KeyPair weak = TestTokens.weakRsaKeyPair();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtKey.of("weak", weak.getPublic()));
        assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
        // A token signed with a small key fails against the real key, never "upgrades" anything.
        String token = sign(TestTokens.weakSigner(weak), JWSAlgorithm.RS256, "rsa-1", valid("eve"));
        assertEquals("bad token signature", rejected(auth(rsaKey()), token));
    }

    @Test
    void refusesEcKeysOffP256AndOtherKeyTypes() {
        ECKey p384 = TestTokens.ecKey(Curve.P_384, "p384");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtKey.fromJwk(p384.toPublicJWK()));
        assertTrue(e.getMessage().contains("P-256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JwtKey.hmac(null, new byte[0]));
    }

    @Test
    void describesKeysWithoutShowingTheSecret() {
        JwtKey secret = JwtKey.hmac(null, SECRET.getBytes(StandardCharsets.UTF_8));
        assertEquals("HS256 secret", secret.toString());
        assertEquals("RS256 key kid=rsa-1 (2048 bits)", rsaKey().toString());
        assertEquals("ES256 key kid=ec-1 (P-256)", ecKey().toString());
        assertTrue(auth(secret, rsaKey()).toString().contains("HS256 secret"));
        assertTrue(!auth(secret).toString().contains(SECRET));
    }
}
