package io.chatgateway.auth;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * An immutable snapshot of the keys that verify tokens: a secret, public keys from files, the keys of a JWKS.
 *
 * <p>How a token finds its keys ({@link #candidates(String)}):
 * <ul>
 *   <li>A token with a {@code kid} is checked against the keys with exactly that {@code kid} (several keys may share
 *       one, e.g. all keys of one PEM file); when no key has it, against the keys that have no {@code kid}.</li>
 *   <li>A token without a {@code kid} is checked against every key.</li>
 * </ul>
 * In both cases only keys of the type that the token's {@code alg} names are used (see {@link JwtKey}); the first
 * that verifies the signature wins.
 */
public final class JwtKeys {
    /** No keys. */
    public static final JwtKeys EMPTY = new JwtKeys(List.of());
    /** Most keys taken from one JWKS: every key may be tried for a token without a {@code kid}. */
    public static final int MAX_JWKS_KEYS = 100;

    private final List<JwtKey> keys;
    private final Set<String> kids;

    private JwtKeys(List<JwtKey> keys) {
        this.keys = keys;
        Set<String> k = new HashSet<>();
        for (JwtKey key : keys) {
            if (key.kid() != null) {
                k.add(key.kid());
            }
        }
        this.kids = Set.copyOf(k);
    }

    /** These keys, in this order. */
    public static JwtKeys of(Collection<JwtKey> keys) {
        for (JwtKey k : keys) {
            Objects.requireNonNull(k, "a key is null");
        }
        return keys.isEmpty() ? EMPTY : new JwtKeys(List.copyOf(keys));
    }

    /** These keys, in this order. */
    public static JwtKeys of(JwtKey... keys) {
        return of(List.of(keys));
    }

    /**
     * The usable keys of a JSON Web Key Set ({@code {"keys": [...]}}, RFC 7517 section 5). A key that
     * {@link JwtKey#fromJwk} refuses, or that cannot be parsed, is left out and reported to {@code skipped}; a set
     * with no usable key at all gives {@link #EMPTY}.
     *
     * @param skipped told why each left-out key was left out (for the log)
     * @throws IllegalArgumentException when {@code json} is not a JWK set, or has more than
     *                                  {@value #MAX_JWKS_KEYS} usable keys
     */
    public static JwtKeys fromJwks(String json, Consumer<String> skipped) {
        Map<String, Object> set;
        try {
            set = JSONObjectUtils.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getMessage());
        }
        if (set == null) {
            // Nimbus reads the document "null" as no object at all rather than refusing it.
            throw new IllegalArgumentException("not a JSON object: null");
        }
        if (!(set.get("keys") instanceof List)) {
            throw new IllegalArgumentException("not a JWK set (expected: {\"keys\": [...]})");
        }
        List<JwtKey> keys = new ArrayList<>();
        int i = 0;
        for (Object o : (List<?>) set.get("keys")) {
            try {
                if (!(o instanceof Map)) {
                    throw new IllegalArgumentException("not a JSON object");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> jwk = (Map<String, Object>) o;
                keys.add(JwtKey.fromJwk(JWK.parse(jwk)));
            } catch (ParseException | IllegalArgumentException e) {
                skipped.accept("key #" + i + ": " + e.getMessage());
            }
            i++;
        }
        if (keys.size() > MAX_JWKS_KEYS) {
            throw new IllegalArgumentException(keys.size() + " usable keys (expected: at most " + MAX_JWKS_KEYS + ")");
        }
        return of(keys);
    }

    /** These keys followed by {@code other}'s. */
    public JwtKeys plus(JwtKeys other) {
        if (other.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        List<JwtKey> all = new ArrayList<>(keys);
        all.addAll(other.keys);
        return new JwtKeys(List.copyOf(all));
    }

    /** The keys, in order. */
    public List<JwtKey> keys() {
        return keys;
    }

    public int size() {
        return keys.size();
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** {@code true} when some key has this {@code kid}. */
    public boolean hasKid(String kid) {
        return kids.contains(kid);
    }

    /** {@code true} when some key is of this type. */
    public boolean hasType(JwtKey.Type type) {
        for (JwtKey k : keys) {
            if (k.type() == type) {
                return true;
            }
        }
        return false;
    }

    /**
     * The keys a token with this {@code kid} ({@code null}: none) is checked against, of any type: those with
     * that {@code kid}, else those without one; every key when the token names no {@code kid}.
     */
    List<JwtKey> candidates(String kid) {
        if (kid == null) {
            return keys;
        }
        boolean named = kids.contains(kid);
        List<JwtKey> out = new ArrayList<>(2);
        for (JwtKey k : keys) {
            if (named ? kid.equals(k.kid()) : k.kid() == null) {
                out.add(k);
            }
        }
        return out;
    }

    /** E.g. {@code [HS256 secret, RS256 key kid=a (2048 bits), ES256 key kid=b (P-256)]}. */
    @Override
    public String toString() {
        return keys.toString();
    }
}
