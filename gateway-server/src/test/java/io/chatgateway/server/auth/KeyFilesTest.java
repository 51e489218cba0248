package io.chatgateway.server.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import io.chatgateway.auth.AuthenticationException;
import io.chatgateway.auth.JwtAuthenticator;
import io.chatgateway.auth.JwtKey;
import io.chatgateway.auth.JwtKeySource;
import io.chatgateway.auth.JwtKeys;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static io.chatgateway.testing.TestTokens.claims;
import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jwt-public-key-file (PEM) and jwt-jwks-file. */
class KeyFilesTest {
    private static final String SETTING = "jwt-public-key-file";
    private static final RSAKey RSA = TestTokens.rsaKey(null);
    private static final ECKey EC = TestTokens.ecKey(null);

    @TempDir
    Path dir;

    private Path write(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.US_ASCII);
        return p;
    }

    private static String pem(RSAKey k) throws Exception {
        return TestTokens.pem("PUBLIC KEY", k.toRSAPublicKey().getEncoded());
    }

    private static String pem(ECKey k) throws Exception {
        return TestTokens.pem("PUBLIC KEY", k.toECPublicKey().getEncoded());
    }

    private static JwtKeys load(String spec) {
        return KeyFiles.pem(SETTING, KeyFiles.pemEntries(SETTING, spec));
    }

    private static String user(JwtKeys keys, String token) {
        return JwtAuthenticator.builder(JwtKeySource.of(keys)).build().authenticate(token).toCompletableFuture()
                .join().user();
    }

    @Test
    void parsesEntriesWithAndWithoutKid() {
        List<KeyFiles.PemEntry> e = KeyFiles.pemEntries(SETTING, " a.pem , 2026-11=/keys/b.pem,=/keys/c=d.pem");
        assertEquals(3, e.size());
        assertNull(e.get(0).kid());
        assertEquals(Path.of("a.pem"), e.get(0).path());
        assertEquals("2026-11", e.get(1).kid());
        assertEquals(Path.of("/keys/b.pem"), e.get(1).path());
        assertNull(e.get(2).kid());
        assertEquals(Path.of("/keys/c=d.pem"), e.get(2).path());
        assertThrows(KeyConfigException.class, () -> KeyFiles.pemEntries(SETTING, "a.pem,,b.pem"));
        assertThrows(KeyConfigException.class, () -> KeyFiles.pemEntries(SETTING, "kid="));
    }

    @Test
    void loadsSeveralKeysFromOneFileAllWithTheEntrysKid() throws Exception {
        Path both = write("both.pem", "RSA signing key\n" + pem(RSA) + "\nEC signing key\n" + pem(EC));
        JwtKeys keys = load("2026-11=" + both);
        assertEquals("[RS256 key kid=2026-11 (2048 bits), ES256 key kid=2026-11 (P-256)]", keys.toString());
        Instant exp = Instant.now().plusSeconds(60);
        // The kid selects the file's keys; the alg picks the one of the right type among them.
        assertEquals("alice", user(keys, sign(signer(RSA), JWSAlgorithm.RS256, "2026-11", claims("alice", exp).build())));
        assertEquals("bob", user(keys, sign(signer(EC), JWSAlgorithm.ES256, "2026-11", claims("bob", exp).build())));
    }

    @Test
    void keysWithoutKidVerifyTokensNamingAnyKidTheOthersDoNotHave() throws Exception {
        RSAKey named = TestTokens.rsaKey(null);
        Path a = write("a.pem", pem(RSA));
        Path b = write("b.pem", pem(named));
        JwtKeys keys = load(a + ",new=" + b);
        assertEquals(2, keys.size());
        Instant exp = Instant.now().plusSeconds(60);
        assertEquals("alice", user(keys, sign(signer(RSA), JWSAlgorithm.RS256, null, claims("alice", exp).build())));
        assertEquals("alice", user(keys, sign(signer(RSA), JWSAlgorithm.RS256, "idp-kid", claims("alice", exp).build())));
        assertEquals("carol", user(keys, sign(signer(named), JWSAlgorithm.RS256, "new", claims("carol", exp).build())));
        assertEquals("carol", user(keys, sign(signer(named), JWSAlgorithm.RS256, null, claims("carol", exp).build())));
        // The key of kid "new" is only for kid "new": a token naming another kid does not reach it.
        CompletionException e = assertThrows(CompletionException.class, () -> user(keys,
                sign(signer(named), JWSAlgorithm.RS256, "idp-kid", claims("carol", exp).build())));
        assertTrue(e.getCause() instanceof AuthenticationException);
        assertEquals("bad token signature", e.getCause().getMessage());
    }

    @Test
    void readsPkcs1RsaPublicKeys() throws Exception {
        byte[] spki = RSA.toRSAPublicKey().getEncoded();
        // SubjectPublicKeyInfo of a 2048-bit key: 24 bytes of header, then the PKCS#1 RSAPublicKey.
        byte[] pkcs1 = Arrays.copyOfRange(spki, 24, spki.length);
        assertTrue(Arrays.equals(spki, KeyFiles.wrapPkcs1(pkcs1)), "the wrapping is the inverse of the cut");
        Path p = write("pkcs1.pem", TestTokens.pem("RSA PUBLIC KEY", pkcs1));
        JwtKeys keys = load(p.toString());
        assertEquals("alice", user(keys, sign(signer(RSA), JWSAlgorithm.RS256, null,
                claims("alice", Instant.now().plusSeconds(60)).build())));
    }

    @Test
    void readsThePublicKeyOfACertificate() throws Exception {
        Path store = dir.resolve("cert.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "k", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=test", "-validity", "1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "test-only", "-keypass", "test-only")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "test-only".toCharArray());
        }
        Certificate cert = ks.getCertificate("k");
        Path pem = write("cert.pem", TestTokens.pem("CERTIFICATE", cert.getEncoded()));
        JwtKeys keys = load("c=" + pem);
        assertEquals("[ES256 key kid=c (P-256)]", keys.toString());
        ECKey signing = new ECKey.Builder(Curve.P_256, (java.security.interfaces.ECPublicKey) cert.getPublicKey())
                .privateKey((java.security.interfaces.ECPrivateKey) ks.getKey("k", "test-only".toCharArray()))
                .build();
        assertEquals("dave", user(keys, sign(signer(signing), JWSAlgorithm.ES256, "c",
                claims("dave", Instant.now().plusSeconds(60)).build())));
    }

    @Test
    void refusesPrivateKeysWeakKeysAndOtherCurves() throws Exception {
        Path priv = write("priv.pem", TestTokens.pem("PRIVATE KEY", RSA.toRSAPrivateKey().getEncoded()) + pem(RSA));
        KeyConfigException e = assertThrows(KeyConfigException.class, () -> load(priv.toString()));
        assertTrue(e.getMessage().contains("private key"), e.getMessage());
        assertTrue(e.getMessage().startsWith(SETTING + ": " + priv), e.getMessage());
        assertTrue(!e.getMessage().contains(pem(RSA).substring(30, 60)), "no key material in the message");

        Path weak = write("weak.pem", TestTokens.pem("PUBLIC KEY", TestTokens.weakRsaKeyPair().getPublic().getEncoded()));
        e = assertThrows(KeyConfigException.class, () -> load(weak.toString()));
        assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());

        Path p384 = write("p384.pem", TestTokens.pem("PUBLIC KEY",
                TestTokens.ecKey(Curve.P_384, null).toECPublicKey().getEncoded()));
        e = assertThrows(KeyConfigException.class, () -> load(p384.toString()));
        assertTrue(e.getMessage().contains("P-256"), e.getMessage());
    }

    @Test
    void refusesFilesWithoutAUsableKey() throws Exception {
        assertTrue(assertThrows(KeyConfigException.class, () -> load(dir.resolve("missing.pem").toString()))
                .getMessage().contains("cannot be read"));
        Path empty = write("empty.pem", "nothing here\n");
        assertTrue(assertThrows(KeyConfigException.class, () -> load(empty.toString()))
                .getMessage().contains("no PEM public key"));
        Path cut = write("cut.pem", pem(RSA).substring(0, 200));
        assertTrue(assertThrows(KeyConfigException.class, () -> load(cut.toString()))
                .getMessage().contains("no matching END"));
        Path garbled = write("garbled.pem", "-----BEGIN PUBLIC KEY-----\nnot*base64\n-----END PUBLIC KEY-----\n");
        assertTrue(assertThrows(KeyConfigException.class, () -> load(garbled.toString()))
                .getMessage().contains("not base64"));
        Path other = write("other.pem", TestTokens.pem("CERTIFICATE REQUEST", new byte[] {1, 2, 3}));
        assertTrue(assertThrows(KeyConfigException.class, () -> load(other.toString()))
                .getMessage().contains("CERTIFICATE REQUEST"));
        Path big = dir.resolve("big.pem");
        Files.write(big, new byte[KeyFiles.MAX_FILE_BYTES + 1]);
        assertTrue(assertThrows(KeyConfigException.class, () -> load(big.toString()))
                .getMessage().contains("larger than"));
    }

    @Test
    void loadsAJwksFileAndReportsTheKeysLeftOut() throws Exception {
        RSAKey rsa = TestTokens.rsaKey("r1");
        ECKey ec = TestTokens.ecKey("e1");
        RSAKey enc = new RSAKey.Builder(TestTokens.rsaKey("x").toRSAPublicKey()).keyID("enc")
                .keyUse(KeyUse.ENCRYPTION).build();
        Path jwks = write("jwks.json", "{\"keys\":[" + rsa.toPublicJWK().toJSONString() + ","
                + ec.toPublicJWK().toJSONString() + "," + enc.toJSONString() + "]}");
        List<String> skipped = new ArrayList<>();
        JwtKeys keys = KeyFiles.jwks("jwt-jwks-file", jwks, skipped::add);
        assertEquals(List.of("r1", "e1"), keys.keys().stream().map(JwtKey::kid).toList());
        assertEquals(1, skipped.size());
        Instant exp = Instant.now().plusSeconds(60);
        assertEquals("erin", user(keys, sign(signer(ec), JWSAlgorithm.ES256, "e1", claims("erin", exp).build())));

        Path encOnly = write("enc.json", "{\"keys\":[" + enc.toJSONString() + "]}");
        assertTrue(assertThrows(KeyConfigException.class, () -> KeyFiles.jwks("jwt-jwks-file", encOnly, s -> { }))
                .getMessage().contains("no usable key"));
        Path notJwks = write("not.json", "{\"kty\":\"RSA\"}");
        assertTrue(assertThrows(KeyConfigException.class, () -> KeyFiles.jwks("jwt-jwks-file", notJwks, s -> { }))
                .getMessage().contains("not a JWK set"));
    }
}
