package io.chatgateway.pipeline;

import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void framesOutboundPayloadAsOneTextFrameInOneBuffer() {
        EmbeddedChannel ch = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        ByteBuf payload = Unpooled.copiedBuffer("{\"type\":\"pong\"}", StandardCharsets.UTF_8);
        ch.writeOutbound(payload);
        ByteBuf framed = assertInstanceOf(ByteBuf.class, ch.readOutbound());
        assertNull(ch.readOutbound(), "header and payload in one buffer");
        assertEquals(0, payload.refCnt(), "the payload was copied behind the header and released");
        assertEquals(List.of("{\"type\":\"pong\"}"), decode(framed));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void framesLargePayloadWithoutCopyingIt() {
        EmbeddedChannel ch = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        String json = "\"" + "x".repeat(70_000) + "\""; // past 65,535: the 8-byte length form
        ByteBuf payload = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        ch.writeOutbound(payload);
        ByteBuf header = ch.readOutbound();
        ByteBuf body = ch.readOutbound();
        assertSame(payload, body, "the payload itself goes out behind its header");
        assertEquals(10, header.readableBytes());
        assertEquals(List.of(json), decode(Unpooled.wrappedBuffer(header, body)));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void writesOneSharedFramingToEveryConnection() {
        EmbeddedChannel a = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        EmbeddedChannel b = new EmbeddedChannel(WebSocketFrameCodec.INSTANCE);
        String json = "{\"type\":\"message\",\"body\":\"" + "y".repeat(300) + "\"}"; // 2-byte length form
        SharedFrame shared = SharedFrame.of(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        a.writeOutbound(shared.retain());
        b.writeOutbound(shared.retain());
        shared.release();
        ByteBuf fromA = a.readOutbound();
        ByteBuf fromB = b.readOutbound();
        assertNotSame(fromA, fromB, "each connection has its own reader index");
        assertTrue(WebSocketFrameCodecTest.sameMemory(fromA, fromB), "over the same framed bytes: built once, not per connection");
        assertEquals(0, shared.refCnt());
        assertEquals(0, shared.payload().refCnt(), "the payload is freed once every connection has its framing");
        ByteBuf framing = fromA.unwrap();
        assertEquals(2, framing.refCnt(), "the framed bytes live as long as a connection still has them queued");
        assertEquals(List.of(json), decode(fromA));
        assertEquals(List.of(json), decode(fromB));
        assertEquals(0, framing.refCnt());
        assertFalse(a.finishAndReleaseAll());
        assertFalse(b.finishAndReleaseAll());
    }

    /** {@code true} when both buffers start at the same bytes in memory: views of one buffer, not copies. */
    static boolean sameMemory(ByteBuf a, ByteBuf b) {
        if (a.hasMemoryAddress() && b.hasMemoryAddress()) {
            return a.memoryAddress() + a.readerIndex() == b.memoryAddress() + b.readerIndex();
        }
        return a.hasArray() && b.hasArray() && a.array() == b.array()
                && a.arrayOffset() + a.readerIndex() == b.arrayOffset() + b.readerIndex();
    }

    /** Decodes server frames as a client does (unmasked), and releases {@code bytes}. */
    static List<String> decode(ByteBuf bytes) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
        client.writeInbound(bytes);
        List<String> texts = new ArrayList<>();
        for (Object o; (o = client.readInbound()) != null; ) {
            TextWebSocketFrame f = assertInstanceOf(TextWebSocketFrame.class, o);
            assertTrue(f.isFinalFragment());
            assertEquals(0, f.rsv());
            texts.add(f.text());
            f.release();
        }
        assertFalse(client.finishAndReleaseAll());
        return texts;
    }
}
