package io.chatgateway.bench;

/**
 * Strict UTF-8 validation of a byte range, as the WebSocket spec asks of a text frame (RFC 6455 section 8.1) and
 * Unicode's table of well-formed sequences defines it (no overlong forms, no surrogates, nothing above U+10FFFF).
 * The bench's frames are ASCII, so the common case is one pass that only looks for a byte with its high bit set;
 * the sequences are checked from the first such byte on. The bench's clients call it from {@link FrameScanner}
 * instead of Netty's byte-at-a-time {@code Utf8FrameValidator}, which took an eighth of their event loop.
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
        while (i < to) {
            int c = b[i++] & 0xff;
            if (c < 0x80) {
                continue;
            }
            int more;
            int low = 0x80;
            int high = 0xbf;
            if (c >= 0xc2 && c <= 0xdf) {
                more = 1;
            } else if (c >= 0xe0 && c <= 0xef) {
                more = 2;
                if (c == 0xe0) {
                    low = 0xa0;
                } else if (c == 0xed) {
                    high = 0x9f; // U+D800-DFFF, the surrogates, are not characters
                }
            } else if (c >= 0xf0 && c <= 0xf4) {
                more = 3;
                if (c == 0xf0) {
                    low = 0x90;
                } else if (c == 0xf4) {
                    high = 0x8f; // nothing above U+10FFFF
                }
            } else {
                return false; // a continuation byte first, an overlong lead (C0, C1), or F5-FF
            }
            if (to - i < more) {
                return false;
            }
            int second = b[i++] & 0xff;
            if (second < low || second > high) {
                return false;
            }
            for (int k = 1; k < more; k++) {
                int next = b[i++] & 0xff;
                if (next < 0x80 || next > 0xbf) {
                    return false;
                }
            }
        }
        return true;
    }
}
