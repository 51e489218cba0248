package io.chatgateway.server.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EnvelopeTest {

    @Test
    void carriesHeaderAndFrameBytesUnchanged() {
        String json = "{\"type\":\"message\",\"body\":\"line\\nbreak\",\"raw\":\n[1, 2]}";
        ByteBuf frame = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        frame.readByte();
        frame.readerIndex(0);
        byte[] wire = Envelope.encode(Envelope.ROOM, "node1", "salle à manger", "node1.7", 1234, frame);
        assertEquals(json.length(), frame.readableBytes(), "the frame is not consumed");
        frame.release();

        Envelope e = Envelope.decode(wire);
        assertEquals(Envelope.ROOM, e.kind);
        assertEquals("node1", e.origin);
        assertEquals("salle à manger", e.a);
        assertEquals("node1.7", e.b);
        assertEquals(1234, e.publishedAtMillis);
        ByteBuf out = e.frame(ByteBufAllocator.DEFAULT);
        try {
            assertEquals(json, out.toString(StandardCharsets.UTF_8));
        } finally {
            out.release();
        }
    }

    @Test
    void decodesTheLayoutTheScriptsWrite() {
        byte[] wire = "K\nnodeB\nreplaced\nnodeA.1 nodeA.2\n99\n".getBytes(StandardCharsets.UTF_8);
        Envelope e = Envelope.decode(wire);
        assertEquals(Envelope.KICK, e.kind);
        assertEquals("replaced", e.a);
        assertEquals("nodeA.1 nodeA.2", e.b);
        assertEquals(0, e.frameLength());
    }

    @Test
    void rejectsWhatIsNotAnEnvelope() {
        assertThrows(IllegalArgumentException.class, () -> Envelope.decode("hello".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class,
                () -> Envelope.decode("UU\na\nb\nc\n1\n{}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class,
                () -> Envelope.decode("U\na\nb\nc\nnot-a-time\n{}".getBytes(StandardCharsets.UTF_8)));
    }
}
