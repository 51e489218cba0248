package io.chatgateway.bench;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;

/**
 * Mints HS256 tokens for a gateway in production mode ({@code --jwt-secret}), so the bench authenticates the way
 * real clients do and the gateway's verification cost is part of what is measured. A production gateway grants
 * rooms only from the token ({@code room-access=granted}), so each token carries a {@code rooms} claim: the
 * patterns of the rooms the bench's scenarios join (all named after the run's user prefix).
 */
final class Jwt {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
            .getBytes(StandardCharsets.UTF_8));

    private Jwt() {
    }

    /**
     * @param rooms room patterns for the {@code rooms} claim (join, read and publish), e.g. {@code "b1x2-*"}; empty
     *              for no claim
     */
    static String token(String secret, String subject, long ttlSeconds, List<String> rooms) {
        long now = System.currentTimeMillis() / 1000;
        StringBuilder claims = new StringBuilder("{\"sub\":").append(Frames.quote(subject))
                .append(",\"iat\":").append(now).append(",\"exp\":").append(now + ttlSeconds);
        if (!rooms.isEmpty()) {
            claims.append(",\"rooms\":[");
            for (int i = 0; i < rooms.size(); i++) {
                claims.append(i == 0 ? "" : ",").append(Frames.quote(rooms.get(i)));
            }
            claims.append(']');
        }
        String payload = B64.encodeToString(claims.append('}').toString().getBytes(StandardCharsets.UTF_8));
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
