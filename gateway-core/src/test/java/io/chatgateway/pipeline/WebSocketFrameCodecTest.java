package io.chatgateway.pipeline;

import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

class WebSocketFrameCodecTest {

    @Test
    void passesTextPayloadOnAsBytes() {
        EmbeddedChannel ch = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        ch.writeInbound(new TextWebSocketFrame("{\"type\":\"ping\"}"));
        ByteBuf b = ch.readInbound();
        assertEquals("{\"type\":\"ping\"}", b.toString(StandardCharsets.UTF_8));
        b.release();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void turnsBinaryFrameIntoUnsupportedError() {
        EmbeddedChannel ch = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        ClientFrame f = ch.readInbound();
        assertFalse(f.isValid());
        assertEquals(ErrorCode.UNSUPPORTED, f.error());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void dropsStrayContinuationFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        ch.writeInbound(new ContinuationWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {'x'})));
        assertNull(ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void wrapsOutboundPayloadInTextFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        ch.writeOutbound(Unpooled.copiedBuffer("{\"type\":\"pong\"}", StandardCharsets.UTF_8));
        TextWebSocketFrame f = assertInstanceOf(TextWebSocketFrame.class, ch.readOutbound());
        assertEquals("{\"type\":\"pong\"}", f.text());
        f.release();
        assertFalse(ch.finishAndReleaseAll());
    }
}
