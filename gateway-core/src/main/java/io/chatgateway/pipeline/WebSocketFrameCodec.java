package io.chatgateway.pipeline;

import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.session.CloseReason;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Where WebSocket ends and the protocol begins: a text frame's payload goes on as a plain {@link ByteBuf}, and
 * outbound payloads leave as text frames, so every handler after this one is the same as on TCP.
 *
 * <p>Outbound, this handler frames the bytes itself and writes a plain {@link ByteBuf}, which Netty's
 * {@code WebSocket08FrameEncoder} lets through: a {@link SharedFrame} goes out as a duplicate of its framed bytes,
 * built once for all its WebSocket recipients, and a payload for this connection alone as header and payload in one
 * buffer (or two writes, uncopied, when it is large). No {@code TextWebSocketFrame} is made for either.
 *
 * <ul>
 * <li>A binary frame is answered with {@code error unsupported} (as an invalid {@link ClientFrame}) and ignored.
 * <li>Ping, pong and close frames never get here: {@code WebSocketServerProtocolHandler} answers them.
 * <li>When the gateway closes the connection for a reason (a kick, an auth failure, an oversize frame) the close
 *     frame carries that reason's {@link CloseReason#webSocketCode() code}.
 * </ul>
 */
@Sharable
final class WebSocketFrameCodec extends ChannelDuplexHandler {
    static final WebSocketFrameCodec INSTANCE = new WebSocketFrameCodec();

    private static final ClientFrame BINARY_FRAME =
            ClientFrame.invalid(ErrorCode.UNSUPPORTED, "binary frames are not supported; send JSON in text frames", null);

    private WebSocketFrameCodec() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TextWebSocketFrame) {
            ctx.fireChannelRead(((TextWebSocketFrame) msg).content());
        } else if (msg instanceof BinaryWebSocketFrame) {
            ReferenceCountUtil.release(msg);
            ctx.fireChannelRead(BINARY_FRAME);
        } else if (msg instanceof WebSocketFrame) {
            // A stray continuation frame (the aggregator joins well-formed ones): nothing to deliver.
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof SharedFrame) {
            SharedFrame shared = (SharedFrame) msg;
            ByteBuf framed;
            try {
                framed = shared.webSocketFrame(ctx.alloc()).retainedDuplicate();
            } finally {
                shared.release();
            }
            ctx.write(framed, promise);
        } else if (msg instanceof ByteBuf) {
            writePayload(ctx, (ByteBuf) msg, promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    private static void writePayload(ChannelHandlerContext ctx, ByteBuf payload, ChannelPromise promise) {
        int length = payload.readableBytes();
        if (length <= TcpFrameEncoder.COPY_THRESHOLD) {
            ByteBuf frame;
            try {
                frame = Framing.webSocket(ctx.alloc(), payload);
            } finally {
                payload.release();
            }
            ctx.write(frame, promise);
        } else {
            ByteBuf header = ctx.alloc().buffer(Framing.webSocketHeaderLength(length));
            Framing.writeWebSocketHeader(header, length);
            ctx.write(header);
            ctx.write(payload, promise);
        }
    }

    /**
     * Sends the close frame, then closes once it is written. Netty's protocol handler turns away any frame written
     * after it and force-closes the channel if the close frame cannot be written in time.
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        Connection c = Connection.of(ctx.channel());
        if (c == null || !ctx.channel().isActive() || !ctx.channel().isWritable()) {
            ctx.close(promise);
            return;
        }
        CloseReason reason = c.closeReason() != null ? c.closeReason() : CloseReason.NORMAL;
        ctx.writeAndFlush(new CloseWebSocketFrame(reason.webSocketCode(), reason.description()))
                .addListener(f -> ctx.close(promise));
    }
}
