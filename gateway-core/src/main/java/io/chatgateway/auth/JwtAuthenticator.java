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

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

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
        Algorithm hs256 = Algorithm.HMAC256(secret.getBytes(StandardCharsets.UTF_8));
        this.verifier = ((com.auth0.jwt.JWTVerifier.BaseVerification) JWT.require(hs256)
                .acceptLeeway(leeway.toSeconds())
                .withClaimPresence("exp")
                .withClaimPresence("sub"))
                .build(clock);
    }

    @Override
    public String authenticate(String token) throws AuthenticationException {
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
        String sub = jwt.getSubject();
        String problem = UserIds.problem(sub);
        if (problem != null) {
            throw new AuthenticationException("token 'sub': " + problem);
        }
        return sub;
    }

    @Override
    public String toString() {
        return "JwtAuthenticator(HS256, exp required)";
    }
}
