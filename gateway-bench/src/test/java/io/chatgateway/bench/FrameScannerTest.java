package io.chatgateway.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameScannerTest {
    private final FrameScanner scanner = new FrameScanner();

    /**
     * Scans {@code json} from the three kinds of buffer the bench meets: a direct one (read through the scanner's
     * copy), a slice of a heap array that has other bytes around it (read in place, at an offset), and a plain
     * heap one. All three must read the same; the fields left are the last scan's.
     */
    private boolean scan(String json) {
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf direct = Unpooled.directBuffer(utf8.length + 64).writeBytes(utf8).writeBytes(GARBAGE);
        direct.writerIndex(utf8.length);
        ByteBuf around = Unpooled.wrappedBuffer(GARBAGE, utf8, GARBAGE).copy();
        ByteBuf slice = around.slice(GARBAGE.length, utf8.length);
        ByteBuf heap = Unpooled.wrappedBuffer(utf8);
        try {
            boolean ok = scanOne(direct);
            String read = fields();
            assertEquals(ok, scanOne(slice), "a heap slice at an offset reads as a direct buffer does: " + json);
            assertEquals(read, fields(), "a heap slice at an offset reads as a direct buffer does: " + json);
            assertEquals(ok, scanOne(heap));
            assertEquals(read, fields(), "a heap buffer reads as a direct buffer does: " + json);
            return ok;
        } finally {
            direct.release();
            around.release();
            heap.release();
        }
    }

    private static final byte[] GARBAGE = "\"}]\"x".getBytes(StandardCharsets.US_ASCII);

    private boolean scanOne(ByteBuf b) {
        int reader = b.readerIndex();
        int writer = b.writerIndex();
        boolean ok = scanner.scan(b);
        assertEquals(reader, b.readerIndex(), "the scanner must not move the buffer's indexes");
        assertEquals(writer, b.writerIndex(), "the scanner must not move the buffer's indexes");
        return ok;
    }

    private String fields() {
        return String.join("|", String.valueOf(scanner.type()), String.valueOf(scanner.id()),
                String.valueOf(scanner.recipients()), scanner.code(), scanner.reason(),
                String.valueOf(scanner.heartbeat()), String.valueOf(scanner.hasBenchBody()),
                String.valueOf(scanner.sender()), String.valueOf(scanner.sequence()),
                String.valueOf(scanner.intendedNanos()), String.valueOf(scanner.offset()), scanner.epoch(),
                String.valueOf(scanner.recovered()), scanner.inboxEpoch(), String.valueOf(scanner.inboxOffset()),
                String.valueOf(scanner.hasRoom()));
    }

    @Test
    void readsAFrameLargerThanItsBufferAndStringsInUtf8() {
        String filler = "\u00e9\u4e2d".repeat(1500) + "x".repeat(3000);
        assertTrue(scan("{\"type\":\"error\",\"message\":\"" + filler + "\",\"code\":\"caf\u00e9-" + filler
                + "\",\"body\":{\"s\":1,\"q\":2,\"t\":3}}"));
        assertEquals(FrameScanner.Type.ERROR, scanner.type());
        assertEquals("caf\u00e9-" + filler, scanner.code());
        assertTrue(scanner.hasBenchBody());
        assertTrue(scan("{\"type\":\"pong\"}"), "a short frame after a long one");
        assertEquals(FrameScanner.Type.PONG, scanner.type());
        assertNull(scanner.code());
    }

    @Test
    void readsThePositionsOfProtocol11() {
        assertTrue(scan("{\"type\":\"message\",\"mid\":\"n1-a\",\"from\":\"u1\",\"room\":\"r\","
                + "\"body\":{\"s\":1,\"q\":2,\"t\":3,\"offset\":99},\"ts\":1,\"offset\":42}"));
        assertEquals(42, scanner.offset(), "the message's offset, not one inside the body");
        assertTrue(scanner.hasRoom());
        assertTrue(scan("{\"type\":\"message\",\"mid\":\"m\",\"from\":\"u1\",\"to\":\"u2\",\"body\":{},\"ts\":1}"));
        assertEquals(-1, scanner.offset());
        assertFalse(scanner.hasRoom());

        assertTrue(scan("{\"type\":\"welcome\",\"user\":\"u\",\"conn\":\"c\",\"heartbeat\":60,"
                + "\"inbox\":{\"offset\":7,\"epoch\":\"ab-3\"},\"recovered\":false}"));
        assertEquals(FrameScanner.Type.WELCOME, scanner.type());
        assertEquals("ab-3", scanner.inboxEpoch());
        assertEquals(7, scanner.inboxOffset());
        assertEquals(Boolean.FALSE, scanner.recovered());
        assertNull(scanner.epoch(), "the inbox's epoch is not the frame's");

        assertTrue(scan("{\"type\":\"ack\",\"epoch\":\"e-1\",\"offset\":0,\"events\":true,\"recovered\":true}"));
        assertEquals("e-1", scanner.epoch());
        assertEquals(0, scanner.offset());
        assertEquals(Boolean.TRUE, scanner.recovered());
        assertTrue(scan("{\"type\":\"ack\",\"recipients\":3,\"mid\":\"m\"}"));
        assertNull(scanner.recovered());
        assertNull(scanner.epoch());

        assertTrue(scan("{\"type\":\"history\",\"room\":\"r\",\"epoch\":\"e\",\"offset\":12,"
                + "\"messages\":[{\"type\":\"message\",\"offset\":12}]}"));
        assertEquals(FrameScanner.Type.HISTORY, scanner.type());
        assertEquals(12, scanner.offset());
        assertEquals("e", scanner.epoch());
    }

    @Test
    void readsTheBenchBodyOfAMessageWhateverTheFieldOrder() {
        assertTrue(scan("{\"type\":\"message\",\"mid\":\"n1-a\",\"from\":\"u1\",\"to\":\"u2\","
                + "\"body\":{\"s\":12,\"q\":345,\"t\":987654321012},\"ts\":1700000000000}"));
        assertEquals(FrameScanner.Type.MESSAGE, scanner.type());
        assertTrue(scanner.hasBenchBody());
        assertEquals(12, scanner.sender());
        assertEquals(345, scanner.sequence());
        assertEquals(987654321012L, scanner.intendedNanos());

        assertTrue(scan(" { \"body\" : { \"p\" : \"x}\\\"{\" , \"t\" : -5 , \"q\" : 0 , \"s\" : 3 , \"x\":[1,{\"s\":9}] } ,"
                + " \"nested\": {\"type\":\"ack\"}, \"type\" : \"message\" } "));
        assertEquals(FrameScanner.Type.MESSAGE, scanner.type());
        assertEquals(3, scanner.sender());
        assertEquals(0, scanner.sequence());
        assertEquals(-5, scanner.intendedNanos());
    }

    @Test
    void readsTheFieldsOfOtherFrames() {
        assertTrue(scan("{\"type\":\"welcome\",\"user\":\"u\\\"1\",\"conn\":\"n.1\",\"heartbeat\":60}"));
        assertEquals(FrameScanner.Type.WELCOME, scanner.type());
        assertEquals(60, scanner.heartbeat());

        assertTrue(scan("{\"type\":\"ack\",\"id\":\"7\",\"recipients\":999,\"mid\":\"x-1\"}"));
        assertEquals(FrameScanner.Type.ACK, scanner.type());
        assertEquals(999, scanner.recipients());

        assertTrue(scan("{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow down\"}"));
        assertEquals(FrameScanner.Type.ERROR, scanner.type());
        assertEquals("rate_limited", scanner.code());

        assertTrue(scan("{\"type\":\"kicked\",\"reason\":\"slow_consumer\"}"));
        assertEquals(FrameScanner.Type.KICKED, scanner.type());
        assertEquals("slow_consumer", scanner.reason());

        assertTrue(scan("{\"type\":\"joined\",\"room\":\"r\",\"user\":\"u\"}"));
        assertEquals(FrameScanner.Type.JOINED, scanner.type());
        assertTrue(scan("{\"type\":\"presence\",\"users\":[\"a\",\"b\"],\"truncated\":true}"));
        assertEquals(FrameScanner.Type.PRESENCE, scanner.type());
    }

    @Test
    void anUnknownTypeIsOther() {
        assertTrue(scan("{\"type\":\"welcomex\"}"));
        assertEquals(FrameScanner.Type.OTHER, scanner.type());
        assertTrue(scan("{\"type\":\"other\"}"));
        assertEquals(FrameScanner.Type.OTHER, scanner.type());
        assertTrue(scan("{}"));
        assertEquals(FrameScanner.Type.OTHER, scanner.type());
    }

    @Test
    void aMessageWithoutTheBenchNumbersHasNoBenchBody() {
        assertTrue(scan("{\"type\":\"message\",\"body\":\"hello\"}"));
        assertFalse(scanner.hasBenchBody());
        assertTrue(scan("{\"type\":\"message\",\"body\":{\"s\":1,\"q\":2}}"));
        assertFalse(scanner.hasBenchBody());
        assertTrue(scan("{\"type\":\"message\",\"body\":{\"s\":\"1\",\"q\":2,\"t\":3}}"));
        assertFalse(scanner.hasBenchBody());
    }

    @Test
    void malformedInputIsReportedNotThrown() {
        assertFalse(scan(""));
        assertFalse(scan("[1,2]"));
        assertFalse(scan("{\"type\":\"ack\""));
        assertFalse(scan("{\"type\" \"ack\"}"));
        assertFalse(scan("{\"type\":\"message\",\"body\":{\"s\":1,"));
        assertFalse(scan("{\"recipients\":x}"));
    }

    @Test
    void aFrameThatIsNotUtf8IsRefusedAndSaysSo() {
        byte[] frame = "{\"type\":\"message\",\"body\":\"caf\u00e9 \"}".getBytes(StandardCharsets.UTF_8);
        frame[frame.length - 5] = (byte) 'x'; // the é's first byte gone, its second (0xa9) left alone
        ByteBuf direct = Unpooled.directBuffer().writeBytes(frame);
        try {
            assertFalse(scanOne(direct));
            assertTrue(scanner.invalidUtf8());
        } finally {
            direct.release();
        }
        assertFalse(scan("{\"type\":\"ack\""));
        assertFalse(scanner.invalidUtf8(), "malformed JSON in valid UTF-8 is not a UTF-8 problem");
        assertTrue(scan("{\"type\":\"error\",\"code\":\"caf\u00e9\"}"));
        assertFalse(scanner.invalidUtf8());
        assertEquals("caf\u00e9", scanner.code());
    }

    @Test
    void startsEveryScanAfresh() {
        assertTrue(scan("{\"type\":\"error\",\"code\":\"x\"}"));
        assertTrue(scan("{\"type\":\"pong\"}"));
        assertNull(scanner.code());
        assertEquals(-1, scanner.recipients());
    }
}
