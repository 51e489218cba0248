package io.chatgateway.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameParserTest {
    private final FrameParser parser = new FrameParser(65536, 8);

    private ClientFrame parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesSendWithFieldsInAnyOrderAndIgnoresUnknownFields() {
        ClientFrame f = parse("{\"body\":{\"a\":[1,{\"b\":null}]},\"extra\":{\"deep\":[1,2]},\"to\":\"bob\","
                + "\"type\":\"send\",\"id\":12}");
        assertTrue(f.isValid());
        assertEquals(FrameType.SEND, f.type());
        assertEquals("bob", f.string(Field.TO));
        assertEquals("{\"a\":[1,{\"b\":null}]}", f.body().toString());
        assertEquals("12", f.id().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "\"7\"", "1.50", "-3e2", "\"with \\\"quotes\\\" and \\u00e9\"", "123456789012345678901234567890"})
    void keepsIdExactlyAsSent(String id) {
        ClientFrame f = parse("{\"type\":\"ping\",\"id\":" + id + "}");
        assertTrue(f.isValid(), f::toString);
        assertEquals(id, f.id().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"text with \\\\ and \\n\"", "42", "-1.5e-3", "true", "null", "[]", "{}",
            "[1,\"two\",{\"three\":[3]}]", "\"\\ud83d\\ude00 \u00e9\u4e2d\""})
    void keepsBodyExactlyAsSent(String body) {
        ClientFrame f = parse("{\"type\":\"publish\",\"room\":\"r\",\"body\":" + body + ",\"id\":1}");
        assertTrue(f.isValid(), f::toString);
        assertEquals(body, f.body().toString());
    }

    @Test
    void keepsWhitespaceInsideBodyButNotAroundIt() {
        ClientFrame f = parse("{ \"type\" : \"send\" , \"body\" :  { \"a\" : 1 }  , \"to\":\"x\" }");
        assertEquals("{ \"a\" : 1 }", f.body().toString());
    }

    @Test
    void missingFieldsAreNullAndSayWhy() {
        ClientFrame f = parse("{\"type\":\"send\",\"to\":5}");
        assertTrue(f.isValid());
        assertNull(f.string(Field.TO));
        assertTrue(f.hasWrongType(Field.TO));
        assertEquals("field 'to' must be a string", f.problem(Field.TO));
        assertNull(f.body());
        assertFalse(f.hasWrongType(Field.ROOM));
        assertEquals("missing field 'room'", f.problem(Field.ROOM));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "nope", "{", "{\"type\":\"ping\"", "{\"type\":\"ping\",}", "[1,2]", "\"ping\"", "42",
            "null", "{\"type\":\"ping\"} {}", "{\"type\":\"ping\"}x", "{'type':'ping'}", "{\"type\":\"ping\",\"id\":NaN}"})
    void rejectsWhatIsNotOneJsonObjectWithoutAnId(String text) {
        ClientFrame f = parse(text);
        assertFalse(f.isValid());
        assertEquals(ErrorCode.BAD_REQUEST, f.error());
        assertNull(f.id(), "an id is only echoed for valid JSON");
    }

    @Test
    void rejectsMissingTypeWithTheId() {
        ClientFrame f = parse("{\"id\":\"a\",\"to\":\"b\"}");
        assertEquals(ErrorCode.BAD_REQUEST, f.error());
        assertEquals("missing field 'type'", f.errorMessage());
        assertEquals("\"a\"", f.id().toString());
    }

    @Test
    void rejectsNonStringTypeWithTheId() {
        ClientFrame f = parse("{\"id\":3,\"type\":{\"x\":1}}");
        assertEquals(ErrorCode.BAD_REQUEST, f.error());
        assertEquals("field 'type' must be a string", f.errorMessage());
        assertEquals("3", f.id().toString());
    }

    @Test
    void answersUnknownTypeWithTheId() {
        ClientFrame f = parse("{\"id\":0,\"type\":\"subscribe\"}");
        assertEquals(ErrorCode.UNKNOWN_TYPE, f.error());
        assertEquals("0", f.id().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"ping\",\"id\":{}}", "{\"type\":\"ping\",\"id\":[1]}", "{\"type\":\"ping\",\"id\":true}",
            "{\"type\":\"ping\",\"id\":null}"})
    void rejectsIdThatIsNeitherStringNorNumber(String text) {
        ClientFrame f = parse(text);
        assertEquals(ErrorCode.BAD_REQUEST, f.error());
        assertNull(f.id());
    }

    @Test
    void rejectsOverlongId() {
        ClientFrame f = parse("{\"type\":\"ping\",\"id\":\"" + "x".repeat(FrameParser.MAX_ID_BYTES) + "\"}");
        assertEquals(ErrorCode.BAD_REQUEST, f.error());
    }

    @Test
    void boundsNestingDepth() {
        String deep = "[".repeat(9) + "]".repeat(9);
        ClientFrame f = parse("{\"type\":\"publish\",\"room\":\"r\",\"body\":" + deep + "}");
        assertEquals(ErrorCode.BAD_REQUEST, f.error());
        assertTrue(f.errorMessage().contains("limit"), f.errorMessage());
        ClientFrame ok = parse("{\"type\":\"publish\",\"room\":\"r\",\"body\":" + "[".repeat(6) + "]".repeat(6) + "}");
        assertTrue(ok.isValid(), ok::toString);
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] prefix = "{\"type\":\"send\",\"to\":\"b\",\"body\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = "\"}".getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[prefix.length + 2 + suffix.length];
        System.arraycopy(prefix, 0, bad, 0, prefix.length);
        bad[prefix.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
        bad[prefix.length + 1] = (byte) 0x28;
        System.arraycopy(suffix, 0, bad, prefix.length + 2, suffix.length);
        ClientFrame f = parser.parse(bad);
        assertEquals(ErrorCode.BAD_REQUEST, f.error(), f::toString);
    }

    @Test
    void rejectsInvalidUtf8InsideAnIgnoredField() {
        byte[] prefix = "{\"type\":\"ping\",\"junk\":[\"".getBytes(StandardCharsets.UTF_8);
        byte[] suffix = "\"]}".getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[prefix.length + 1 + suffix.length];
        System.arraycopy(prefix, 0, bad, 0, prefix.length);
        bad[prefix.length] = (byte) 0xFF;
        System.arraycopy(suffix, 0, bad, prefix.length + 1, suffix.length);
        assertEquals(ErrorCode.BAD_REQUEST, parser.parse(bad).error());
    }
}
