package io.chatgateway.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin API's bearer token. Candidates are compared in constant time ({@link MessageDigest#isEqual}) on their
 * SHA-256 digests, so that neither the content nor the length of the token leaks through response times.
 */
final class AdminToken {
    /** Below this length a token is guessable; the server warns at start. */
    static final int RECOMMENDED_MIN_LENGTH = 32;
    private static final String BEARER = "bearer ";

    private final byte[] digest;
    private final int length;

    AdminToken(String token) {
        this.digest = sha256(token);
        this.length = token.length();
    }

    int length() {
        return length;
    }

    /** What an {@code Authorization} header amounts to. */
    enum Verdict {
        /** No bearer credentials at all: 401. */
        MISSING,
        /** Bearer credentials that are not the token: 403. */
        WRONG,
        /** The token. */
        OK
    }

    Verdict check(String authorization) {
        if (authorization == null || authorization.length() < BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Verdict.MISSING;
        }
        String presented = authorization.substring(BEARER.length()).trim();
        if (presented.isEmpty()) {
            return Verdict.MISSING;
        }
        return MessageDigest.isEqual(digest, sha256(presented)) ? Verdict.OK : Verdict.WRONG;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }
}
