package io.chatgateway.auth;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;

/**
 * One key that verifies token signatures, bound to the one algorithm it may verify: an HMAC secret verifies
 * {@code HS256} only, an RSA public key (at least {@value #MIN_RSA_BITS} bits) {@code RS256} only, an EC public key
 * on P-256 {@code ES256} only. Binding the algorithm to the key's type is what keeps a token from choosing how it is
 * checked: an {@code HS256} token "signed" with the bytes of an RSA public key never meets that key, and an
 * {@code RS256} token never meets the secret.
 *
 * <p>A key may carry a key id ({@code kid}); see {@link JwtKeys} for how tokens find their key. {@link #toString()}
 * describes the key (algorithm, kid, size) and never shows the secret. Immutable and thread-safe.
 */
public final class JwtKey {
    /** Smallest RSA modulus accepted, in bits (RFC 7518 section 3.3). */
    public static final int MIN_RSA_BITS = 2048;
    /** Length of an HS256 signature in bytes. */
    private static final int HS256_BYTES = 32;

    /** The algorithms the gateway accepts, one per key type. */
    public enum Type {
        /** A shared secret; verifies {@code HS256}. */
        HMAC("HS256"),
        /** An RSA public key; verifies {@code RS256}. */
        RSA("RS256"),
        /** An EC public key on P-256; verifies {@code ES256}. */
        EC("ES256");

        private final String algorithm;

        Type(String algorithm) {
            this.algorithm = algorithm;
        }

        /** The JWS {@code alg} this type of key verifies. */
        public String algorithm() {
            return algorithm;
        }

        /** The type whose {@link #algorithm()} is {@code alg}, or {@code null} when no key may verify it. */
        public static Type forAlgorithm(String alg) {
            for (Type t : values()) {
                if (t.algorithm.equals(alg)) {
                    return t;
                }
            }
            return null;
        }
    }

    private final Type type;
    private final String kid;
    private final byte[] secret;
    private final JWSVerifier verifier;
    private final JWSHeader header;
    private final String description;

    private JwtKey(Type type, String kid, byte[] secret, JWSVerifier verifier, String description) {
        this.type = type;
        this.kid = kid;
        this.secret = secret;
        this.verifier = verifier;
        this.header = verifier == null ? null : new JWSHeader(JWSAlgorithm.parse(type.algorithm));
        this.description = type.algorithm + (secret != null ? " secret" : " key") + (kid == null ? "" : " kid=" + kid)
                + description;
    }

    /**
     * An HS256 secret.
     *
     * @param kid    the key id, or {@code null}
     * @param secret the secret's bytes (copied); RFC 7518 asks for at least 32
     */
    public static JwtKey hmac(String kid, byte[] secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length == 0) {
            throw new IllegalArgumentException("secret: empty (expected: a non-empty HS256 secret)");
        }
        return new JwtKey(Type.HMAC, kid(kid), secret.clone(), null, "");
    }

    /**
     * An RS256 public key.
     *
     * @throws IllegalArgumentException when the key has fewer than {@value #MIN_RSA_BITS} bits
     */
    public static JwtKey rsa(String kid, RSAPublicKey key) {
        Objects.requireNonNull(key, "key");
        int bits = key.getModulus().bitLength();
        if (bits < MIN_RSA_BITS) {
            throw new IllegalArgumentException("RSA key" + kidSuffix(kid) + ": " + bits + " bits (expected: >= "
                    + MIN_RSA_BITS + ")");
        }
        return new JwtKey(Type.RSA, kid(kid), null, new RSASSAVerifier(key), " (" + bits + " bits)");
    }

    /**
     * An ES256 public key.
     *
     * @throws IllegalArgumentException when the key is not on P-256
     */
    public static JwtKey ec(String kid, ECPublicKey key) {
        Objects.requireNonNull(key, "key");
        Curve curve = Curve.forECParameterSpec(key.getParams());
        if (!Curve.P_256.equals(curve)) {
            throw new IllegalArgumentException("EC key" + kidSuffix(kid) + ": curve "
                    + (curve == null ? "unknown" : curve.getName()) + " (expected: P-256 for ES256)");
        }
        try {
            return new JwtKey(Type.EC, kid(kid), null, new ECDSAVerifier(key), " (P-256)");
        } catch (JOSEException e) {
            throw new IllegalArgumentException("EC key" + kidSuffix(kid) + ": " + e.getMessage());
        }
    }

    /**
     * An RSA or EC public key.
     *
     * @throws IllegalArgumentException for any other kind of key, or one that {@link #rsa} or {@link #ec} refuses
     */
    public static JwtKey of(String kid, PublicKey key) {
        if (key instanceof RSAPublicKey) {
            return rsa(kid, (RSAPublicKey) key);
        }
        if (key instanceof ECPublicKey) {
            return ec(kid, (ECPublicKey) key);
        }
        throw new IllegalArgumentException("key" + kidSuffix(kid) + ": " + (key == null ? "null" : key.getAlgorithm())
                + " (expected: an RSA or EC public key)");
    }

    /**
     * The public key of a JWK from a key set, with its {@code kid}. Refused: symmetric and other key types, keys
     * whose {@code use} is not {@code sig}, whose {@code key_ops} do not include {@code verify}, or whose
     * {@code alg} is not the one the gateway accepts for their type; and what {@link #rsa} or {@link #ec} refuses.
     *
     * @throws IllegalArgumentException saying why the key cannot be used
     */
    public static JwtKey fromJwk(JWK jwk) {
        Objects.requireNonNull(jwk, "jwk");
        String kid = jwk.getKeyID();
        Type type;
        if (jwk instanceof RSAKey) {
            type = Type.RSA;
        } else if (jwk instanceof ECKey) {
            type = Type.EC;
        } else {
            throw new IllegalArgumentException("key" + kidSuffix(kid) + ": type " + jwk.getKeyType().getValue()
                    + " (expected: RSA or EC)");
        }
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
            throw new IllegalArgumentException("key" + kidSuffix(kid) + ": use " + jwk.getKeyUse().getValue()
                    + " (expected: sig)");
        }
        if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
            throw new IllegalArgumentException("key" + kidSuffix(kid) + ": key_ops without verify");
        }
        Algorithm alg = jwk.getAlgorithm();
        if (alg != null && !alg.getName().equals(type.algorithm)) {
            throw new IllegalArgumentException("key" + kidSuffix(kid) + ": alg " + alg.getName() + " (expected: "
                    + type.algorithm + " for a " + jwk.getKeyType().getValue() + " key)");
        }
        try {
            return type == Type.RSA ? rsa(kid, ((RSAKey) jwk).toRSAPublicKey())
                    : ec(kid, ((ECKey) jwk).toECPublicKey());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("key" + kidSuffix(kid) + ": " + e.getMessage());
        }
    }

    private static String kid(String kid) {
        if (kid != null && kid.isEmpty()) {
            throw new IllegalArgumentException("kid: empty (expected: null for no kid, or a non-empty kid)");
        }
        return kid;
    }

    private static String kidSuffix(String kid) {
        return kid == null ? "" : " kid=" + kid;
    }

    /** What kind of key this is, hence which {@code alg} it verifies. */
    public Type type() {
        return type;
    }

    /** The key id, or {@code null} when the key has none. */
    public String kid() {
        return kid;
    }

    /** The JWS {@code alg} this key verifies. */
    public String algorithm() {
        return type.algorithm;
    }

    /**
     * Checks a signature over the JWS signing input ({@code base64url(header) "." base64url(payload)}).
     * Never throws for a bad signature; only {@code true} means verified.
     */
    boolean verify(byte[] signingInput, byte[] signature) {
        if (secret != null) {
            if (signature.length != HS256_BYTES) {
                return false;
            }
            try {
                // Not Nimbus's MACVerifier: it refuses secrets under 256 bits, which the server accepts with a warning.
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                return MessageDigest.isEqual(mac.doFinal(signingInput), signature);
            } catch (GeneralSecurityException e) {
                return false;
            }
        }
        try {
            return verifier.verify(header, signingInput, Base64URL.encode(signature));
        } catch (JOSEException | RuntimeException e) {
            return false;
        }
    }

    /** E.g. {@code RS256 key kid=2024-05 (2048 bits)}; a secret shows as {@code HS256 secret}, never its bytes. */
    @Override
    public String toString() {
        return description;
    }
}
