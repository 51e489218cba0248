package io.chatgateway.bench;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 validation of a byte range, as the WebSocket spec asks of a text frame (RFC 6455 section 8.1): no
 * overlong forms, no surrogates, nothing above U+10FFFF. The bench's frames are ASCII, so the common case is one
 * pass that only looks for a byte with its high bit set; from the first such byte on, the JDK's decoder judges the
 * rest, with malformed input reported (as the gateway's {@code StrictJson} and {@code PathSegments} do). The bench's
 * clients call it from {@link FrameScanner} instead of Netty's byte-at-a-time {@code Utf8FrameValidator}, which
 * took an eighth of their event loop.
 */
final class Utf8 {
    private Utf8() {
    }

    /** {@code true} when {@code b[from, to)} is well-formed UTF-8. */
    static boolean isValid(byte[] b, int from, int to) {
        int i = from;
        while (i < to && b[i] >= 0) {
            i++;
        }
        if (i == to) {
            return true;
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, i, to - i));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
