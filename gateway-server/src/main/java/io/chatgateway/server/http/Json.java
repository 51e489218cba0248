package io.chatgateway.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * JSON for the HTTP surface: one mapper for answers and a strict one, built per server, for request bodies
 * (duplicate keys, trailing tokens and nesting deeper than the protocol allows are refused).
 */
final class Json {
    private static final ObjectMapper WRITER = new ObjectMapper();

    private final ObjectMapper reader;

    /** @param maxDepth deepest nesting accepted in a request body (the protocol's limit for frames) */
    Json(int maxDepth) {
        JsonFactory factory = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).build())
                .build();
        this.reader = JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    /** Parses a request body; a problem is a 400 with Jackson's explanation of where the JSON went wrong. */
    JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw HttpProblem.badRequest("request body is empty (expected: a JSON object)");
        }
        try (JsonParser p = reader.getFactory().createParser(body)) {
            JsonNode node = reader.readTree(p);
            if (node == null) {
                throw HttpProblem.badRequest("request body is empty (expected: a JSON object)");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw HttpProblem.badRequest("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw HttpProblem.badRequest("request body cannot be read: " + e.getMessage());
        }
    }

    /** A JSON value as compact text. */
    static String text(JsonNode node) {
        try {
            return WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that cannot be written", e);
        }
    }

    static ObjectNode object() {
        return WRITER.createObjectNode();
    }

    static byte[] bytes(JsonNode node) {
        try {
            return WRITER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree that cannot be written", e);
        }
    }
}
