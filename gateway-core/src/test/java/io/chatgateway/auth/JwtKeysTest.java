package io.chatgateway.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static io.chatgateway.testing.TestTokens.claims;
import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JWKS parsing and how a token's kid picks keys. */
class JwtKeysTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final RSAKey RSA = TestTokens.rsaKey("rsa");
    private static final ECKey EC = TestTokens.ecKey(null);

    @Test
    void takesTheUsableKeysOfAJwksAndSaysWhyOthersWereLeftOut() throws Exception {
        RSAKey enc = new RSAKey.Builder(TestTokens.rsaKey("enc").toRSAPublicKey()).keyID("enc")
                .keyUse(KeyUse.ENCRYPTION).build();
        RSAKey rs512 = new RSAKey.Builder(RSA.toRSAPublicKey()).keyID("rs512").algorithm(JWSAlgorithm.RS512).build();
        String json = "{\"keys\":["
                + RSA.toPublicJWK().toJSONString() + ","
                + EC.toPublicJWK().toJSONString() + ","
                + enc.toJSONString() + ","
                + rs512.toJSONString() + ","
                + TestTokens.ecKey(Curve.P_384, "p384").toPublicJWK().toJSONString() + ","
                + new OctetSequenceKeyGenerator(256).keyID("oct").generate().toJSONString() + ","
                + "{\"kty\":\"RSA\",\"kid\":\"broken\"},"
                + "\"not a key\""
                + "]}";
        List<String> skipped = new ArrayList<>();
        JwtKeys keys = JwtKeys.fromJwks(json, skipped::add);
        assertEquals("[RS256 key kid=rsa (2048 bits), ES256 key (P-256)]", keys.toString());
        assertEquals(6, skipped.size(), skipped::toString);
        assertTrue(skipped.get(0).contains("use enc"), skipped::toString);
        assertTrue(skipped.get(1).contains("alg RS512"), skipped::toString);
        assertTrue(skipped.get(2).contains("P-256"), skipped::toString);
        assertTrue(skipped.get(3).contains("type oct"), skipped::toString);
        // A private JWK in the set contributes only its public half.
        JwtKeys fromPrivate = JwtKeys.fromJwks("{\"keys\":[" + RSA.toJSONString() + "]}", skipped::add);
        assertEquals(1, fromPrivate.size());
    }

    @Test
    void refusesWhatIsNotAJwks() {
        assertThrows(IllegalArgumentException.class, () -> JwtKeys.fromJwks("[]", s -> { }));
        assertThrows(IllegalArgumentException.class, () -> JwtKeys.fromJwks("{\"kty\":\"RSA\"}", s -> { }));
        assertThrows(IllegalArgumentException.class, () -> JwtKeys.fromJwks("not json", s -> { }));
        assertTrue(JwtKeys.fromJwks("{\"keys\":[]}", s -> { }).isEmpty());
    }

    @Test
    void aTokenWithAnUnknownKidFallsBackToKeysWithoutKid() {
        // EC has no kid: it verifies ES256 tokens whatever kid they name, unless a key has that kid.
        JwtKey ecNoKid = JwtKey.fromJwk(EC.toPublicJWK());
        JwtKey rsa = JwtKey.fromJwk(RSA.toPublicJWK());
        JwtKeys keys = JwtKeys.of(ecNoKid, rsa);
        assertEquals(List.of(ecNoKid), keys.candidates("whatever"));
        assertEquals(List.of(rsa), keys.candidates("rsa"));
        assertEquals(List.of(ecNoKid, rsa), keys.candidates(null));

        JwtAuthenticator auth = JwtAuthenticator.builder(JwtKeySource.of(keys))
                .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
        assertEquals("alice", JwtKeyTypesTest.user(auth, sign(signer(EC), JWSAlgorithm.ES256, "whatever",
                claims("alice", NOW.plusSeconds(60)).build())));
        // But a key's own kid is only its own: an RS256 token naming another kid does not reach it.
        assertEquals("unknown token key id", JwtKeyTypesTest.rejected(auth,
                sign(signer(RSA), JWSAlgorithm.RS256, "other", claims("alice", NOW.plusSeconds(60)).build())));
    }

    @Test
    void severalKeysMayShareAKid() {
        RSAKey second = TestTokens.rsaKey("rsa");
        JwtKeys keys = JwtKeys.of(JwtKey.fromJwk(RSA.toPublicJWK()), JwtKey.fromJwk(second.toPublicJWK()));
        JwtAuthenticator auth = JwtAuthenticator.builder(JwtKeySource.of(keys))
                .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
        for (RSAKey k : List.of(RSA, second)) {
            assertEquals("bob", JwtKeyTypesTest.user(auth, sign(signer(k), JWSAlgorithm.RS256, "rsa",
                    claims("bob", NOW.plusSeconds(60)).build())));
        }
        assertTrue(keys.hasKid("rsa"));
        assertFalse(keys.hasKid("other"));
    }
}
