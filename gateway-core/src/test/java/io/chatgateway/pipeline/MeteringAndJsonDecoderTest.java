package io.chatgateway.pipeline;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.FrameParser;
import io.chatgateway.protocol.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

class MeteringAndJsonDecoderTest {

    @Test
    void countsPayloadBytesInAndOutWithoutARegisteredConnection() {
        GatewayMetrics metrics = new GatewayMetrics();
        EmbeddedChannel ch = new EmbeddedChannel(new MeteringHandler(metrics));
        ch.writeInbound(Unpooled.copiedBuffer("12345", StandardCharsets.UTF_8));
        ch.writeOutbound(Unpooled.copiedBuffer("123", StandardCharsets.UTF_8));
        assertEquals(5, metrics.bytesIn());
        assertEquals(3, metrics.bytesOut());
        ((ByteBuf) ch.readInbound()).release();
        ((ByteBuf) ch.readOutbound()).release();
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void decodesPayloadIntoAFrameAndReleasesTheBuffer() {
        EmbeddedChannel ch = new EmbeddedChannel(new JsonFrameDecoder(new FrameParser(1024, 8)));
        ByteBuf payload = Unpooled.copiedBuffer("{\"type\":\"ping\",\"id\":1}", StandardCharsets.UTF_8);
        ch.writeInbound(payload);
        ClientFrame f = ch.readInbound();
        assertEquals(FrameType.PING, f.type());
        assertEquals(0, payload.refCnt());
        Object other = new Object();
        ch.writeInbound(other);
        assertSame(other, ch.readInbound(), "anything but bytes passes through untouched");
        assertFalse(ch.finishAndReleaseAll());
    }
}
