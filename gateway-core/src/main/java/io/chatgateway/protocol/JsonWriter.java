package io.chatgateway.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;

/**
 * Writes the few JSON shapes the gateway sends straight into a {@link ByteBuf}. Server frames are flat objects of
 * strings, numbers and raw values, so a writer this small is faster than a general serialiser and allocates
 * nothing for plain ASCII strings.
 */
final class JsonWriter {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private JsonWriter() {
    }

    static void writeAscii(ByteBuf out, String ascii) {
        out.writeCharSequence(ascii, StandardCharsets.US_ASCII);
    }

    /** Writes {@code s} as a quoted JSON string. */
    static void writeString(ByteBuf out, String s) {
        out.writeByte('"');
        int n = s.length();
        int plain = 0;
        while (plain < n) {
            char c = s.charAt(plain);
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
                break;
            }
            plain++;
        }
        if (plain == n) {
            out.writeCharSequence(s, StandardCharsets.US_ASCII);
        } else {
            out.writeCharSequence(s.subSequence(0, plain), StandardCharsets.US_ASCII);
            writeEscapedTail(out, s, plain);
        }
        out.writeByte('"');
    }

    private static void writeEscapedTail(ByteBuf out, String s, int from) {
        int n = s.length();
        int runStart = from;
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++; // a pair: UTF-8 with the rest of the run
                continue;
            }
            // An unpaired surrogate is escaped too: Netty's writeUtf8 writes '?' for it and then only the low byte of
            // a non-ASCII character after it, which is not UTF-8 (client text echoed in an error could do that).
            if (c >= 0x20 && c != '"' && c != '\\' && !Character.isSurrogate(c)) {
                continue;
            }
            if (runStart < i) {
                ByteBufUtil.writeUtf8(out, s, runStart, i);
            }
            out.writeByte('\\');
            switch (c) {
                case '"': out.writeByte('"'); break;
                case '\\': out.writeByte('\\'); break;
                case '\n': out.writeByte('n'); break;
                case '\r': out.writeByte('r'); break;
                case '\t': out.writeByte('t'); break;
                case '\b': out.writeByte('b'); break;
                case '\f': out.writeByte('f'); break;
                default:
                    out.writeByte('u').writeByte(HEX[c >> 12]).writeByte(HEX[(c >> 8) & 0xf])
                            .writeByte(HEX[(c >> 4) & 0xf]).writeByte(HEX[c & 0xf]);
            }
            runStart = i + 1;
        }
        if (runStart < n) {
            ByteBufUtil.writeUtf8(out, s, runStart, n);
        }
    }

    static void writeLong(ByteBuf out, long v) {
        if (v >= 0 && v < 10) {
            out.writeByte('0' + (int) v);
        } else {
            out.writeCharSequence(Long.toString(v), StandardCharsets.US_ASCII);
        }
    }
}
