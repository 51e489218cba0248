package io.chatgateway.server.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatgateway.GatewayStatistics;

import java.io.IOException;

/** A node's statistics as it stores them in Redis: {@code {"at": epochMillis, "stats": {...}}}. */
final class StatisticsJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private StatisticsJson() {
    }

    /** The stored form. */
    record Stamped(long at, GatewayStatistics stats) {
    }

    static byte[] write(long atMillis, GatewayStatistics stats) {
        try {
            return JSON.writeValueAsBytes(new Stamped(atMillis, stats));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("statistics are not serialisable", e);
        }
    }

    /** @return {@code null} when {@code json} is empty or not readable (a node that has not written yet) */
    static Stamped read(byte[] json) {
        if (json == null || json.length == 0) {
            return null;
        }
        try {
            return JSON.readValue(json, Stamped.class);
        } catch (IOException e) {
            return null;
        }
    }
}
