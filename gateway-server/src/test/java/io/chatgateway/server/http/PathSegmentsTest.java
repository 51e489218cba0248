package io.chatgateway.server.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PathSegmentsTest {

    @Test
    void splitsBeforeDecodingSoThatEncodedSlashesStayInTheirSegment() {
        assertEquals(List.of("users", "a/b", "messages"), PathSegments.after("/api/users/a%2Fb/messages", "/api/"));
    }

    @Test
    void keepsPlusAsPlusAndDecodesUtf8() {
        assertEquals(List.of("a+b c", "é"), PathSegments.after("/api/a+b%20c/%C3%A9", "/api/"));
    }

    @Test
    void ignoresOneTrailingSlashAndGivesNothingForThePrefixAlone() {
        assertEquals(List.of("stats"), PathSegments.after("/api/stats/", "/api/"));
        assertEquals(List.of(), PathSegments.after("/api/", "/api/"));
        assertEquals(List.of("users", ""), PathSegments.after("/api/users//", "/api/"));
    }

    @Test
    void refusesBadEscapesAndInvalidUtf8() {
        for (String bad : new String[] {"/api/%", "/api/%4", "/api/%zz", "/api/%C3%28", "/api/%FF", "/api/x%C3"}) {
            HttpProblem p = assertThrows(HttpProblem.class, () -> PathSegments.after(bad, "/api/"), bad);
            assertEquals(400, p.status().code());
        }
    }
}
