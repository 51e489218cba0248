package io.chatgateway.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.Collection;

/**
 * Encodes every frame the gateway sends, as UTF-8 JSON in a buffer from the given allocator.
 *
 * <p>A frame is encoded once; to send it to many connections write {@link ByteBuf#retainedDuplicate()}s of the same
 * buffer (a {@code ChannelGroup} does this by itself), whatever transport each connection uses. Each method returns
 * a buffer the caller owns and must write or release.
 */
public final class ServerFrames {
    /** The {@code from} of messages the gateway itself publishes (admin API, server-side operations). */
    public static final String SERVER_SENDER = "$server";

    private ServerFrames() {
    }

    /** {@code welcome}, the answer to a successful authentication. */
    public static ByteBuf welcome(ByteBufAllocator alloc, RawJson id, String user, String connectionId,
                                  long heartbeatSeconds) {
        ByteBuf out = alloc.buffer(64 + user.length() + connectionId.length());
        JsonWriter.writeAscii(out, "{\"type\":\"welcome\"");
        writeId(out, id);
        JsonWriter.writeAscii(out, ",\"user\":");
        JsonWriter.writeString(out, user);
        JsonWriter.writeAscii(out, ",\"conn\":");
        JsonWriter.writeString(out, connectionId);
        JsonWriter.writeAscii(out, ",\"heartbeat\":");
        JsonWriter.writeLong(out, heartbeatSeconds);
        return out.writeByte('}');
    }

    /** {@code pong}, the answer to {@code ping}. */
    public static ByteBuf pong(ByteBufAllocator alloc, RawJson id) {
        ByteBuf out = alloc.buffer(24 + (id == null ? 0 : id.length()));
        JsonWriter.writeAscii(out, "{\"type\":\"pong\"");
        writeId(out, id);
        return out.writeByte('}');
    }

    /**
     * {@code ack} for an accepted frame.
     *
     * @param recipients number of connections written to, or a negative number to leave the field out
     * @param mid        the message id for {@code send} and {@code publish}, else {@code null}
     */
    public static ByteBuf ack(ByteBufAllocator alloc, RawJson id, int recipients, String mid) {
        ByteBuf out = alloc.buffer(64 + (id == null ? 0 : id.length()));
        JsonWriter.writeAscii(out, "{\"type\":\"ack\"");
        writeId(out, id);
        if (recipients >= 0) {
            JsonWriter.writeAscii(out, ",\"recipients\":");
            JsonWriter.writeLong(out, recipients);
        }
        if (mid != null) {
            JsonWriter.writeAscii(out, ",\"mid\":");
            JsonWriter.writeString(out, mid);
        }
        return out.writeByte('}');
    }

    /** {@code error}; {@code id} is the failed frame's id, or {@code null}. */
    public static ByteBuf error(ByteBufAllocator alloc, RawJson id, ErrorCode code, String message) {
        ByteBuf out = alloc.buffer(64 + message.length() + (id == null ? 0 : id.length()));
        JsonWriter.writeAscii(out, "{\"type\":\"error\"");
        writeId(out, id);
        JsonWriter.writeAscii(out, ",\"code\":\"");
        JsonWriter.writeAscii(out, code.wireName());
        JsonWriter.writeAscii(out, "\",\"message\":");
        JsonWriter.writeString(out, message);
        return out.writeByte('}');
    }

    /** {@code presence}: the users online, in {@code room} when it is not {@code null}. */
    public static ByteBuf presence(ByteBufAllocator alloc, RawJson id, String room, Collection<String> users,
                                   boolean truncated) {
        ByteBuf out = alloc.buffer(64 + users.size() * 16);
        JsonWriter.writeAscii(out, "{\"type\":\"presence\"");
        writeId(out, id);
        if (room != null) {
            JsonWriter.writeAscii(out, ",\"room\":");
            JsonWriter.writeString(out, room);
        }
        JsonWriter.writeAscii(out, ",\"users\":[");
        boolean first = true;
        for (String user : users) {
            if (!first) {
                out.writeByte(',');
            }
            first = false;
            JsonWriter.writeString(out, user);
        }
        out.writeByte(']');
        if (truncated) {
            JsonWriter.writeAscii(out, ",\"truncated\":true");
        }
        return out.writeByte('}');
    }

    /**
     * {@code message}: a delivered direct message ({@code to} set), room message ({@code room} set) or broadcast
     * (neither set).
     */
    public static ByteBuf message(ByteBufAllocator alloc, String mid, String from, String to, String room,
                                  RawJson body, long timestampMillis) {
        ByteBuf out = alloc.buffer(96 + body.length() + from.length()
                + (to == null ? 0 : to.length()) + (room == null ? 0 : room.length()));
        JsonWriter.writeAscii(out, "{\"type\":\"message\",\"mid\":");
        JsonWriter.writeString(out, mid);
        JsonWriter.writeAscii(out, ",\"from\":");
        JsonWriter.writeString(out, from);
        if (to != null) {
            JsonWriter.writeAscii(out, ",\"to\":");
            JsonWriter.writeString(out, to);
        }
        if (room != null) {
            JsonWriter.writeAscii(out, ",\"room\":");
            JsonWriter.writeString(out, room);
        }
        JsonWriter.writeAscii(out, ",\"body\":");
        body.writeTo(out);
        JsonWriter.writeAscii(out, ",\"ts\":");
        JsonWriter.writeLong(out, timestampMillis);
        return out.writeByte('}');
    }

    /** {@code joined}: {@code user} joined {@code room}. */
    public static ByteBuf joined(ByteBufAllocator alloc, String room, String user) {
        return membership(alloc, "{\"type\":\"joined\",\"room\":", room, user);
    }

    /** {@code left}: {@code user} left {@code room}. */
    public static ByteBuf left(ByteBufAllocator alloc, String room, String user) {
        return membership(alloc, "{\"type\":\"left\",\"room\":", room, user);
    }

    private static ByteBuf membership(ByteBufAllocator alloc, String prefix, String room, String user) {
        ByteBuf out = alloc.buffer(48 + room.length() + user.length());
        JsonWriter.writeAscii(out, prefix);
        JsonWriter.writeString(out, room);
        JsonWriter.writeAscii(out, ",\"user\":");
        JsonWriter.writeString(out, user);
        return out.writeByte('}');
    }

    /** {@code kicked}: the gateway is about to close the connection. */
    public static ByteBuf kicked(ByteBufAllocator alloc, KickReason reason) {
        ByteBuf out = alloc.buffer(48);
        JsonWriter.writeAscii(out, "{\"type\":\"kicked\",\"reason\":\"");
        JsonWriter.writeAscii(out, reason.wireName());
        JsonWriter.writeAscii(out, "\"}");
        return out;
    }

    private static void writeId(ByteBuf out, RawJson id) {
        if (id != null) {
            JsonWriter.writeAscii(out, ",\"id\":");
            id.writeTo(out);
        }
    }
}
