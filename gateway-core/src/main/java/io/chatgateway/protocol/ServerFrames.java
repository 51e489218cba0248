package io.chatgateway.protocol;

import io.chatgateway.history.Position;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.Collection;
import java.util.List;

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

    /** {@code welcome}, the answer to a successful authentication (v1 fields only). */
    public static ByteBuf welcome(ByteBufAllocator alloc, RawJson id, String user, String connectionId,
                                  long heartbeatSeconds) {
        return welcome(alloc, id, user, connectionId, heartbeatSeconds, 0, null, null);
    }

    /**
     * {@code welcome}, the answer to a successful authentication.
     *
     * @param expires   the token's {@code exp} in epoch seconds, or {@code 0} to leave it out
     * @param inbox     the user's inbox position, or {@code null} when inboxes are off
     * @param recovered whether the missed direct messages were sent, or {@code null} when {@code auth} had no
     *                  {@code since}
     */
    public static ByteBuf welcome(ByteBufAllocator alloc, RawJson id, String user, String connectionId,
                                  long heartbeatSeconds, long expires, Position inbox, Boolean recovered) {
        ByteBuf out = alloc.buffer(128 + user.length() + connectionId.length());
        JsonWriter.writeAscii(out, "{\"type\":\"welcome\"");
        writeId(out, id);
        JsonWriter.writeAscii(out, ",\"user\":");
        JsonWriter.writeString(out, user);
        JsonWriter.writeAscii(out, ",\"conn\":");
        JsonWriter.writeString(out, connectionId);
        JsonWriter.writeAscii(out, ",\"heartbeat\":");
        JsonWriter.writeLong(out, heartbeatSeconds);
        if (expires > 0) {
            JsonWriter.writeAscii(out, ",\"expires\":");
            JsonWriter.writeLong(out, expires);
        }
        if (inbox != null) {
            JsonWriter.writeAscii(out, ",\"inbox\":");
            writePosition(out, inbox);
        }
        writeRecovered(out, recovered);
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

    /**
     * {@code ack} for {@code send} and {@code publish}.
     *
     * @param stored {@code true} when the message was kept for a recipient who had no connection
     */
    public static ByteBuf messageAck(ByteBufAllocator alloc, RawJson id, int recipients, String mid, boolean stored) {
        ByteBuf out = ack(alloc, id, recipients, mid);
        if (stored) {
            out.writerIndex(out.writerIndex() - 1);
            JsonWriter.writeAscii(out, ",\"stored\":true}");
        }
        return out;
    }

    /**
     * {@code ack} for {@code join}: the room's position (left out when room history is off), whether the room announces joins and leaves, and whether
     * the missed messages were sent ({@code null} when {@code join} had no {@code since}).
     */
    public static ByteBuf joinAck(ByteBufAllocator alloc, RawJson id, Position position, boolean events,
                                  Boolean recovered) {
        ByteBuf out = alloc.buffer(96 + (id == null ? 0 : id.length()) + (position == null ? 0 : position.epoch().length()));
        JsonWriter.writeAscii(out, "{\"type\":\"ack\"");
        writeId(out, id);
        if (position != null) {
            JsonWriter.writeAscii(out, ",\"epoch\":");
            JsonWriter.writeString(out, position.epoch());
            JsonWriter.writeAscii(out, ",\"offset\":");
            JsonWriter.writeLong(out, position.offset());
        }
        JsonWriter.writeAscii(out, events ? ",\"events\":true" : ",\"events\":false");
        writeRecovered(out, recovered);
        return out.writeByte('}');
    }

    /** {@code ack} for {@code refresh}, with the new token's {@code exp} (epoch seconds; 0 leaves it out). */
    public static ByteBuf refreshAck(ByteBufAllocator alloc, RawJson id, long expires) {
        ByteBuf out = alloc.buffer(64 + (id == null ? 0 : id.length()));
        JsonWriter.writeAscii(out, "{\"type\":\"ack\"");
        writeId(out, id);
        if (expires > 0) {
            JsonWriter.writeAscii(out, ",\"expires\":");
            JsonWriter.writeLong(out, expires);
        }
        return out.writeByte('}');
    }

    /**
     * {@code history}: the room's position and messages, each exactly the {@code message} frame that was delivered
     * ({@code recovered} only when the request had {@code since}).
     */
    public static ByteBuf history(ByteBufAllocator alloc, RawJson id, String room, Position position,
                                  List<byte[]> messages, Boolean recovered) {
        int size = 128 + room.length() + position.epoch().length();
        for (byte[] m : messages) {
            size += m.length + 1;
        }
        ByteBuf out = alloc.buffer(size);
        JsonWriter.writeAscii(out, "{\"type\":\"history\"");
        writeId(out, id);
        JsonWriter.writeAscii(out, ",\"room\":");
        JsonWriter.writeString(out, room);
        JsonWriter.writeAscii(out, ",\"epoch\":");
        JsonWriter.writeString(out, position.epoch());
        JsonWriter.writeAscii(out, ",\"offset\":");
        JsonWriter.writeLong(out, position.offset());
        JsonWriter.writeAscii(out, ",\"messages\":[");
        for (int i = 0; i < messages.size(); i++) {
            if (i > 0) {
                out.writeByte(',');
            }
            out.writeBytes(messages.get(i));
        }
        out.writeByte(']');
        writeRecovered(out, recovered);
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
     * (neither set), without an offset.
     */
    public static ByteBuf message(ByteBufAllocator alloc, String mid, String from, String to, String room,
                                  RawJson body, long timestampMillis) {
        return finishMessage(openMessage(alloc, mid, from, to, room, body, timestampMillis), 0);
    }

    /**
     * A {@code message} frame without its closing brace, to be finished by {@link #finishMessage} once its offset
     * is known (history assigns it when the message is delivered, in delivery order). In a cluster the broker
     * finishes it the same way.
     */
    public static ByteBuf openMessage(ByteBufAllocator alloc, String mid, String from, String to, String room,
                                      RawJson body, long timestampMillis) {
        ByteBuf out = alloc.buffer(120 + body.length() + from.length()
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
        return out;
    }

    /** Closes a frame from {@link #openMessage}, with {@code "offset"} when {@code offset > 0}. */
    public static ByteBuf finishMessage(ByteBuf open, long offset) {
        if (offset > 0) {
            JsonWriter.writeAscii(open, ",\"offset\":");
            JsonWriter.writeLong(open, offset);
        }
        return open.writeByte('}');
    }

    /** {@code joined}: {@code user} joined {@code room}. */
    public static ByteBuf joined(ByteBufAllocator alloc, String room, String user) {
        return membership(alloc, "{\"type\":\"joined\",\"room\":", room, user);
    }

    /** {@code left}: {@code user} left {@code room}, for this reason. */
    public static ByteBuf left(ByteBufAllocator alloc, String room, String user, LeaveReason reason) {
        ByteBuf out = membership(alloc, "{\"type\":\"left\",\"room\":", room, user);
        out.writerIndex(out.writerIndex() - 1);
        JsonWriter.writeAscii(out, ",\"reason\":\"");
        JsonWriter.writeAscii(out, reason.wireName());
        JsonWriter.writeAscii(out, "\"}");
        return out;
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

    private static void writePosition(ByteBuf out, Position p) {
        JsonWriter.writeAscii(out, "{\"epoch\":");
        JsonWriter.writeString(out, p.epoch());
        JsonWriter.writeAscii(out, ",\"offset\":");
        JsonWriter.writeLong(out, p.offset());
        out.writeByte('}');
    }

    private static void writeRecovered(ByteBuf out, Boolean recovered) {
        if (recovered != null) {
            JsonWriter.writeAscii(out, recovered ? ",\"recovered\":true" : ",\"recovered\":false");
        }
    }

    private static void writeId(ByteBuf out, RawJson id) {
        if (id != null) {
            JsonWriter.writeAscii(out, ",\"id\":");
            id.writeTo(out);
        }
    }
}
