package io.chatgateway.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.opts.AllowWeakRSAKey;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;

/**
 * Keys generated for a test and tokens signed with them (Nimbus signs), including tokens no honest issuer would
 * make: hand-written headers and payloads, duplicate members, {@code alg: none}.
 */
public final class TestTokens {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private TestTokens() {
    }

    /** A fresh 2048-bit RSA key pair with this kid ({@code null}: none). */
    public static RSAKey rsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** A fresh P-256 key pair with this kid ({@code null}: none). */
    public static ECKey ecKey(String kid) {
        return ecKey(Curve.P_256, kid);
    }

    public static ECKey ecKey(Curve curve, String kid) {
        try {
            return new ECKeyGenerator(curve).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** An RSA key pair too small for RS256 (Nimbus will not generate one). */
    public static KeyPair weakRsaKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(1024);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    public static JWSSigner signer(RSAKey key) {
        try {
            return new RSASSASigner(key);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    public static JWSSigner weakSigner(KeyPair weak) {
        return new RSASSASigner((RSAPrivateKey) weak.getPrivate(), Set.of(AllowWeakRSAKey.getInstance()));
    }

    public static JWSSigner signer(ECKey key) {
        try {
            return new ECDSASigner(key);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** Claims with {@code sub} and {@code exp}, to add to. */
    public static JWTClaimsSet.Builder claims(String sub, Instant exp) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(exp));
    }

    /** A token signed by Nimbus, with this alg and kid ({@code null}: none). */
    public static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** A token with this exact header and payload JSON, signed by {@code signer} as {@code alg}. */
    public static String signRaw(JWSSigner signer, JWSAlgorithm alg, String headerJson, String payloadJson) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        try {
            Base64URL sig = signer.sign(new JWSHeader(alg), input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + sig;
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A token with this exact header and payload JSON, MACed under {@code key} with a JCA algorithm
     * ({@code HmacSHA256}, {@code HmacSHA384}, ...), whatever the header says and however short the key.
     */
    public static String hmacRaw(String jcaAlgorithm, byte[] key, String headerJson, String payloadJson) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        try {
            Mac mac = Mac.getInstance(jcaAlgorithm);
            mac.init(new SecretKeySpec(key, jcaAlgorithm));
            return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** HS256 under a secret of any length, with this header and payload JSON. */
    public static String hs256Raw(String secret, String headerJson, String payloadJson) {
        return hmacRaw("HmacSHA256", secret.getBytes(StandardCharsets.UTF_8), headerJson, payloadJson);
    }

    /** HS256 under a secret of any length: {@code {"alg":"HS256","typ":"JWT"}} and these claims. */
    public static String hs256(String secret, JWTClaimsSet claims) {
        return hs256Raw(secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims.toString());
    }

    /** An unsigned token ({@code alg: none}) with these claims, the signature part empty. */
    public static String unsigned(String payloadJson) {
        return b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(payloadJson) + ".";
    }

    /** The public key of an RSA key as PEM ({@code BEGIN PUBLIC KEY}). */
    public static String pem(RSAPublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    /** DER bytes as a PEM block of this type. */
    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static String b64(String json) {
        return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
