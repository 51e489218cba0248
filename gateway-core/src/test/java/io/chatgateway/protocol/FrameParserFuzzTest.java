package io.chatgateway.protocol;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.chatgateway.history.Position;
import io.chatgateway.testing.Fuzzing;
import io.chatgateway.testing.JsonGen;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FrameParser} against everything a client can send: arbitrary bytes, JSON of every shape, near-JSON, the
 * wrong encodings, wrong types for every field, and the valid frames PROTOCOL.md allows. The properties: it never
 * throws; a bad frame is a {@code bad_request} or {@code unknown_type}; it agrees with a strict JSON reader on what
 * is JSON at all; a valid frame gives back exactly the values sent; an echoed {@code id} is the JSON value sent.
 */
@AddLifecycleHook(Fuzzing.class)
class FrameParserFuzzTest {
    private static final int MAX_FRAME = 65536;
    private static final int MAX_DEPTH = FrameParser.DEFAULT_MAX_DEPTH;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The reference reader: Jackson's tree model, strict, under the parser's own limits. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_LEADING_DECIMAL_POINT_FOR_NUMBERS)
            .build();

    static {
        STRICT.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_DEPTH)
                .maxDocumentLength(MAX_FRAME)
                .maxStringLength(MAX_FRAME)
                .maxNameLength(1024)
                .maxNumberLength(256)
                .build());
    }

    private final FrameParser parser = new FrameParser(MAX_FRAME, MAX_DEPTH);

    // ---- whatever comes in

    @Property(tries = 300)
    void answersAnyInputWithAFrameAndNeverThrows(@ForAll("anything") byte[] data) {
        ClientFrame f = parser.parse(data.clone());
        assertTyped(f);
    }

    @Property(tries = 300)
    void agreesWithAStrictJsonReaderOnWhatIsAFrame(@ForAll("jsonish") byte[] data) throws Exception {
        ClientFrame f = parser.parse(data.clone());
        assertTyped(f);
        JsonNode tree = strictlyRead(data);
        if (tree == null || !tree.isObject()) {
            assertFalse(f.isValid(), () -> "accepted what is not a JSON object in UTF-8: " + f);
            assertEquals(ErrorCode.BAD_REQUEST, f.error());
            assertNull(f.id(), "no id is echoed for a frame that is not a JSON object");
            return;
        }
        // Duplicate members: the last one counts, as in the tree.
        JsonNode id = tree.get("id");
        JsonNode type = tree.get("type");
        if (id != null && !id.isTextual() && !id.isNumber()) {
            assertEquals(ErrorCode.BAD_REQUEST, f.error(), f::toString);
            assertNull(f.id());
            return;
        }
        if (f.id() == null) {
            assertTrue(id == null || f.error() == ErrorCode.BAD_REQUEST && f.errorMessage().contains("'id'"),
                    () -> "lost the id " + id + ": " + f);
        } else {
            assertEquals(id, JSON.readTree(f.id().toString()), "the echoed id is the JSON value sent");
        }
        if (type == null || !type.isTextual()) {
            assertEquals(ErrorCode.BAD_REQUEST, f.error(), f::toString);
        } else if (FrameType.of(type.textValue()) == null) {
            assertTrue(f.error() == ErrorCode.UNKNOWN_TYPE || f.error() == ErrorCode.BAD_REQUEST, f::toString);
        } else if (f.id() != null || id == null) {
            assertTrue(f.isValid(), f::toString);
            assertEquals(type.textValue(), f.type().wireName());
            for (Field field : EnumSet.of(Field.TOKEN, Field.TO, Field.ROOM)) {
                JsonNode v = tree.get(field.wireName());
                assertEquals(v != null && v.isTextual() ? v.textValue() : null, f.string(field), field::wireName);
                assertEquals(v != null && !v.isTextual(), f.hasWrongType(field), field::wireName);
            }
            JsonNode body = tree.get("body");
            assertEquals(body, f.body() == null ? null : JSON.readTree(f.body().toByteArray()), "body");
        }
    }

    @Property(tries = 100)
    void refusesNestingBeyondTheLimitAndAcceptsItWithin(@ForAll("deep") String json) {
        ClientFrame f = parser.parse(json.getBytes(StandardCharsets.UTF_8));
        assertTyped(f);
        if (f.isValid()) {
            assertTrue(depth(json) <= MAX_DEPTH, () -> "accepted nesting of " + depth(json));
        }
    }

    // ---- valid frames

    @Property(tries = 300)
    void acceptsEveryFrameTheProtocolAllowsWithTheValuesSent(@ForAll("validFrames") ValidFrame v) {
        ClientFrame f = parser.parse(v.json.getBytes(StandardCharsets.UTF_8));
        assertTrue(f.isValid(), () -> f + " for " + v.json);
        assertEquals(v.type, f.type());
        assertEquals(v.id, f.id() == null ? null : f.id().toString(), "id exactly as sent");
        assertEquals(v.strings.get(Field.TOKEN), f.string(Field.TOKEN));
        assertEquals(v.strings.get(Field.TO), f.string(Field.TO));
        assertEquals(v.strings.get(Field.ROOM), f.string(Field.ROOM));
        assertEquals(v.body, f.body() == null ? null : f.body().toString(), "body exactly as sent");
        assertEquals(v.since, f.since());
        assertEquals(v.limit, f.limit());
        assertEquals(v.ephemeral, f.ephemeral());
        for (Field field : Field.values()) {
            assertFalse(f.hasWrongType(field), field::wireName);
        }
    }

    @Property(tries = 300)
    void flagsAWrongTypeForEveryField(@ForAll("wrongTypes") Tuple.Tuple3<Field, String, String> t) {
        Field field = t.get1();
        String json = t.get3();
        ClientFrame f = parser.parse(json.getBytes(StandardCharsets.UTF_8));
        switch (field) {
            case ID:
                assertEquals(ErrorCode.BAD_REQUEST, f.error(), json);
                assertNull(f.id());
                break;
            case TYPE:
                assertEquals(ErrorCode.BAD_REQUEST, f.error(), json);
                assertEquals("7", f.id().toString(), "the id is echoed with the error");
                break;
            default:
                assertTrue(f.isValid(), json);
                assertTrue(f.hasWrongType(field), () -> field + " not flagged in " + json);
                assertNotNull(f.problem(field));
        }
    }

    // ---- regressions (inputs the properties found)

    /** UTF-16 and UTF-32 are not the protocol's encoding; Jackson would detect and read them, without byte offsets. */
    @Example
    void refusesAFrameInUtf16OrUtf32() {
        for (String charset : List.of("UTF-16BE", "UTF-16LE", "UTF-16", "UTF-32BE", "UTF-32LE")) {
            ClientFrame f = parser.parse("{\"type\":\"ping\",\"id\":1}".getBytes(java.nio.charset.Charset.forName(charset)));
            assertEquals(ErrorCode.BAD_REQUEST, f.error(), charset);
            assertNull(f.id(), charset);
        }
        // A UTF-8 byte order mark is still UTF-8: ignored, as RFC 8259 section 8.1 allows.
        ClientFrame bom = parser.parse("\uFEFF{\"type\":\"ping\",\"id\":1}".getBytes(StandardCharsets.UTF_8));
        assertTrue(bom.isValid(), bom::toString);
        assertEquals("1", bom.id().toString());
    }

    // ---- checks

    /** The contract every parse result meets. */
    static void assertTyped(ClientFrame f) {
        assertNotNull(f);
        if (f.isValid()) {
            assertNotNull(f.type());
            assertNull(f.error());
        } else {
            assertTrue(f.error() == ErrorCode.BAD_REQUEST || f.error() == ErrorCode.UNKNOWN_TYPE, f::toString);
            assertNotNull(f.errorMessage());
            assertTrue(f.errorMessage().length() <= 300, () -> "error message of " + f.errorMessage().length());
        }
        if (f.id() != null) {
            assertIsJson(f.id(), true);
        }
        if (f.body() != null) {
            assertIsJson(f.body(), false);
        }
    }

    private static void assertIsJson(RawJson raw, boolean id) {
        byte[] b = raw.toByteArray();
        JsonNode n = strictlyRead(b);
        assertNotNull(n, () -> "a raw value that is not one JSON value: '" + raw + "'");
        if (id) {
            assertTrue(n.isTextual() || n.isNumber(), () -> "id " + raw);
            assertTrue(b.length <= FrameParser.MAX_ID_BYTES);
        }
    }

    /** The document as a strict reader sees it, or {@code null} when it is not JSON in UTF-8. */
    static JsonNode strictlyRead(byte[] data) {
        return JsonGen.strictlyRead(STRICT, data);
    }

    private static int depth(String json) {
        int d = 0;
        int max = 0;
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                max = Math.max(max, ++d);
            } else if (c == '}' || c == ']') {
                d--;
            }
        }
        return max;
    }

    // ---- generators

    @Provide
    Arbitrary<byte[]> anything() {
        return Arbitraries.oneOf(
                JsonGen.bytes(200),
                JsonGen.encodings(JsonGen.nearJson(frames())),
                JsonGen.encodings(JsonGen.value(4)),
                JsonGen.utf8(JsonGen.deep()),
                JsonGen.utf8(frames()));
    }

    @Provide
    Arbitrary<byte[]> jsonish() {
        return Arbitraries.oneOf(
                JsonGen.utf8(frames()),
                JsonGen.utf8(JsonGen.nearJson(frames())),
                JsonGen.utf8(JsonGen.object(JsonGen.value(3))),
                JsonGen.encodings(validFrames().map(v -> v.json)));
    }

    @Provide
    Arbitrary<String> deep() {
        return JsonGen.deep();
    }

    /** Objects of the protocol's shape with values of any type, duplicates included: mostly not valid frames. */
    private static Arbitrary<String> frames() {
        Arbitrary<String> typeValue = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.of(FrameType.values()).map(t -> JsonGen.quote(t.wireName()))),
                Tuple.of(1, JsonGen.value(1)));
        Arbitrary<String> member = Arbitraries.frequencyOf(
                Tuple.of(2, typeValue.map(v -> "\"type\":" + v)),
                Tuple.of(1, Combinators.combine(JsonGen.name(), JsonGen.hugeNumber()).as((n, v) -> n + ":" + v)),
                Tuple.of(4, Combinators.combine(JsonGen.name(), JsonGen.value(2)).as((n, v) -> n + ":" + v)));
        return member.list().ofMaxSize(7).map(m -> "{" + String.join(",", m) + "}");
    }

    /** A valid frame as sent, and what the parser must read from it. */
    static final class ValidFrame {
        final String json;
        final FrameType type;
        final String id;
        final Map<Field, String> strings;
        final String body;
        final Position since;
        final long limit;
        final boolean ephemeral;

        ValidFrame(String json, FrameType type, String id, Map<Field, String> strings, String body, Position since,
                   long limit, boolean ephemeral) {
            this.json = json;
            this.type = type;
            this.id = id;
            this.strings = strings;
            this.body = body;
            this.since = since;
            this.limit = limit;
            this.ephemeral = ephemeral;
        }

        @Override
        public String toString() {
            return json;
        }
    }

    @Provide
    Arbitrary<ValidFrame> validFrames() {
        Arbitrary<String> id = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just((String) null)),
                Tuple.of(2, Arbitraries.integers().between(-5, 1_000_000).map(String::valueOf)),
                Tuple.of(1, Arbitraries.of("0", "-0", "1.5", "1e3", "123456789012345678901234567890")),
                Tuple.of(2, text().map(JsonGen::quote)));
        Arbitrary<String> body = JsonGen.value(3);
        Arbitrary<Position> since = Combinators.combine(
                Arbitraries.strings().alpha().numeric().withChars(":-_").ofMinLength(1).ofMaxLength(64),
                Arbitraries.longs().between(0, Long.MAX_VALUE)).as(Position::new);
        Arbitrary<Long> limit = Arbitraries.longs().between(0, Long.MAX_VALUE);
        Arbitrary<String> unknown = Combinators.combine(
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8)
                        .filter(n -> Field.of(n) == null), JsonGen.value(2)).as((n, v) -> JsonGen.quote(n) + ":" + v);
        return Combinators.combine(Arbitraries.of(FrameType.values()), id, text(), text(), body,
                        since.injectNull(0.6), limit.injectNull(0.6), Arbitraries.of(true, false).injectNull(0.5))
                .flatAs((type, i, s1, s2, b, pos, lim, eph) -> Combinators.combine(
                                unknown.list().ofMaxSize(3), Arbitraries.randoms(), Arbitraries.of(true, false))
                        .as((extra, random, escaped) ->
                                frame(type, i, s1, s2, b, pos, lim, eph, extra, random, escaped)));
    }

    private static ValidFrame frame(FrameType type, String id, String s1, String s2, String body, Position since,
                                    Long limit, Boolean ephemeral, List<String> extra, java.util.Random random,
                                    boolean escaped) {
        List<String> members = new ArrayList<>(extra);
        Map<Field, String> strings = new java.util.EnumMap<>(Field.class);
        String b = null;
        Position pos = null;
        long lim = -1;
        boolean eph = false;
        members.add("\"type\":" + JsonGen.quote(type.wireName()));
        if (id != null) {
            members.add("\"id\":" + id);
        }
        Set<Field> fields = fieldsOf(type);
        for (Field f : fields) {
            switch (f) {
                case TOKEN:
                case ROOM:
                case TO:
                    String s = f == Field.TO ? s2 : s1;
                    strings.put(f, s);
                    members.add(JsonGen.quote(f.wireName()) + ":" + (escaped ? JsonGen.quote(s) : rawQuote(s)));
                    break;
                case BODY:
                    b = body;
                    members.add("\"body\":" + body);
                    break;
                case SINCE:
                    if (since != null) {
                        pos = since;
                        members.add("\"since\":{\"offset\":" + since.offset() + ",\"epoch\":"
                                + JsonGen.quote(since.epoch()) + "}");
                    }
                    break;
                case LIMIT:
                    if (limit != null) {
                        lim = limit;
                        members.add("\"limit\":" + limit);
                    }
                    break;
                case EPHEMERAL:
                    if (ephemeral != null) {
                        eph = ephemeral;
                        members.add("\"ephemeral\":" + ephemeral);
                    }
                    break;
                default:
                    break;
            }
        }
        Collections.shuffle(members, random);
        String sep = random.nextBoolean() ? "," : " ,\n\t";
        return new ValidFrame("{" + String.join(sep, members) + "}", type, id, strings, b, pos, lim, eph);
    }

    private static Set<Field> fieldsOf(FrameType type) {
        switch (type) {
            case AUTH: return EnumSet.of(Field.TOKEN, Field.SINCE);
            case SEND: return EnumSet.of(Field.TO, Field.BODY, Field.EPHEMERAL);
            case JOIN: return EnumSet.of(Field.ROOM, Field.TOKEN, Field.SINCE);
            case LEAVE: return EnumSet.of(Field.ROOM);
            case PUBLISH: return EnumSet.of(Field.ROOM, Field.BODY, Field.EPHEMERAL);
            case PRESENCE: return EnumSet.of(Field.ROOM);
            case REFRESH: return EnumSet.of(Field.TOKEN);
            case HISTORY: return EnumSet.of(Field.ROOM, Field.LIMIT, Field.SINCE);
            default: return EnumSet.noneOf(Field.class);
        }
    }

    /** Any text a client may put in a string field: every plane, escapes, lone surrogates (sent escaped). */
    private static Arbitrary<String> text() {
        return Arbitraries.strings().all().ofMaxLength(40);
    }

    /** {@code s} as a JSON string with its non-ASCII characters sent raw in UTF-8 where they can be. */
    private static String rawQuote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1)))
                    && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || lone) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    @Provide
    Arbitrary<Tuple.Tuple3<Field, String, String>> wrongTypes() {
        // Numbers within the parser's 256-character limit: a longer one makes the whole frame a bad_request.
        Arbitrary<String> number = JsonGen.number().filter(n -> n.length() <= 256);
        Arbitrary<String> notString = Arbitraries.oneOf(number, Arbitraries.of("null", "true", "false"),
                JsonGen.object(JsonGen.scalar()), JsonGen.value(2).filter(v -> !v.startsWith("\"")));
        Arbitrary<String> notStringNotNull = notString.filter(v -> !v.equals("null"));
        Arbitrary<String> notIdType = Arbitraries.oneOf(Arbitraries.of("null", "true", "false", "[]", "{}", "[1]"),
                JsonGen.object(JsonGen.scalar()));
        Arbitrary<String> notSince = Arbitraries.oneOf(number, JsonGen.string(), Arbitraries.of("true", "[]",
                        "{}", "{\"epoch\":\"e\"}", "{\"offset\":1}", "{\"epoch\":1,\"offset\":1}",
                        "{\"epoch\":\"e\",\"offset\":-1}", "{\"epoch\":\"e\",\"offset\":1.0}",
                        "{\"epoch\":\"\",\"offset\":1}", "{\"epoch\":\"e\",\"offset\":99999999999999999999}",
                        "{\"epoch\":\"" + "e".repeat(Position.MAX_EPOCH_LENGTH + 1) + "\",\"offset\":1}"),
                JsonGen.object(JsonGen.scalar()).filter(o -> !o.contains("\"epoch\"") || !o.contains("\"offset\"")));
        Arbitrary<String> notLimit = Arbitraries.oneOf(JsonGen.string(), Arbitraries.of("true", "[]", "{}", "-1",
                "1.0", "1e2", "-0.5", "9223372036854775808", "99999999999999999999999"), JsonGen.object(JsonGen.scalar()));
        Arbitrary<String> notBoolean = Arbitraries.oneOf(number, JsonGen.string(),
                Arbitraries.of("[]", "{}", "[true]", "\"true\"", "1", "0"));
        return Arbitraries.oneOf(
                wrong(Field.ID, notIdType), wrong(Field.TYPE, notString),
                wrong(Field.TOKEN, notString), wrong(Field.TO, notString), wrong(Field.ROOM, notString),
                wrong(Field.SINCE, notSince), wrong(Field.LIMIT, notLimit), wrong(Field.EPHEMERAL, notBoolean))
                .map(t -> t);
    }

    private static Arbitrary<Tuple.Tuple3<Field, String, String>> wrong(Field field, Arbitrary<String> values) {
        return values.map(v -> {
            String json;
            if (field == Field.TYPE) {
                json = "{\"id\":7,\"type\":" + v + "}";
            } else if (field == Field.ID) {
                json = "{\"type\":\"ping\",\"id\":" + v + "}";
            } else {
                json = "{\"type\":\"history\",\"id\":7," + JsonGen.quote(field.wireName()) + ":" + v + "}";
            }
            return Tuple.of(field, v, json);
        });
    }
}
