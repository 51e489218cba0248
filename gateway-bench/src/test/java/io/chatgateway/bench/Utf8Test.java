package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Utf8Test {
    @Test
    void acceptsWellFormedTextOfEveryLength() {
        for (String s : new String[] {"", "plain ascii", "caf\u00e9", "\u4e2d\u6587", "\ud83d\ude00 emoji",
                "\u0080\u07ff\u0800\uffff\ud800\udc00\udbff\udfff"}) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertTrue(Utf8.isValid(b, 0, b.length), s);
        }
    }

    @Test
    void rejectsWhatTheSpecForbids() {
        int[][] bad = {
            {0x80}, {0xbf}, // a continuation byte first
            {0xc0, 0xaf}, {0xc1, 0xbf}, {0xe0, 0x80, 0xaf}, {0xf0, 0x80, 0x80, 0xaf}, // overlong
            {0xed, 0xa0, 0x80}, {0xed, 0xbf, 0xbf}, // surrogates
            {0xf4, 0x90, 0x80, 0x80}, {0xf5, 0x80, 0x80, 0x80}, {0xff}, // above U+10FFFF
            {0xc3}, {0xe2, 0x82}, {0xf0, 0x9f, 0x98}, // cut short
            {0xc3, 0x28}, {0xe2, 0x28, 0xa1}, {0xf0, 0x9f, 0x28, 0x80}, // a continuation missing
        };
        for (int[] seq : bad) {
            byte[] b = new byte[seq.length + 2];
            b[0] = 'a';
            for (int i = 0; i < seq.length; i++) {
                b[i + 1] = (byte) seq[i];
            }
            b[b.length - 1] = 'z';
            assertFalse(Utf8.isValid(b, 0, b.length), java.util.Arrays.toString(seq));
        }
    }

    @Test
    void looksOnlyAtItsRange() {
        byte[] b = {(byte) 0xff, 'o', 'k', (byte) 0xc3};
        assertTrue(Utf8.isValid(b, 1, 3));
        assertFalse(Utf8.isValid(b, 1, 4));
    }

    /**
     * Random bytes, biased toward the lead and continuation bytes, against the JDK's strict decoder of the whole
     * range: the ASCII pass must hand over at a character's start, never in the middle of one.
     */
    @Test
    void agreesWithTheJdksStrictDecoder() {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        int[] pool = {'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef,
            0xf0, 0xf1, 0xf4, 0xf5, 0xff};
        Random random = new Random(20261208);
        int valid = 0;
        for (int n = 0; n < 200_000; n++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) pool[random.nextInt(pool.length)];
            }
            boolean expected;
            try {
                decoder.reset().decode(ByteBuffer.wrap(b));
                expected = true;
            } catch (CharacterCodingException e) {
                expected = false;
            }
            valid += expected ? 1 : 0;
            assertEquals(expected, Utf8.isValid(b, 0, b.length), () -> java.util.HexFormat.of().formatHex(b));
        }
        assertTrue(valid > 1000 && valid < 199_000, "both outcomes were tried: " + valid + " valid");
    }
}
