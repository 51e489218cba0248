package io.chatgateway.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JWT header or claims set into plain Java values ({@code Map}, {@code List}, {@code String},
 * {@code Boolean}, {@code Number}, {@link #NULL}), refusing what a lenient reader would quietly accept: a member name
 * that appears twice in one object (which of the two would a library keep?), trailing content, deep nesting, and
 * any encoding but UTF-8 (RFC 7515 section 5.2).
 */
final class StrictJson {
    /** JSON {@code null} as a value, so that a member set to null is told apart from a missing one. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };
    /** Deepest nesting accepted; no claim the gateway reads is nested at all. */
    static final int MAX_DEPTH = 16;

    // STRICT_DUPLICATE_DETECTION as a second guard; read() also checks, to say which object had the duplicate.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Why a document was refused. */
    static final class Problem extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean duplicate;

        Problem(String message, boolean duplicate) {
            super(message, null, false, false);
            this.duplicate = duplicate;
        }
    }

    private StrictJson() {
    }

    /** Parses one JSON object from UTF-8 bytes. */
    static Map<String, Object> readObject(byte[] utf8) throws Problem {
        String text;
        try {
            // Decoded here, not by Jackson: given bytes, it guesses UTF-16 or UTF-32 from zero bytes and reads those too.
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Problem("not UTF-8", false);
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Problem("not a JSON object", false);
            }
            Map<String, Object> object = readObject(p, 1);
            if (p.nextToken() != null) {
                throw new Problem("content after the JSON object", false);
            }
            return object;
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            boolean duplicate = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field");
            throw new Problem(duplicate ? "duplicate member name" : "malformed JSON", duplicate);
        } catch (IOException e) {
            throw new Problem("malformed JSON", false);
        }
    }

    private static Map<String, Object> readObject(JsonParser p, int depth) throws IOException, Problem {
        Map<String, Object> out = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            p.nextToken();
            Object value = readValue(p, depth);
            if (out.putIfAbsent(name, value) != null) {
                throw new Problem("duplicate member name", true);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static Object readValue(JsonParser p, int depth) throws IOException, Problem {
        switch (p.currentToken()) {
            case START_OBJECT:
                return readObject(p, deeper(depth));
            case START_ARRAY: {
                int d = deeper(depth);
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(readValue(p, d));
                }
                return Collections.unmodifiableList(list);
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return p.getNumberValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return NULL;
            default:
                throw new Problem("malformed JSON", false);
        }
    }

    private static int deeper(int depth) throws Problem {
        if (depth >= MAX_DEPTH) {
            throw new Problem("nested deeper than " + MAX_DEPTH, false);
        }
        return depth + 1;
    }
}
