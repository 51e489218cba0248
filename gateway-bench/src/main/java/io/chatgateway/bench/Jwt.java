package io.chatgateway.bench;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Mints HS256 tokens for a gateway in production mode ({@code --jwt-secret}), so the bench authenticates the way
 * real clients do and the gateway's verification cost is part of what is measured.
 */
final class Jwt {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
            .getBytes(StandardCharsets.UTF_8));

    private Jwt() {
    }

    static String token(String secret, String subject, long ttlSeconds) {
        long now = System.currentTimeMillis() / 1000;
        String payload = B64.encodeToString(("{\"sub\":" + Frames.quote(subject) + ",\"iat\":" + now + ",\"exp\":"
                + (now + ttlSeconds) + "}").getBytes(StandardCharsets.UTF_8));
        String signingInput = HEADER + "." + payload;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return signingInput + "." + B64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
