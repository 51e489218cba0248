package io.chatgateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Generators of JSON text for the fuzz properties: valid JSON of every shape (deep nesting, huge numbers, duplicate
 * member names, every kind of string escape, lone surrogates), near-JSON (valid JSON with one mutation), and the
 * same text in the wrong encoding. Each generator is text; {@link #utf8(Arbitrary)} and {@link #encodings} make bytes.
 */
public final class JsonGen {
    /** Member names the client frame parser reads, so that generated objects hit them often. */
    public static final List<String> FIELD_NAMES =
            List.of("type", "id", "token", "to", "room", "body", "since", "limit", "ephemeral", "epoch", "offset");

    private static final int MAX_DEPTH = 5;
    @SuppressWarnings("unchecked")
    private static final Arbitrary<String>[] VALUES = new Arbitrary[MAX_DEPTH + 1];

    private JsonGen() {
    }

    /** Any JSON value, nested up to {@code depth} (at most {@value #MAX_DEPTH}) levels. */
    public static synchronized Arbitrary<String> value(int depth) {
        int d = Math.min(depth, MAX_DEPTH);
        if (VALUES[d] == null) {
            VALUES[d] = d == 0 ? scalar() : Arbitraries.frequencyOf(
                    Tuple.of(4, scalar()),
                    Tuple.of(1, array(value(d - 1))),
                    Tuple.of(2, object(value(d - 1))));
        }
        return VALUES[d];
    }

    /** A JSON object whose members are {@code values}; names repeat and are often the protocol's own. */
    public static Arbitrary<String> object(Arbitrary<String> values) {
        Arbitrary<String> member = Combinators.combine(name(), whitespace(), values, whitespace())
                .as((n, w1, v, w2) -> n + w1 + ":" + w2 + v);
        return member.list().ofMaxSize(8).map(m -> "{" + String.join(",", m) + "}");
    }

    static Arbitrary<String> array(Arbitrary<String> values) {
        return values.list().ofMaxSize(6).map(v -> "[" + String.join(", ", v) + "]");
    }

    /**
     * A member name as JSON text: mostly the protocol's fields, sometimes any string without a lone surrogate (Jackson
     * refuses an unpaired surrogate escape in a name as malformed, so valid documents leave them to values; near-JSON
     * puts them anywhere).
     */
    public static Arbitrary<String> name() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(FIELD_NAMES).map(JsonGen::quote)),
                Tuple.of(1, string(false)));
    }

    /** Scalars: null, booleans, numbers of every form and size, strings of every kind. */
    public static Arbitrary<String> scalar() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of("null", "true", "false")),
                Tuple.of(3, number()),
                Tuple.of(4, string()));
    }

    /**
     * JSON numbers within the gateway's limit of 256 characters: small, at the edges of long, a hundred digits,
     * fractions, exponents far out of double's range.
     */
    public static Arbitrary<String> number() {
        Arbitrary<String> digits = digits(1, 100);
        return Arbitraries.oneOf(
                Arbitraries.integers().between(-3, 300).map(String::valueOf),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.of("9223372036854775807", "9223372036854775808", "-9223372036854775808",
                        "-9223372036854775809", "-0", "0.0", "1e309", "-1e309", "1E-400", "1e999999999", "0e0",
                        "1.5", "-2.25e+3", "4294967296", "18446744073709551616"),
                Combinators.combine(Arbitraries.of("", "-"), digits).as((sign, d) -> sign + d),
                Combinators.combine(digits, digits, Arbitraries.integers().between(-99999, 99999))
                        .as((i, f, e) -> i + "." + f + "e" + e));
    }

    /** Numbers longer than the gateway's limit of 256 characters. */
    public static Arbitrary<String> hugeNumber() {
        return Arbitraries.oneOf(digits(257, 2000), Combinators.combine(digits(1, 200), digits(100, 300))
                .as((i, f) -> i + "." + f));
    }

    private static Arbitrary<String> digits(int min, int max) {
        return Arbitraries.strings().numeric().ofMinLength(min).ofMaxLength(max)
                .map(s -> s.length() > 1 && s.charAt(0) == '0' ? "1" + s.substring(1) : s);
    }

    /** A JSON string literal: plain, escaped, non-ASCII, surrogate pairs, lone surrogates as {@code \\u} escapes. */
    public static Arbitrary<String> string() {
        return string(true);
    }

    private static Arbitrary<String> string(boolean loneSurrogates) {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.strings().alpha().numeric().ofMaxLength(12)),
                Tuple.of(2, Arbitraries.of("\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000",
                        "\\u001f", "\\u00e9", "\\u202e", "\\u200b", "\\ufeff", "\\uffff")),
                Tuple.of(2, loneSurrogates ? Arbitraries.of("\\ud800", "\\udbff", "\\udc00", "\\udfff",
                        "\\ude00\\ud83d") : Arbitraries.of("\\u00e9\\u0301")),
                Tuple.of(1, Arbitraries.of("\\ud83d\\ude00", "\\uD83D\\uDE00")),
                Tuple.of(2, Arbitraries.strings().withCharRange('\u00a0', '\ud7ff').ofMaxLength(4)),
                Tuple.of(1, Arbitraries.of("\uD83D\uDE00", "\u202e", "\u2028",
                        "\u00ad", "\u3164", "e\u0301")),
                Tuple.of(1, Arbitraries.integers().between(0, 0xffff)
                        .filter(c -> loneSurrogates || !Character.isSurrogate((char) c.intValue()))
                        .map(c -> String.format("\\u%04x", c))),
                Tuple.of(1, Arbitraries.strings().ofLength(1).withCharRange(' ', '~')
                        .filter(s -> !s.equals("\"") && !s.equals("\\"))));
        return piece.list().ofMaxSize(6).map(p -> "\"" + String.join("", p) + "\"");
    }

    static Arbitrary<String> whitespace() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just("")),
                Tuple.of(1, Arbitraries.strings().withChars(' ', '\t', '\n', '\r').ofMaxLength(3)));
    }

    /** Arrays and objects nested far beyond any limit, and just around the parser's default of 32. */
    public static Arbitrary<String> deep() {
        Arbitrary<Integer> depth = Arbitraries.oneOf(
                Arbitraries.integers().between(28, 36), Arbitraries.integers().between(1, 5000));
        return Combinators.combine(depth, Arbitraries.of("[", "{\"body\":", "{\"a\":["), Arbitraries.of(true, false))
                .as((n, open, closed) -> {
                    String close = open.equals("[") ? "]" : open.equals("{\"body\":") ? "}" : "]}";
                    String inner = open.repeat(n) + "1" + (closed ? close.repeat(n) : "");
                    return "{\"type\":\"publish\",\"room\":\"r\",\"body\":" + inner + "}";
                });
    }

    /** Valid JSON with one mutation: cut, a byte dropped or doubled, or a structural character put in. */
    public static Arbitrary<String> nearJson(Arbitrary<String> json) {
        return json.flatMap(s -> {
            if (s.isEmpty()) {
                return Arbitraries.just(s);
            }
            Arbitrary<Integer> at = Arbitraries.integers().between(0, s.length() - 1);
            Arbitrary<String> insert = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"", "\\", " ", "\\u", "\\ud800",
                    "/*", "//", "'", "NaN", "Infinity", "00", "-", ".", "e", "\u0000", "\u0001", "\u007f", "\n");
            return Arbitraries.oneOf(
                    at.map(i -> s.substring(0, i)),
                    at.map(i -> s.substring(0, i) + s.substring(i + 1)),
                    at.map(i -> s.substring(0, i + 1) + s.substring(i)),
                    Combinators.combine(at, insert).as((i, c) -> s.substring(0, i) + c + s.substring(i)),
                    Combinators.combine(at, insert).as((i, c) -> s.substring(0, i) + c + s.substring(i + 1)),
                    Arbitraries.of(s + s, s + " x", s + "}", "[" + s + "]", " " + s + " \n"));
        });
    }

    /** UTF-8 bytes of the text. Unpaired surrogates in the text become '?' (Java's encoder). */
    public static Arbitrary<byte[]> utf8(Arbitrary<String> text) {
        return text.map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    /** The text's bytes in UTF-8 (most often) or another Unicode encoding, which the protocol does not allow. */
    public static Arbitrary<byte[]> encodings(Arbitrary<String> text) {
        Arbitrary<Charset> charset = Arbitraries.frequency(
                Tuple.of(4, StandardCharsets.UTF_8),
                Tuple.of(1, StandardCharsets.UTF_16BE),
                Tuple.of(1, StandardCharsets.UTF_16LE),
                Tuple.of(1, StandardCharsets.UTF_16),
                Tuple.of(1, Charset.forName("UTF-32BE")),
                Tuple.of(1, Charset.forName("UTF-32LE")));
        return Combinators.combine(text, charset).as((s, c) -> s.getBytes(c));
    }

    /** Random bytes, biased towards the bytes JSON and UTF-8 care about. */
    public static Arbitrary<byte[]> bytes(int maxSize) {
        Arbitrary<Byte> b = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.bytes()),
                Tuple.of(3, Arbitraries.of("{}[]:,\"\\ 0123456789-+.eEtrufalsn".chars()
                        .mapToObj(c -> (byte) c).collect(Collectors.toList()))),
                Tuple.of(1, Arbitraries.of((byte) 0x00, (byte) 0xc0, (byte) 0xc3, (byte) 0xe2, (byte) 0xed,
                        (byte) 0xef, (byte) 0xf0, (byte) 0xf4, (byte) 0xf8, (byte) 0xfe, (byte) 0xff, (byte) 0x80,
                        (byte) 0xbf)));
        return b.list().ofMaxSize(maxSize).map(list -> {
            byte[] out = new byte[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = list.get(i);
            }
            return out;
        });
    }

    /** {@code s} as a JSON string literal (Jackson's escaping rules, ASCII only out). */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * The document as {@code reader} sees it, or {@code null} when it is not JSON in UTF-8: decoded as strict UTF-8
     * first (a leading byte-order mark dropped), because Jackson given bytes would guess at UTF-16 and UTF-32 by
     * itself. The reference the fuzz properties hold the gateway's parsers to.
     */
    public static JsonNode strictlyRead(ObjectMapper reader, byte[] data) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try {
            JsonNode n = reader.readTree(text);
            return n == null || n.isMissingNode() ? null : n;
        } catch (Exception e) {
            return null;
        }
    }
}
