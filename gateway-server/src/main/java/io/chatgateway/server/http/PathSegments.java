package io.chatgateway.server.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a raw (still percent-encoded) path into decoded segments. Splitting comes first, so an encoded slash
 * ({@code %2F}) stays inside its segment: a user id may contain {@code /}. Decoding is strict: {@code +} is a plus
 * (it means a space only in query strings), and a bad escape or invalid UTF-8 is refused rather than guessed at.
 */
final class PathSegments {
    private PathSegments() {
    }

    /**
     * @param rawPath e.g. {@code /api/users/al%2Fice}, starting with {@code prefix}
     * @param prefix  e.g. {@code /api/}
     * @return the decoded segments after the prefix; a trailing slash gives no empty last segment
     */
    static List<String> after(String rawPath, String prefix) {
        String rest = rawPath.substring(prefix.length());
        List<String> out = new ArrayList<>(4);
        if (rest.isEmpty()) {
            return out;
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        for (String raw : rest.split("/", -1)) {
            out.add(decode(raw));
        }
        return out;
    }

    static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
                continue;
            }
            if (i + 2 >= raw.length()) {
                throw HttpProblem.badRequest("bad percent-escape in path segment '" + raw + "'");
            }
            int hi = Character.digit(raw.charAt(i + 1), 16);
            int lo = Character.digit(raw.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw HttpProblem.badRequest("bad percent-escape in path segment '" + raw + "'");
            }
            bytes.write(hi << 4 | lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw HttpProblem.badRequest("path segment '" + raw + "' is not UTF-8");
        }
    }
}
