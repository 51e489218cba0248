package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TcpFramingTest {

    private static ByteBuf frame(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeInt(b.length).writeBytes(b);
    }

    private static String text(Object msg) {
        ByteBuf b = (ByteBuf) msg;
        try {
            return b.toString(StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }

    @Test
    void reassemblesFramesSplitAcrossReads() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFrameDecoder(1024));
        ByteBuf f = frame("{\"type\":\"ping\"}");
        ch.writeInbound(f.readRetainedSlice(2));
        assertNull(ch.readInbound());
        ch.writeInbound(f.readRetainedSlice(5));
        assertNull(ch.readInbound());
        ch.writeInbound(f);
        assertEquals("{\"type\":\"ping\"}", text(ch.readInbound()));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void splitsSeveralFramesInOneRead() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFrameDecoder(1024));
        ch.writeInbound(Unpooled.wrappedBuffer(frame("{\"a\":1}"), frame("{\"b\":2}"), frame("")));
        assertEquals("{\"a\":1}", text(ch.readInbound()));
        assertEquals("{\"b\":2}", text(ch.readInbound()));
        assertEquals("", text(ch.readInbound()));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void acceptsFrameOfExactlyTheMaximum() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFrameDecoder(10));
        ch.writeInbound(frame("0123456789"));
        assertEquals("0123456789", text(ch.readInbound()));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void rejectsLengthAboveMaximumOnceAndDiscardsTheRest() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFrameDecoder(10));
        assertThrows(TooLongFrameException.class, () -> ch.writeInbound(frame("01234567890")));
        // Whatever follows is dropped unread: no second exception, no frame.
        ch.writeInbound(frame("{}"));
        assertNull(ch.readInbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void rejectsHugeUnsignedLengthWithoutWaitingForIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpFrameDecoder(65536));
        assertThrows(TooLongFrameException.class,
                () -> ch.writeInbound(Unpooled.buffer().writeInt(0xFFFFFFFF).writeByte('x')));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void prefixesSmallAndLargePayloadsWithTheirLength() {
        EmbeddedChannel ch = new EmbeddedChannel(TcpFrameEncoder.INSTANCE);
        String small = "{\"type\":\"pong\"}";
        String large = "{\"pad\":\"" + "x".repeat(TcpFrameEncoder.COPY_THRESHOLD * 2) + "\"}";
        ch.writeOutbound(Unpooled.copiedBuffer(small, StandardCharsets.UTF_8));
        ch.writeOutbound(Unpooled.copiedBuffer(large, StandardCharsets.UTF_8));
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            all.writeBytes((ByteBuf) o);
            ((ByteBuf) o).release();
        }
        EmbeddedChannel decoder = new EmbeddedChannel(new TcpFrameDecoder(1 << 20));
        decoder.writeInbound(all);
        assertEquals(small, text(decoder.readInbound()));
        assertEquals(large, text(decoder.readInbound()));
        assertFalse(decoder.finishAndReleaseAll());
        assertFalse(ch.finishAndReleaseAll());
    }
}
