package io.chatgateway.server.cluster;

import io.chatgateway.history.Position;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.LeaveReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One operation of {@code ops.lua}: a code and three arguments, and its outcome.
 *
 * <p>A <em>durable</em> operation undoes something in Redis (a connection or membership that ended). It must happen
 * eventually even when the broker is down, so a failed attempt does not fail it: it waits and is applied after the
 * node has resynchronised. Every other operation fails with the attempt.
 */
final class Op {
    private static final byte[] EMPTY = new byte[0];

    final String code;
    final byte[] a;
    final byte[] b;
    final byte[] c;
    final boolean durable;
    /** Completes with the script's result once applied (a durable operation may be applied much later). */
    final CompletableFuture<Object> result = new CompletableFuture<>();
    /** Completes after the first attempt, whether it was applied or not. */
    final CompletableFuture<Void> attempted = new CompletableFuture<>();

    private Op(String code, byte[] a, byte[] b, byte[] c, boolean durable) {
        this.code = code;
        this.a = a;
        this.b = b;
        this.c = c;
        this.durable = durable;
    }

    static Op register(String user, String connection, int maxSessions) {
        return new Op("REG", utf8(user), utf8(connection), utf8(Integer.toString(maxSessions)), false);
    }

    /**
     * A connection registered again by a node back from an outage: the session limit applies as to a login, but a
     * connection Redis no longer has ranks as older than every one registered while the node was away (see REG in
     * ops.lua). {@code maxSessions} 0: no limit, a plain registration.
     */
    static Op reregister(String user, String connection, int maxSessions) {
        return new Op("REG", utf8(user), utf8(connection), utf8(Integer.toString(-Math.max(0, maxSessions))),
                false);
    }

    static Op unregister(String user, String connection) {
        return new Op("UNREG", utf8(user), utf8(connection), EMPTY, true);
    }

    static Op join(String room, String user, String connection, boolean announce) {
        return new Op(announce ? "JOIN" : "JOINQ", utf8(room), utf8(user), utf8(connection), false);
    }

    static Op leave(String room, String user, String connection, LeaveReason reason) {
        return new Op("LEAVE", utf8(room), utf8(user), utf8(connection + " " + reason.wireName()), true);
    }

    /** A room message with history: the open frame is finished in Redis with its offset. */
    static Op historyPublish(String room, ByteBuf open, boolean ephemeral, String excludeConnection) {
        return new Op("HPUB", utf8(room), bytes(open), utf8((ephemeral ? "1 " : "0 ") + excludeConnection), false);
    }

    /** A direct message with an inbox: the open frame is finished in Redis with its offset. */
    static Op inboxSend(String user, ByteBuf open, boolean ephemeral, String excludeConnection) {
        return new Op("ISEND", utf8(user), bytes(open), utf8((ephemeral ? "1 " : "0 ") + excludeConnection), false);
    }

    /**
     * Reads a room's history: its position and the messages after {@code since} ({@code limit} 0 = all of them)
     * or, without {@code since}, its latest {@code limit}.
     */
    static Op roomRead(String room, Position since, int limit) {
        return new Op("HREAD", utf8(room), utf8(Integer.toString(limit)), after(since), false);
    }

    /** Reads a user's inbox, as {@link #roomRead}. */
    static Op inboxRead(String user, Position since, int limit) {
        return new Op("IREAD", utf8(user), utf8(Integer.toString(limit)), after(since), false);
    }

    /** Server-side membership for the user's connections on the other nodes: join with a right, or leave. */
    static Op membership(String user, String room, RoomRight joinRight) {
        String op = joinRight == null ? "L" : joinRight == RoomRight.PUBLISH ? "Jp" : "Jr";
        return new Op("MEMB", utf8(user), utf8(op + " " + room), EMPTY, false);
    }

    private static byte[] after(Position since) {
        // Offset first: the epoch is the client's string and may hold anything, a space included.
        return since == null ? EMPTY : utf8(since.offset() + " " + since.epoch());
    }

    private static byte[] bytes(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    static Op send(String user, byte[] envelope) {
        return new Op("SEND", utf8(user), envelope, EMPTY, false);
    }

    static Op disconnect(String user, byte[] envelope) {
        return new Op("DISC", utf8(user), envelope, EMPTY, false);
    }

    static Op publish(String room, byte[] envelope) {
        return new Op("PUB", utf8(room), envelope, EMPTY, false);
    }

    static Op broadcast(String excludeUser, byte[] envelope) {
        return new Op("ALL", utf8(excludeUser == null ? "" : excludeUser), envelope, EMPTY, false);
    }

    /** An operation a broker issues by itself (reaping, its index, presence), not one of the router's. */
    static Op internal(String code, String a, String b, String c, boolean durable) {
        return new Op(code, utf8(a), utf8(b), utf8(c), durable);
    }

    int size() {
        return code.length() + a.length + b.length + c.length;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return code + "(" + new String(a, StandardCharsets.UTF_8) + ")";
    }
}
