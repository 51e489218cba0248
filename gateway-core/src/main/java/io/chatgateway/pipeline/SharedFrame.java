package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AbstractReferenceCounted;

import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One server frame on its way to many connections: the JSON payload, and that payload already framed for each
 * transport, built at most once per transport and per message, on first use. Write {@link #retain()} of the same
 * instance to every recipient; the transport's encoder writes a {@link ByteBuf#retainedDuplicate()} of its framed
 * bytes and releases its reference. So a room message to a thousand WebSocket members is one framed buffer and a
 * thousand duplicates of it: no frame object, header buffer or copy per recipient, and the same bytes for all.
 *
 * <p>A shared frame may also stand for several consecutive server frames ({@link #concat}): the run of a room's
 * messages that one event loop's task writes to each member at once. Its framed bytes are then those frames one
 * after the other, and the counters count each of them.
 *
 * <p>Server frames are never masked and the gateway negotiates no WebSocket extension, which is what makes the
 * framed bytes the same for every WebSocket connection.
 *
 * <p>The handlers between the protocol handler and the transport's encoder see this object instead of a
 * {@link ByteBuf}: the metering handler counts {@link #payloadBytes()} for each connection, and the slow-consumer
 * handler sees each write as before. Thread-safe: the framed buffers may be built by several event loops at once,
 * and only one is kept.
 */
public final class SharedFrame extends AbstractReferenceCounted {
    private static final AtomicReferenceFieldUpdater<SharedFrame, ByteBuf> WEBSOCKET =
            AtomicReferenceFieldUpdater.newUpdater(SharedFrame.class, ByteBuf.class, "webSocket");
    private static final AtomicReferenceFieldUpdater<SharedFrame, ByteBuf> TCP =
            AtomicReferenceFieldUpdater.newUpdater(SharedFrame.class, ByteBuf.class, "tcp");

    private final ByteBuf payload;
    /** The payload lengths of the frames this one stands for, in order; {@code null} for a single frame. */
    private final int[] parts;
    private volatile ByteBuf webSocket;
    private volatile ByteBuf tcp;

    private SharedFrame(ByteBuf payload, int[] parts) {
        this.payload = payload;
        this.parts = parts;
    }

    /** Wraps an encoded frame's JSON payload, taking ownership of it (it is released with this frame). */
    public static SharedFrame of(ByteBuf payload) {
        return new SharedFrame(payload, null);
    }

    /**
     * One frame standing for {@code frames[0..count)}, in that order (each a single frame): a copy of their payloads,
     * framed as that many consecutive frames of the transport. The parts are borrowed, not released.
     */
    public static SharedFrame concat(SharedFrame[] frames, int count, ByteBufAllocator alloc) {
        int[] parts = new int[count];
        int size = 0;
        for (int i = 0; i < count; i++) {
            if (frames[i].parts != null) {
                throw new IllegalArgumentException("frames[" + i + "] already stands for several frames");
            }
            parts[i] = frames[i].payloadBytes();
            size += parts[i];
        }
        ByteBuf payload = alloc.buffer(size);
        for (int i = 0; i < count; i++) {
            ByteBuf p = frames[i].payload;
            payload.writeBytes(p, p.readerIndex(), parts[i]);
        }
        return new SharedFrame(payload, parts);
    }

    /**
     * Writes this frame to {@code ch}, borrowing it: the caller keeps its reference. A failure of the write goes to
     * {@code onFailure}; a success is not reported. On the channel's event loop it takes the channel's short way in
     * ({@link FlushBatchHandler#writeShared}: no walk down the pipeline, no reference count of this object and no
     * promise per recipient); from another thread, or to a channel without one, a retained reference goes down the
     * pipeline with {@code onFailure} as its listener, and the handlers there treat it the same.
     */
    public void writeTo(Channel ch, WriteFailure onFailure) {
        if (ch.eventLoop().inEventLoop()) {
            FlushBatchHandler front = FlushBatchHandler.of(ch);
            if (front != null) {
                front.writeShared(this, onFailure);
                return;
            }
        }
        ch.write(retain()).addListener(onFailure);
    }

    /**
     * A frame of its own over a copy of the payload, for one event loop's share of a fan-out: the recipients of
     * one loop then count references on buffers of their own, and two cores never contend for one cache line
     * per delivery.
     */
    public SharedFrame copy() {
        return new SharedFrame(payload.copy(), parts);
    }

    /** Length of the JSON payload (of all the frames this one stands for), without any transport framing. */
    public int payloadBytes() {
        return payload.readableBytes();
    }

    /** How many server frames this one stands for: 1, or the count given to {@link #concat}. */
    public int frameCount() {
        return parts == null ? 1 : parts.length;
    }

    /** The JSON payload; owned by this frame, do not release or modify it. */
    public ByteBuf payload() {
        return payload;
    }

    /** The payload as one unmasked WebSocket text frame, owned by this frame; write a retained duplicate of it. */
    ByteBuf webSocketFrame(ByteBufAllocator alloc) {
        ByteBuf framed = webSocket;
        return framed != null ? framed
                : install(WEBSOCKET, parts == null ? Framing.webSocket(alloc, payload)
                        : Framing.webSocket(alloc, payload, parts));
    }

    /** The payload behind its TCP length prefix, owned by this frame; write a retained duplicate of it. */
    ByteBuf tcpFrame(ByteBufAllocator alloc) {
        ByteBuf framed = tcp;
        return framed != null ? framed
                : install(TCP, parts == null ? Framing.tcp(alloc, payload) : Framing.tcp(alloc, payload, parts));
    }

    /**
     * The framed bytes for one transport, built with {@code ctx}'s allocator only when no event loop has built
     * them yet (the allocator is a few cold loads away, per recipient, when the bytes are already there).
     */
    ByteBuf framed(boolean webSocketFraming, ChannelHandlerContext ctx) {
        ByteBuf framed = webSocketFraming ? webSocket : tcp;
        if (framed != null) {
            return framed;
        }
        return webSocketFraming ? webSocketFrame(ctx.alloc()) : tcpFrame(ctx.alloc());
    }

    private ByteBuf install(AtomicReferenceFieldUpdater<SharedFrame, ByteBuf> field, ByteBuf built) {
        if (field.compareAndSet(this, null, built)) {
            return built;
        }
        // Another event loop framed it first: use theirs, so that every recipient gets the same buffer.
        built.release();
        return field.get(this);
    }

    @Override
    protected void deallocate() {
        payload.release();
        ByteBuf w = WEBSOCKET.getAndSet(this, null);
        if (w != null) {
            w.release();
        }
        ByteBuf t = TCP.getAndSet(this, null);
        if (t != null) {
            t.release();
        }
    }

    @Override
    public SharedFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public SharedFrame touch(Object hint) {
        payload.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "SharedFrame(" + payload.readableBytes() + " bytes, " + frameCount() + " frames, refCnt " + refCnt()
                + ")";
    }
}
