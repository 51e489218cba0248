package io.chatgateway.pipeline;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedFrameTest {

    private static SharedFrame frame(String json) {
        return SharedFrame.of(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
    }

    @Test
    void webSocketHeaderUsesTheShortestLengthForm() {
        for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 1 << 20}) {
            ByteBuf header = Unpooled.buffer();
            Framing.writeWebSocketHeader(header, length);
            assertEquals(Framing.webSocketHeaderLength(length), header.readableBytes(), "length " + length);
            assertEquals(0x81, header.getUnsignedByte(0), "FIN, no RSV bits, text opcode");
            int form = header.getUnsignedByte(1);
            assertEquals(0, form & 0x80, "a server frame is not masked");
            if (length <= 125) {
                assertEquals(length, form);
            } else if (length <= 65_535) {
                assertEquals(126, form);
                assertEquals(length, header.getUnsignedShort(2));
            } else {
                assertEquals(127, form);
                assertEquals(length, header.getLong(2));
            }
            header.release();
        }
    }

    @Test
    void aCopyHasThePayloadsBytesInABufferOfItsOwn() {
        SharedFrame shared = frame("{\"type\":\"message\"}");
        SharedFrame copy = shared.copy();
        assertEquals(shared.payload().toString(StandardCharsets.UTF_8), copy.payload().toString(StandardCharsets.UTF_8));
        ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        assertFalse(WebSocketFrameCodecTest.sameMemory(shared.webSocketFrame(alloc), copy.webSocketFrame(alloc)),
                "framed in memory of its own");
        assertTrue(ByteBufUtil.equals(shared.webSocketFrame(alloc), copy.webSocketFrame(alloc)), "the same bytes");
        shared.release();
        assertEquals(1, copy.refCnt(), "released apart from the original");
        copy.release();
    }

    @Test
    void framesOncePerTransportAndLeavesThePayloadAsItWas() {
        SharedFrame shared = frame("{\"type\":\"message\"}");
        ByteBuf payload = shared.payload();
        int readerIndex = payload.readerIndex();
        ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        ByteBuf ws = shared.webSocketFrame(alloc);
        ByteBuf tcp = shared.tcpFrame(alloc);
        assertSame(ws, shared.webSocketFrame(alloc));
        assertSame(tcp, shared.tcpFrame(alloc));
        assertEquals(readerIndex, payload.readerIndex());
        assertEquals(18, shared.payloadBytes());
        assertEquals(2 + 18, ws.readableBytes());
        assertEquals(4 + 18, tcp.readableBytes());
        assertEquals(18, tcp.getInt(0));
        assertEquals("{\"type\":\"message\"}", tcp.toString(4, 18, StandardCharsets.UTF_8));
        assertEquals(List.of("{\"type\":\"message\"}"), WebSocketFrameCodecTest.decode(ws.retainedDuplicate()));

        shared.release();
        assertEquals(0, payload.refCnt());
        assertEquals(0, ws.refCnt());
        assertEquals(0, tcp.refCnt());
    }

    @Test
    void aConcatenationIsItsPartsFramedOneAfterTheOtherOverBothTransports() {
        String big = "{\"body\":\"" + "x".repeat(200) + "\"}";
        SharedFrame[] parts = {frame("{\"n\":1}"), frame(big), frame("{\"n\":3}")};
        ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        SharedFrame all = SharedFrame.concat(parts, 3, alloc);
        assertEquals(3, all.frameCount());
        assertEquals(1, parts[0].frameCount());
        assertEquals(7 + big.length() + 7, all.payloadBytes(), "the parts' payloads, without framing");

        assertEquals(List.of("{\"n\":1}", big, "{\"n\":3}"),
                WebSocketFrameCodecTest.decode(all.webSocketFrame(alloc).retainedDuplicate()),
                "three text frames in order, the long one with the 16-bit length form");
        ByteBuf tcp = all.tcpFrame(alloc);
        List<String> texts = new java.util.ArrayList<>();
        for (int at = 0; at < tcp.readableBytes(); ) {
            int length = tcp.getInt(at);
            texts.add(tcp.toString(at + 4, length, StandardCharsets.UTF_8));
            at += 4 + length;
        }
        assertEquals(List.of("{\"n\":1}", big, "{\"n\":3}"), texts);
        SharedFrame copy = all.copy();
        assertEquals(3, copy.frameCount(), "a copy stands for the same frames");
        copy.release();

        assertThrows(IllegalArgumentException.class, () -> SharedFrame.concat(new SharedFrame[] {all}, 1, alloc),
                "a concatenation is not a part");
        all.release();
        for (SharedFrame part : parts) {
            assertEquals(1, part.refCnt(), "borrowed, not released");
            part.release();
        }
    }

    @Test
    void releasesOnlyThePayloadWhenNeverFramed() {
        SharedFrame shared = frame("{}");
        shared.retain();
        shared.release();
        assertEquals(1, shared.payload().refCnt());
        shared.release();
        assertEquals(0, shared.payload().refCnt());
    }

    @Test
    void keepsOneFramingWhenTwoEventLoopsBuildItAtOnce() throws Exception {
        SharedFrame shared = frame("{\"race\":true}");
        CountDownLatch bothAllocated = new CountDownLatch(2);
        List<ByteBuf> built = new CopyOnWriteArrayList<>();
        ByteBufAllocator alloc = new AbstractByteBufAllocator(false) {
            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                return newHeapBuffer(initialCapacity, maxCapacity);
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }

            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                ByteBuf b = Unpooled.buffer(initialCapacity, maxCapacity);
                built.add(b);
                bothAllocated.countDown();
                try {
                    // Both threads are inside the build before either installs its result.
                    assertTrue(bothAllocated.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                return b;
            }
        };
        CompletableFuture<ByteBuf> first = CompletableFuture.supplyAsync(() -> shared.webSocketFrame(alloc));
        CompletableFuture<ByteBuf> second = CompletableFuture.supplyAsync(() -> shared.webSocketFrame(alloc));
        ByteBuf a = first.get(10, TimeUnit.SECONDS);
        ByteBuf b = second.get(10, TimeUnit.SECONDS);
        assertSame(a, b, "both callers get the one installed framing");
        assertEquals(2, built.size());
        ByteBuf loser = built.get(0) == a ? built.get(1) : built.get(0);
        assertEquals(0, loser.refCnt(), "the other one was released");
        shared.release();
        assertEquals(0, a.refCnt());
    }

    @Test
    void tcpEncoderWritesOneSharedFramingToEveryConnection() {
        EmbeddedChannel a = new EmbeddedChannel(TcpFrameEncoder.INSTANCE);
        EmbeddedChannel b = new EmbeddedChannel(TcpFrameEncoder.INSTANCE);
        String json = "{\"type\":\"message\",\"body\":\"" + "z".repeat(2000) + "\"}"; // above the copy threshold
        SharedFrame shared = frame(json);
        a.writeOutbound(shared.retain());
        b.writeOutbound(shared.retain());
        shared.release();
        ByteBuf fromA = a.readOutbound();
        ByteBuf fromB = b.readOutbound();
        assertTrue(WebSocketFrameCodecTest.sameMemory(fromA, fromB), "one framed buffer for both connections");
        for (ByteBuf f : List.of(fromA, fromB)) {
            EmbeddedChannel decoder = new EmbeddedChannel(new TcpFrameDecoder(1 << 16));
            decoder.writeInbound(f);
            ByteBuf decoded = decoder.readInbound();
            assertEquals(json, decoded.toString(StandardCharsets.UTF_8));
            decoded.release();
            assertFalse(decoder.finishAndReleaseAll());
        }
        assertEquals(0, shared.payload().refCnt());
        assertFalse(a.finishAndReleaseAll());
        assertFalse(b.finishAndReleaseAll());
    }

    @Test
    void meteringCountsThePayloadOfASharedFrameOnce() {
        io.chatgateway.metrics.GatewayMetrics metrics = new io.chatgateway.metrics.GatewayMetrics();
        EmbeddedChannel ch = new EmbeddedChannel(new MeteringHandler(metrics));
        SharedFrame shared = frame("12345678");
        ch.writeOutbound(shared);
        assertEquals(8, metrics.bytesOut(), "payload bytes, not framing");
        assertSame(shared, ch.readOutbound(), "passed on as it is, for the transport's encoder");
        shared.release();
        assertFalse(ch.finishAndReleaseAll());
    }
}
