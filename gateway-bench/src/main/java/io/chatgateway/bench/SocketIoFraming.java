package io.chatgateway.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;

import java.nio.charset.StandardCharsets;

/**
 * The least of socket.io 4 (Engine.IO 4 over WebSocket only) that lets the bench's clients drive a socket.io server
 * with the gateway's own frames: each frame travels as the argument of one {@code "m"} event,
 * {@code 42["m",FRAME]}. Between the text frames ({@link ClientFactory.WsText}) and the client: it answers the
 * server's open packet ({@code 0{...}}) with a namespace connect ({@code 40}), holds back the WebSocket handshake's
 * completion until the server's {@code 40{...}} (so the client authenticates on a connected socket), answers pings
 * ({@code 2}) with pongs ({@code 3}), and unwraps and wraps {@code "m"} events. Anything else reaches the client as
 * an unexpected frame. One per connection.
 */
final class SocketIoFraming extends ChannelDuplexHandler {
    private static final byte[] EVENT_PREFIX = "42[\"m\",".getBytes(StandardCharsets.US_ASCII);

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            return; // the socket.io connect (40) completes it
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf b = (ByteBuf) msg;
        int n = b.readableBytes();
        int at = b.readerIndex();
        byte first = n > 0 ? b.getByte(at) : 0;
        byte second = n > 1 ? b.getByte(at + 1) : 0;
        if (first == '4' && second == '2' && n > EVENT_PREFIX.length && startsWithEventPrefix(b)
                && b.getByte(at + n - 1) == ']') {
            ByteBuf frame = b.retainedSlice(at + EVENT_PREFIX.length, n - EVENT_PREFIX.length - 1);
            b.release();
            ctx.fireChannelRead(frame);
            return;
        }
        b.release();
        if (first == '2' && n == 1) {
            write(ctx, "3");
        } else if (first == '0') {
            write(ctx, "40");
        } else if (first == '4' && second == '0') {
            ctx.fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        } else if (first == '1' || (first == '4' && second == '1')) {
            ctx.close();
        } else {
            ctx.fireChannelRead(Boolean.FALSE);
        }
    }

    private static boolean startsWithEventPrefix(ByteBuf b) {
        for (int i = 0; i < EVENT_PREFIX.length; i++) {
            if (b.getByte(b.readerIndex() + i) != EVENT_PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    private static void write(ChannelHandlerContext ctx, String packet) {
        ByteBuf out = ctx.alloc().buffer(packet.length());
        ByteBufUtil.writeAscii(out, packet);
        ctx.writeAndFlush(out, ctx.voidPromise());
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf)) {
            ctx.write(msg, promise);
            return;
        }
        ByteBuf frame = (ByteBuf) msg;
        try {
            ByteBuf out = ctx.alloc().buffer(EVENT_PREFIX.length + frame.readableBytes() + 1);
            out.writeBytes(EVENT_PREFIX).writeBytes(frame).writeByte(']');
            ctx.write(out, promise);
        } finally {
            frame.release();
        }
    }
}
