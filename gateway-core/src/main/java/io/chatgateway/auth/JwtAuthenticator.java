package io.chatgateway.auth;

import io.chatgateway.policy.RoomPatterns;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.Names;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Production mode: the token is a JWS-signed JWT (compact form) and the user id is its {@code sub}.
 *
 * <p>Keys come from a {@link JwtKeySource}: an HS256 secret, RS256 and ES256 public keys, a JWKS. Connection tokens
 * and room tokens are checked by the same rules:
 * <ul>
 *   <li>At most {@value #MAX_TOKEN_LENGTH} characters, three base64url parts, checked before anything is decoded.</li>
 *   <li>{@code alg} is {@code HS256}, {@code RS256} or {@code ES256}, and it must match the type of the key that
 *       verifies the token (see {@link JwtKey}); {@code none} and every other algorithm are rejected.</li>
 *   <li>{@code kid}, when present, selects the key (see {@link JwtKeys}); a {@code kid} the source does not hold
 *       makes it {@link JwtKeySource#refetch() refetch} once, and the token is judged when that is done.</li>
 *   <li>A {@code crit} header is rejected whatever it names: the gateway understands no critical extension.
 *       Header members such as {@code jwk}, {@code jku} and {@code x5u} are never used to find a key.</li>
 *   <li>A member name twice in the header or the claims is rejected.</li>
 *   <li>{@code exp} is required; {@code exp}, {@code nbf} and {@code iat} (when present) are numbers and are checked
 *       with the leeway of clock skew. With a maximum lifetime, {@code exp - iat} (without {@code iat}:
 *       {@code exp - now}, plus the leeway) above it is rejected.</li>
 *   <li>With an issuer configured, {@code iss} must equal it; with an audience configured, {@code aud} (a string or
 *       an array of strings) must contain it.</li>
 *   <li>{@code sub} is a string that passes {@link Names#userProblem}.</li>
 * </ul>
 * A connection token may carry {@code rooms} and {@code rooms_readonly} (arrays of room patterns) and must not carry
 * {@code room} (that makes it a room token). A room token carries {@code room}, the room it grants, and optionally
 * {@code readonly} ({@code true}: no publish right).
 *
 * <p>A rejected token fails the stage with an {@link AuthenticationException} whose message is short, says what was
 * wrong, and never contains key material or echoes the token. Thread-safe; never blocks (a refetch completes the
 * stage later, on the thread the key source completes it on).
 *
 * <pre>{@code
 * Authenticator auth = JwtAuthenticator.builder(JwtKeySource.of(JwtKeys.of(JwtKey.rsa("2024-05", publicKey))))
 *         .issuer("https://login.example.com/")
 *         .audience("chat")
 *         .build();
 * }</pre>
 */
public final class JwtAuthenticator implements Authenticator {
    /** Default clock-skew allowance for {@code exp}, {@code nbf} and {@code iat}. */
    public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(5);
    /** Longest token accepted, in characters; anything longer is rejected without being decoded. */
    public static final int MAX_TOKEN_LENGTH = 8192;
    /** Latest time a time claim may name (9999-12-31T23:59:59Z), in epoch seconds. */
    static final double MAX_NUMERIC_DATE = 253_402_300_799d;
    /** Algorithms named in errors as they are; anything else is "an unsupported algorithm". */
    private static final Set<String> KNOWN_ALGORITHMS = Set.of("none", "HS256", "HS384", "HS512", "RS256", "RS384",
            "RS512", "ES256", "ES256K", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA", "Ed25519", "Ed448");
    private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();

    private final JwtKeySource keys;
    private final Duration leeway;
    private final Clock clock;
    private final String issuer;
    private final String audience;
    private final Duration maxLifetime;

    /** HS256 under this secret (its UTF-8 bytes), the default leeway, the system clock. */
    public JwtAuthenticator(String secret) {
        this(secret, DEFAULT_LEEWAY, Clock.systemUTC());
    }

    /** HS256 under this secret (its UTF-8 bytes). */
    public JwtAuthenticator(String secret, Duration leeway, Clock clock) {
        this(builder(JwtKeySource.of(JwtKeys.of(hmac(secret)))).leeway(leeway).clock(clock));
    }

    private static JwtKey hmac(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret: empty (expected: a non-empty HS256 secret)");
        }
        return JwtKey.hmac(null, secret.getBytes(StandardCharsets.UTF_8));
    }

    private JwtAuthenticator(Builder b) {
        this.keys = b.keys;
        this.leeway = b.leeway;
        this.clock = b.clock;
        this.issuer = b.issuer;
        this.audience = b.audience;
        this.maxLifetime = b.maxLifetime;
    }

    /** An authenticator verifying tokens with the keys of {@code keys}. */
    public static Builder builder(JwtKeySource keys) {
        return new Builder(keys);
    }

    @Override
    public CompletionStage<Principal> authenticate(String token) {
        return check(token, this::principal);
    }

    @Override
    public CompletionStage<RoomRight> authorizeRoom(String token, String user, String room) {
        return check(token, claims -> roomRight(claims, user, room));
    }

    @Override
    public Duration leeway() {
        return leeway;
    }

    // ---- the checks

    /** What the claims give, or why not. */
    @FunctionalInterface
    private interface ClaimsCheck<T> {
        T apply(Claims claims) throws AuthenticationException;
    }

    private <T> CompletionStage<T> check(String token, ClaimsCheck<T> then) {
        try {
            Jws jws = Jws.parse(token);
            JwtKeys held = keys.keys();
            if (jws.kid == null || held.hasKid(jws.kid)) {
                return CompletableFuture.completedFuture(then.apply(verified(jws, held)));
            }
            // A kid we do not hold: perhaps the key was rotated; judge the token once the source has looked again.
            CompletableFuture<T> result = new CompletableFuture<>();
            keys.refetch().whenComplete((fresh, error) -> {
                try {
                    result.complete(then.apply(verified(jws, error == null && fresh != null ? fresh : keys.keys())));
                } catch (AuthenticationException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
            return result;
        } catch (AuthenticationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Claims verified(Jws jws, JwtKeys held) throws AuthenticationException {
        JwtKey.Type type = JwtKey.Type.forAlgorithm(jws.alg);
        if (!held.hasType(type)) {
            throw new AuthenticationException("token algorithm " + jws.alg + " is not accepted");
        }
        List<JwtKey> candidates = held.candidates(jws.kid);
        boolean typeMatched = false;
        for (JwtKey key : candidates) {
            if (key.type() != type) {
                continue;
            }
            typeMatched = true;
            if (key.verify(jws.signingInput, jws.signature)) {
                return claims(jws);
            }
        }
        if (!typeMatched) {
            throw new AuthenticationException(jws.kid != null && !held.hasKid(jws.kid) ? "unknown token key id"
                    : "token algorithm does not match its key");
        }
        throw new AuthenticationException("bad token signature");
    }

    private Claims claims(Jws jws) throws AuthenticationException {
        Map<String, Object> map;
        try {
            map = StrictJson.readObject(jws.payload);
        } catch (StrictJson.Problem p) {
            throw new AuthenticationException(p.duplicate ? "token claims name a member twice"
                    : "token claims are not a JSON object");
        }
        Claims c = new Claims(map);
        double now = clock.millis() / 1000d;
        long skew = leeway.toSeconds();
        double exp = c.time("exp");
        if (Double.isNaN(exp)) {
            throw new AuthenticationException("token lacks claim 'exp'");
        }
        if (now >= exp + skew) {
            throw new AuthenticationException("token expired");
        }
        double nbf = c.time("nbf");
        if (!Double.isNaN(nbf) && now + skew < nbf) {
            throw new AuthenticationException("token not valid yet (nbf)");
        }
        double iat = c.time("iat");
        if (!Double.isNaN(iat) && now + skew < iat) {
            throw new AuthenticationException("token issued in the future (iat)");
        }
        if (!maxLifetime.isZero()) {
            double max = maxLifetime.toSeconds();
            if (Double.isNaN(iat) ? exp - now > max + skew : exp - iat > max) {
                throw new AuthenticationException("token lifetime exceeds the maximum of " + maxLifetime.toSeconds()
                        + " s");
            }
        }
        if (issuer != null && !issuer.equals(c.get("iss"))) {
            throw new AuthenticationException(c.has("iss") ? "token issuer is not accepted" : "token lacks claim 'iss'");
        }
        if (audience != null && !c.audiences().contains(audience)) {
            throw new AuthenticationException(c.has("aud") ? "token audience is not accepted" : "token lacks claim 'aud'");
        }
        Object sub = c.get("sub");
        if (sub == null) {
            throw new AuthenticationException("token lacks claim 'sub'");
        }
        if (!(sub instanceof String)) {
            throw new AuthenticationException("token 'sub' must be a string");
        }
        String problem = Names.userProblem((String) sub);
        if (problem != null) {
            throw new AuthenticationException("token 'sub': " + problem);
        }
        c.subject = (String) sub;
        c.expiresAt = (long) Math.floor(exp);
        return c;
    }

    private Principal principal(Claims c) throws AuthenticationException {
        if (c.has("room")) {
            throw new AuthenticationException("a room token is not a connection token");
        }
        return new Principal(c.subject, c.expiresAt, c.patterns("rooms"), c.patterns("rooms_readonly"));
    }

    private static RoomRight roomRight(Claims c, String user, String room) throws AuthenticationException {
        if (!c.subject.equals(user)) {
            throw new AuthenticationException("room token is for another user");
        }
        Object claim = c.get("room");
        if (claim == null) {
            throw new AuthenticationException("room token lacks claim 'room'");
        }
        if (!(claim instanceof String)) {
            throw new AuthenticationException("room token 'room' must be a string");
        }
        if (!claim.equals(room)) {
            throw new AuthenticationException("room token is for another room");
        }
        Object readonly = c.get("readonly");
        if (readonly != null && !(readonly instanceof Boolean)) {
            throw new AuthenticationException("room token 'readonly' must be true or false");
        }
        return Boolean.TRUE.equals(readonly) ? RoomRight.READ : RoomRight.PUBLISH;
    }

    // ---- parsing

    /** A compact JWS split and its header read; nothing verified yet. */
    private static final class Jws {
        final String alg;
        final String kid;
        final byte[] signingInput;
        final byte[] payload;
        final byte[] signature;

        private Jws(String alg, String kid, byte[] signingInput, byte[] payload, byte[] signature) {
            this.alg = alg;
            this.kid = kid;
            this.signingInput = signingInput;
            this.payload = payload;
            this.signature = signature;
        }

        static Jws parse(String token) throws AuthenticationException {
            if (token == null || token.isEmpty()) {
                throw new AuthenticationException("empty token");
            }
            if (token.length() > MAX_TOKEN_LENGTH) {
                throw new AuthenticationException("token longer than " + MAX_TOKEN_LENGTH + " characters");
            }
            int dot1 = token.indexOf('.');
            int dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
            if (dot1 <= 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0 || token.indexOf('=') >= 0) {
                throw new AuthenticationException("token is not a JWT");
            }
            byte[] headerJson = decode(token, 0, dot1);
            byte[] payload = decode(token, dot1 + 1, dot2);
            byte[] signature = decode(token, dot2 + 1, token.length());

            Map<String, Object> header;
            try {
                header = StrictJson.readObject(headerJson);
            } catch (StrictJson.Problem p) {
                throw new AuthenticationException(p.duplicate ? "token header names a member twice"
                        : "token is not a JWT");
            }
            if (header.containsKey("crit")) {
                throw new AuthenticationException("token header 'crit' names an extension the gateway does not support");
            }
            Object alg = header.get("alg");
            if (!(alg instanceof String)) {
                throw new AuthenticationException(alg == null ? "token header lacks 'alg'"
                        : "token header 'alg' must be a string");
            }
            if (JwtKey.Type.forAlgorithm((String) alg) == null) {
                throw new AuthenticationException(KNOWN_ALGORITHMS.contains(alg)
                        ? "token algorithm " + alg + " is not accepted" : "token algorithm is not supported");
            }
            Object kid = header.get("kid");
            if (kid != null && !(kid instanceof String)) {
                throw new AuthenticationException("token header 'kid' must be a string");
            }
            return new Jws((String) alg, (String) kid, token.substring(0, dot2).getBytes(StandardCharsets.US_ASCII),
                    payload, signature);
        }

        private static byte[] decode(String token, int from, int to) throws AuthenticationException {
            try {
                return BASE64URL.decode(token.substring(from, to));
            } catch (IllegalArgumentException e) {
                throw new AuthenticationException("token is not a JWT");
            }
        }
    }

    /** The claims of a verified token. */
    private static final class Claims {
        private final Map<String, Object> map;
        String subject;
        long expiresAt;

        Claims(Map<String, Object> map) {
            this.map = map;
        }

        boolean has(String name) {
            return map.containsKey(name);
        }

        /** The value, or {@code null} when absent ({@link StrictJson#NULL} for JSON null). */
        Object get(String name) {
            return map.get(name);
        }

        /** A NumericDate claim in epoch seconds, or NaN when absent. */
        double time(String name) throws AuthenticationException {
            Object v = map.get(name);
            if (v == null) {
                return Double.NaN;
            }
            if (!(v instanceof Number)) {
                throw new AuthenticationException("token '" + name + "' must be a number");
            }
            double d = ((Number) v).doubleValue();
            if (!(d >= 0 && d <= MAX_NUMERIC_DATE)) {
                throw new AuthenticationException("token '" + name + "' is not a valid time");
            }
            return d;
        }

        List<String> audiences() throws AuthenticationException {
            Object aud = map.get("aud");
            if (aud == null) {
                return List.of();
            }
            if (aud instanceof String) {
                return List.of((String) aud);
            }
            List<String> out = new ArrayList<>();
            if (aud instanceof List) {
                for (Object o : (List<?>) aud) {
                    if (!(o instanceof String)) {
                        out = null;
                        break;
                    }
                    out.add((String) o);
                }
                if (out != null) {
                    return out;
                }
            }
            throw new AuthenticationException("token 'aud' must be a string or an array of strings");
        }

        RoomPatterns patterns(String claim) throws AuthenticationException {
            Object v = map.get(claim);
            if (v == null) {
                return RoomPatterns.NONE;
            }
            List<String> patterns = new ArrayList<>();
            if (v instanceof List) {
                for (Object o : (List<?>) v) {
                    if (!(o instanceof String)) {
                        patterns = null;
                        break;
                    }
                    patterns.add((String) o);
                }
            } else {
                patterns = null;
            }
            if (patterns == null) {
                throw new AuthenticationException("token '" + claim + "' must be an array of strings");
            }
            try {
                return RoomPatterns.of(patterns);
            } catch (IllegalArgumentException e) {
                throw new AuthenticationException("token '" + claim + "': " + e.getMessage());
            }
        }
    }

    // ---- configuration

    @Override
    public String toString() {
        return "JwtAuthenticator(keys " + keys + (issuer == null ? "" : ", iss " + issuer)
                + (audience == null ? "" : ", aud " + audience)
                + (maxLifetime.isZero() ? "" : ", max lifetime " + maxLifetime.toSeconds() + "s")
                + ", leeway " + leeway.toSeconds() + "s)";
    }

    /** Settings of a {@link JwtAuthenticator}; every one but the keys is optional. */
    public static final class Builder {
        private final JwtKeySource keys;
        private Duration leeway = DEFAULT_LEEWAY;
        private Clock clock = Clock.systemUTC();
        private String issuer;
        private String audience;
        private Duration maxLifetime = Duration.ZERO;

        private Builder(JwtKeySource keys) {
            this.keys = Objects.requireNonNull(keys, "keys");
        }

        /** Clock-skew allowance for {@code exp}, {@code nbf} and {@code iat}; default {@link #DEFAULT_LEEWAY}. */
        public Builder leeway(Duration leeway) {
            if (leeway.isNegative()) {
                throw new IllegalArgumentException("leeway: " + leeway + " (expected: >= 0)");
            }
            this.leeway = leeway;
            return this;
        }

        /** The clock that {@code exp}, {@code nbf} and {@code iat} are checked against; default the system's. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** When not {@code null}, a token's {@code iss} must equal it. */
        public Builder issuer(String issuer) {
            this.issuer = blankToNull("issuer", issuer);
            return this;
        }

        /** When not {@code null}, a token's {@code aud} must contain it. */
        public Builder audience(String audience) {
            this.audience = blankToNull("audience", audience);
            return this;
        }

        /** When above zero, a token living longer than this is rejected; default zero (no bound). */
        public Builder maxLifetime(Duration maxLifetime) {
            if (maxLifetime.isNegative()) {
                throw new IllegalArgumentException("maxLifetime: " + maxLifetime + " (expected: >= 0)");
            }
            this.maxLifetime = maxLifetime;
            return this;
        }

        private static String blankToNull(String what, String v) {
            if (v != null && v.isEmpty()) {
                throw new IllegalArgumentException(what + ": empty (expected: null for none, or a value)");
            }
            return v;
        }

        public JwtAuthenticator build() {
            return new JwtAuthenticator(this);
        }
    }
}
