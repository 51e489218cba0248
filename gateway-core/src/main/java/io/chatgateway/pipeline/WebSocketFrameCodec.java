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
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

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
 * <li>A WebSocket failure of the client's (RFC 6455 section 7.1.7) is answered with the close frame whose status says
 *     what was wrong: 1002 for a protocol error (reserved bits or opcodes, bad fragmentation, an invalid close code),
 *     1007 for invalid UTF-8 in a text message or close reason, 1009 for a frame or message above
 *     {@code max-frame-bytes}.
 * <li>A connection that ends in the middle of a fragmented message is an ordinary disconnect, not an error.
 * <li>Once the handshake is done, the connection no longer keeps a handshaker of its own (see {@link #CLOSER}).
 * </ul>
 *
 * <p>Every close frame of a connection goes through {@code wsProtocol}, which sends the first and refuses any after
 * it: this handler's, the gateway's and the echo of a client's close. Netty's frame decoder and UTF-8 validator
 * therefore do not send their own ({@code closeOnProtocolViolation(false)}): they sit below {@code wsProtocol}, so a
 * close frame of theirs would not count there, and the gateway's close that follows would send a second one.
 */
@Sharable
final class WebSocketFrameCodec extends ChannelDuplexHandler {
    static final WebSocketFrameCodec INSTANCE = new WebSocketFrameCodec();
    private static final Logger log = LoggerFactory.getLogger(WebSocketFrameCodec.class);
    /** A close frame is a control frame: at most 125 bytes of payload, two of them the status code. */
    private static final int MAX_CLOSE_REASON_BYTES = 123;

    /**
     * Where {@code WebSocketServerProtocolHandler} keeps each connection's handshaker (Netty's own key, got by its
     * name), and what the gateway leaves there after the handshake. Past the handshake Netty uses that handshaker for
     * one thing only, echoing a client's close frame, and its {@code close} uses none of the handshaker's state; but
     * each one holds the URL it answered ("ws://host:port/path"), a string per connection: about 100 bytes of heap
     * per idle connection for the pair. One handshaker for every connection echoes the same close frames.
     * {@code WebSocketCloseTest} checks both the echo and that no connection keeps its own.
     */
    private static final AttributeKey<WebSocketServerHandshaker> HANDSHAKER =
            AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER");
    static final WebSocketServerHandshaker CLOSER =
            new WebSocketServerHandshaker13("/", null, WebSocketDecoderConfig.newBuilder().build());

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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            Attribute<WebSocketServerHandshaker> handshaker = ctx.channel().attr(HANDSHAKER);
            if (handshaker.get() != null) {
                handshaker.set(CLOSER);
            }
        }
        ctx.fireUserEventTriggered(evt);
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

    /**
     * Answers a WebSocket failure from below (the frame decoder, the UTF-8 validator, the aggregator) with its close
     * frame, closes once it is written and lets the failure on, so that the protocol knows why the connection ends.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof PrematureChannelClosureException) {
            // The aggregator's word for a peer that left in the middle of a message: nothing to answer or report.
            if (log.isDebugEnabled()) {
                Connection c = Connection.of(ctx.channel());
                log.debug("{} closed in the middle of a message", c != null ? c.logPrefix() : ctx.channel());
            }
            return;
        }
        WebSocketCloseStatus status = closeStatus(cause);
        if (status != null && ctx.channel().isActive()) {
            ctx.writeAndFlush(new CloseWebSocketFrame(status.code(), closeReason(cause, status)))
                    .addListener(f -> ctx.close());
        }
        ctx.fireExceptionCaught(cause);
    }

    /** The close status for a WebSocket failure, or {@code null} when {@code cause} is not one. */
    private static WebSocketCloseStatus closeStatus(Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException) {
            return ((CorruptedWebSocketFrameException) cause).closeStatus();
        }
        if (cause instanceof TooLongFrameException) {
            return WebSocketCloseStatus.MESSAGE_TOO_BIG; // the aggregator: a fragmented message above the limit
        }
        return null;
    }

    /** The failure's own words when they fit in a close frame, the status's standard text otherwise. */
    private static String closeReason(Throwable cause, WebSocketCloseStatus status) {
        String message = cause.getMessage();
        return message != null && message.getBytes(StandardCharsets.UTF_8).length <= MAX_CLOSE_REASON_BYTES
                ? message : status.reasonText();
    }
}
