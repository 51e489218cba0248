package io.chatgateway.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.MissingClaimException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.JWTVerifier;

import io.chatgateway.policy.RoomPatterns;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.Names;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Production mode: the token is a JWT signed with HS256 under a shared secret; the user id is its {@code sub}.
 *
 * <p>The algorithm is pinned: a token whose header names any other {@code alg} (including {@code none}) is
 * rejected before its signature is looked at. {@code exp} is required and checked with a small clock-skew
 * allowance; {@code nbf} and {@code iat} are checked when present. Built on auth0's java-jwt.
 */
public final class JwtAuthenticator implements Authenticator {
    /** Default clock-skew allowance for {@code exp}, {@code nbf} and {@code iat}. */
    public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(5);
    /** Longest token accepted, in characters; anything longer is rejected without being decoded. */
    public static final int MAX_TOKEN_LENGTH = 8192;

    private final JWTVerifier verifier;
    private final Duration leeway;

    public JwtAuthenticator(String secret) {
        this(secret, DEFAULT_LEEWAY, Clock.systemUTC());
    }

    public JwtAuthenticator(String secret, Duration leeway, Clock clock) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret: empty (expected: a non-empty HS256 secret)");
        }
        if (leeway.isNegative()) {
            throw new IllegalArgumentException("leeway: " + leeway + " (expected: >= 0)");
        }
        this.leeway = leeway;
        Algorithm hs256 = Algorithm.HMAC256(secret.getBytes(StandardCharsets.UTF_8));
        this.verifier = ((com.auth0.jwt.JWTVerifier.BaseVerification) JWT.require(hs256)
                .acceptLeeway(leeway.toSeconds())
                .withClaimPresence("exp")
                .withClaimPresence("sub"))
                .build(clock);
    }

    @Override
    public CompletionStage<Principal> authenticate(String token) {
        try {
            DecodedJWT jwt = verify(token);
            if (!jwt.getClaim("room").isMissing()) {
                throw new AuthenticationException("a room token is not a connection token");
            }
            String sub = jwt.getSubject();
            String problem = Names.userProblem(sub);
            if (problem != null) {
                throw new AuthenticationException("token 'sub': " + problem);
            }
            return CompletableFuture.completedFuture(new Principal(sub, jwt.getExpiresAtAsInstant().getEpochSecond(),
                    patterns(jwt, "rooms"), patterns(jwt, "rooms_readonly")));
        } catch (AuthenticationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<RoomRight> authorizeRoom(String token, String user, String room) {
        try {
            DecodedJWT jwt = verify(token);
            if (!user.equals(jwt.getSubject())) {
                throw new AuthenticationException("room token is for another user");
            }
            if (!room.equals(jwt.getClaim("room").asString())) {
                throw new AuthenticationException("room token is for another room");
            }
            Boolean readonly = jwt.getClaim("readonly").asBoolean();
            return CompletableFuture.completedFuture(Boolean.TRUE.equals(readonly) ? RoomRight.READ : RoomRight.PUBLISH);
        } catch (AuthenticationException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Duration leeway() {
        return leeway;
    }

    private static RoomPatterns patterns(DecodedJWT jwt, String claim) throws AuthenticationException {
        if (jwt.getClaim(claim).isMissing()) {
            return RoomPatterns.NONE;
        }
        try {
            return RoomPatterns.of(jwt.getClaim(claim).asList(String.class));
        } catch (RuntimeException e) {
            throw new AuthenticationException("token claim '" + claim + "' must be an array of room patterns");
        }
    }

    private DecodedJWT verify(String token) throws AuthenticationException {
        if (token == null || token.isEmpty()) {
            throw new AuthenticationException("empty token");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new AuthenticationException("token longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        DecodedJWT jwt;
        try {
            jwt = verifier.verify(token);
        } catch (AlgorithmMismatchException e) {
            throw new AuthenticationException("token algorithm is not HS256");
        } catch (SignatureVerificationException e) {
            throw new AuthenticationException("bad token signature");
        } catch (TokenExpiredException e) {
            throw new AuthenticationException("token expired");
        } catch (MissingClaimException e) {
            throw new AuthenticationException("token lacks claim '" + e.getClaimName() + "'");
        } catch (JWTDecodeException e) {
            throw new AuthenticationException("token is not a JWT");
        } catch (JWTVerificationException e) {
            throw new AuthenticationException("token rejected: " + e.getMessage());
        }
        return jwt;
    }

    @Override
    public String toString() {
        return "JwtAuthenticator(HS256, exp required)";
    }
}
