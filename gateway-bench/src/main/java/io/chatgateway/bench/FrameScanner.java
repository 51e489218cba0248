package io.chatgateway.bench;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Reads the few fields of a gateway frame that the bench needs, straight from its bytes and without building a
 * tree: the frame {@code type}, {@code recipients} of an {@code ack}, {@code code} of an {@code error},
 * {@code reason} of a {@code kicked}, {@code heartbeat} of a {@code welcome}, and the bench's own numbers inside a
 * message {@code body}: {@code s} (sender), {@code q} (sequence) and {@code t} (intended send time); and protocol
 * 1.1's positions: {@code offset} of a message, join {@code ack} or {@code history}, {@code epoch} of an
 * {@code ack} or {@code history}, {@code recovered}, and {@code inbox} ({@code epoch}, {@code offset}) of a
 * {@code welcome}. Field order
 * does not matter; unknown fields and values of any shape are skipped. The bench shares the machine's cores with
 * the gateway, so the cost of reading a frame is kept to one pass over its bytes: they are copied once into an
 * array this scanner keeps (one bulk copy), and read from there, without {@link ByteBuf#getByte}'s index and
 * reference-count checks on every byte (a third of the scan's time when it read the buffer directly). The same
 * array is checked for well-formed UTF-8 first ({@link Utf8}), the check a WebSocket client owes a text frame,
 * which the bench's clients leave to the scanner instead of Netty's byte-at-a-time validator.
 *
 * <p>Not thread-safe: one scanner per event loop (the results are fields, overwritten by the next scan).
 */
public final class FrameScanner {
    /** Frame types of the protocol; {@link #OTHER} for anything else. */
    public enum Type { WELCOME, MESSAGE, ACK, ERROR, PONG, PRESENCE, JOINED, LEFT, KICKED, HISTORY, OTHER }

    private static final byte[] K_TYPE = ascii("type");
    private static final byte[] K_RECIPIENTS = ascii("recipients");
    private static final byte[] K_CODE = ascii("code");
    private static final byte[] K_REASON = ascii("reason");
    private static final byte[] K_HEARTBEAT = ascii("heartbeat");
    private static final byte[] K_BODY = ascii("body");
    private static final byte[] K_OFFSET = ascii("offset");
    private static final byte[] K_EPOCH = ascii("epoch");
    private static final byte[] K_RECOVERED = ascii("recovered");
    private static final byte[] K_INBOX = ascii("inbox");
    private static final byte[] K_ROOM = ascii("room");
    private static final byte[] K_ID = ascii("id");
    private static final Type[] TYPES = Type.values();
    private static final byte[][] TYPE_NAMES = new byte[TYPES.length][];

    static {
        for (Type t : TYPES) {
            TYPE_NAMES[t.ordinal()] = ascii(t.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** The frame's bytes: the heap buffer's own array, or this scanner's copy of a direct buffer's. */
    private byte[] bytes = new byte[512];
    private byte[] copy = bytes;
    private int pos;
    private int end;

    // Results of the last scan.
    private Type type;
    private long recipients;
    private String code;
    private String reason;
    private long heartbeat;
    private boolean hasBody;
    private long sender;
    private long sequence;
    private long intendedNanos;
    private long offset;
    private String epoch;
    private int recovered;
    private String inboxEpoch;
    private long inboxOffset;
    private boolean hasRoom;
    private long id;
    private boolean invalidUtf8;

    /**
     * Scans one frame (the readable bytes of {@code frame}; its indexes are not moved).
     *
     * @return {@code false} when the frame is not a JSON object, or not valid UTF-8 ({@link #invalidUtf8()}); the
     *         fields are then meaningless
     */
    public boolean scan(ByteBuf frame) {
        int length = frame.readableBytes();
        if (frame.hasArray()) {
            bytes = frame.array();
            pos = frame.arrayOffset() + frame.readerIndex();
        } else {
            if (copy.length < length) {
                copy = new byte[Math.max(length, copy.length * 2)];
            }
            frame.getBytes(frame.readerIndex(), copy, 0, length);
            bytes = copy;
            pos = 0;
        }
        end = pos + length;
        type = Type.OTHER;
        recipients = -1;
        code = null;
        reason = null;
        heartbeat = -1;
        hasBody = false;
        sender = -1;
        sequence = -1;
        intendedNanos = -1;
        offset = -1;
        epoch = null;
        recovered = -1;
        inboxEpoch = null;
        inboxOffset = -1;
        hasRoom = false;
        id = -1;
        try {
            invalidUtf8 = !Utf8.isValid(bytes, pos, end);
            if (invalidUtf8) {
                return false;
            }
            skipWhitespace();
            if (next() != '{') {
                return false;
            }
            skipWhitespace();
            if (peek() == '}') {
                return true;
            }
            for (;;) {
                int keyStart = readStringBounds();
                int keyEnd = pos - 1;
                expectColon();
                if (matches(keyStart, keyEnd, K_TYPE) && peek() == '"') {
                    type = readType();
                } else if (matches(keyStart, keyEnd, K_RECIPIENTS)) {
                    recipients = readLong();
                } else if (matches(keyStart, keyEnd, K_HEARTBEAT)) {
                    heartbeat = readLong();
                } else if (matches(keyStart, keyEnd, K_CODE) && peek() == '"') {
                    code = readString();
                } else if (matches(keyStart, keyEnd, K_REASON) && peek() == '"') {
                    reason = readString();
                } else if (matches(keyStart, keyEnd, K_BODY) && peek() == '{') {
                    readBody();
                } else if (matches(keyStart, keyEnd, K_OFFSET) && isNumberStart(peek())) {
                    offset = readLong();
                } else if (matches(keyStart, keyEnd, K_EPOCH) && peek() == '"') {
                    epoch = readString();
                } else if (matches(keyStart, keyEnd, K_RECOVERED) && (peek() == 't' || peek() == 'f')) {
                    recovered = peek() == 't' ? 1 : 0;
                    skipValue();
                } else if (matches(keyStart, keyEnd, K_INBOX) && peek() == '{') {
                    readInbox();
                } else if (matches(keyStart, keyEnd, K_ID) && isNumberStart(peek())) {
                    id = readLong();
                } else if (matches(keyStart, keyEnd, K_ROOM)) {
                    hasRoom = true;
                    skipValue();
                } else {
                    skipValue();
                }
                skipWhitespace();
                byte c = next();
                if (c == '}') {
                    return true;
                }
                if (c != ',') {
                    return false;
                }
                skipWhitespace();
            }
        } catch (Malformed e) {
            return false;
        } finally {
            bytes = copy; // do not keep a heap buffer's array alive
        }
    }

    /** {@code true} when the last frame was not valid UTF-8 (and so {@link #scan} returned {@code false}). */
    public boolean invalidUtf8() {
        return invalidUtf8;
    }

    public Type type() {
        return type;
    }

    /** A numeric {@code id} (the bench's messages carry none; its {@code presence} requests do), or -1. */
    public long id() {
        return id;
    }

    /** {@code recipients} of an ack, or -1. */
    public long recipients() {
        return recipients;
    }

    /** {@code code} of an error, or {@code null}. */
    public String code() {
        return code;
    }

    /** {@code reason} of a kicked, or {@code null}. */
    public String reason() {
        return reason;
    }

    /** {@code heartbeat} of a welcome in seconds, or -1. */
    public long heartbeat() {
        return heartbeat;
    }

    /** {@code true} when the frame had a body object with all three of the bench's numbers. */
    public boolean hasBenchBody() {
        return hasBody && sender >= 0 && sequence >= 0 && intendedNanos != -1;
    }

    public long sender() {
        return sender;
    }

    public long sequence() {
        return sequence;
    }

    public long intendedNanos() {
        return intendedNanos;
    }

    /** {@code offset} (a message's, a join ack's or a history's latest), or -1. */
    public long offset() {
        return offset;
    }

    /** {@code epoch} of a join ack or history, or {@code null}. */
    public String epoch() {
        return epoch;
    }

    /** {@code recovered}: {@code TRUE}, {@code FALSE}, or {@code null} when absent. */
    public Boolean recovered() {
        return recovered < 0 ? null : recovered == 1;
    }

    /** {@code inbox.epoch} of a welcome, or {@code null}. */
    public String inboxEpoch() {
        return inboxEpoch;
    }

    /** {@code inbox.offset} of a welcome, or -1. */
    public long inboxOffset() {
        return inboxOffset;
    }

    /** {@code true} when the frame had a {@code room} field (a room message, not a direct one). */
    public boolean hasRoom() {
        return hasRoom;
    }

    // ---- a welcome's inbox: {"epoch":..,"offset":..}

    private void readInbox() {
        next(); // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return;
        }
        for (;;) {
            int keyStart = readStringBounds();
            int keyEnd = pos - 1;
            expectColon();
            if (matches(keyStart, keyEnd, K_EPOCH) && peek() == '"') {
                inboxEpoch = readString();
            } else if (matches(keyStart, keyEnd, K_OFFSET) && isNumberStart(peek())) {
                inboxOffset = readLong();
            } else {
                skipValue();
            }
            skipWhitespace();
            byte c = next();
            if (c == '}') {
                return;
            }
            if (c != ',') {
                throw Malformed.INSTANCE;
            }
            skipWhitespace();
        }
    }

    // ---- the body: {"s":..,"q":..,"t":..} plus anything else

    private void readBody() {
        hasBody = true;
        next(); // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return;
        }
        for (;;) {
            int keyStart = readStringBounds();
            int keyEnd = pos - 1;
            expectColon();
            if (keyEnd - keyStart == 1 && isNumberStart(peek())) {
                byte k = bytes[keyStart];
                if (k == 's') {
                    sender = readLong();
                } else if (k == 'q') {
                    sequence = readLong();
                } else if (k == 't') {
                    intendedNanos = readLong();
                } else {
                    skipValue();
                }
            } else {
                skipValue();
            }
            skipWhitespace();
            byte c = next();
            if (c == '}') {
                return;
            }
            if (c != ',') {
                throw Malformed.INSTANCE;
            }
            skipWhitespace();
        }
    }

    // ---- tokens

    private Type readType() {
        int start = readStringBounds();
        int stop = pos - 1;
        for (int i = 0; i < TYPE_NAMES.length - 1; i++) {
            if (matches(start, stop, TYPE_NAMES[i])) {
                return TYPES[i];
            }
        }
        return Type.OTHER;
    }

    /** Reads a string; returns the index of its first content byte, leaves {@code pos} after the closing quote. */
    private int readStringBounds() {
        if (next() != '"') {
            throw Malformed.INSTANCE;
        }
        int start = pos;
        for (;;) {
            byte c = next();
            if (c == '"') {
                return start;
            }
            if (c == '\\') {
                next();
            }
        }
    }

    private String readString() {
        int start = readStringBounds();
        return new String(bytes, start, pos - 1 - start, StandardCharsets.UTF_8);
    }

    private long readLong() {
        skipWhitespace();
        boolean negative = false;
        if (peek() == '-') {
            negative = true;
            pos++;
        }
        long v = 0;
        int digits = 0;
        while (pos < end) {
            byte c = bytes[pos];
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
            digits++;
            pos++;
        }
        if (digits == 0) {
            throw Malformed.INSTANCE;
        }
        if (pos < end) {
            byte c = bytes[pos];
            if (c == '.' || c == 'e' || c == 'E') {
                skipValue(); // not an integer: skip the rest, keep what was read
            }
        }
        return negative ? -v : v;
    }

    private void skipValue() {
        skipWhitespace();
        byte c = peek();
        if (c == '"') {
            readStringBounds();
        } else if (c == '{' || c == '[') {
            int depth = 0;
            do {
                byte b = next();
                if (b == '"') {
                    pos--;
                    readStringBounds();
                } else if (b == '{' || b == '[') {
                    depth++;
                } else if (b == '}' || b == ']') {
                    depth--;
                }
            } while (depth > 0);
        } else {
            // number, true, false, null
            while (pos < end) {
                byte b = bytes[pos];
                if (b == ',' || b == '}' || b == ']' || b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                    break;
                }
                pos++;
            }
        }
    }

    private void expectColon() {
        skipWhitespace();
        if (next() != ':') {
            throw Malformed.INSTANCE;
        }
        skipWhitespace();
    }

    private void skipWhitespace() {
        while (pos < end) {
            byte c = bytes[pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private byte peek() {
        if (pos >= end) {
            throw Malformed.INSTANCE;
        }
        return bytes[pos];
    }

    private byte next() {
        if (pos >= end) {
            throw Malformed.INSTANCE;
        }
        return bytes[pos++];
    }

    private boolean matches(int start, int stop, byte[] name) {
        if (stop - start != name.length) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (bytes[start + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNumberStart(byte c) {
        return c == '-' || (c >= '0' && c <= '9');
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Thrown inside the scanner only; carries no stack trace. */
    private static final class Malformed extends RuntimeException {
        static final Malformed INSTANCE = new Malformed();
        private static final long serialVersionUID = 1L;

        private Malformed() {
            super("malformed frame", null, false, false);
        }
    }
}
