package io.chatgateway.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One JSON value kept as the exact bytes the client sent, so that it can be copied into outgoing frames without
 * being parsed into objects and serialised again (a message {@code body}, a frame {@code id}).
 *
 * <p>Instances are immutable views; the bytes are owned by the frame they came from and are never modified.
 */
public final class RawJson {
    private final byte[] bytes;
    private final int offset;
    private final int length;

    private RawJson(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
    }

    static RawJson slice(byte[] bytes, int offset, int length) {
        return new RawJson(bytes, offset, length);
    }

    /**
     * Wraps JSON text that the caller guarantees to be one valid JSON value (e.g. produced by a JSON library).
     * The gateway copies it verbatim into frames.
     */
    public static RawJson trusted(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return new RawJson(b, 0, b.length);
    }

    /** Number of bytes. */
    public int length() {
        return length;
    }

    /** {@code true} when the value is a JSON string (its first byte is a quote). */
    public boolean isString() {
        return length > 0 && bytes[offset] == '"';
    }

    /** Copies the value into {@code out}. */
    public void writeTo(ByteBuf out) {
        out.writeBytes(bytes, offset, length);
    }

    /** A copy of the bytes. */
    public byte[] toByteArray() {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }

    @Override
    public String toString() {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RawJson)) {
            return false;
        }
        RawJson other = (RawJson) o;
        return Arrays.equals(bytes, offset, offset + length, other.bytes, other.offset, other.offset + other.length);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + bytes[i];
        }
        return h;
    }
}
