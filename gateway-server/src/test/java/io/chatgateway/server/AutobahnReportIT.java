package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the report of the Autobahn|Testsuite run that comes before it in {@code verify} (gateway-server's pom) and
 * fails on any case whose behaviour or close behaviour failed. The plugin itself fails the build on the first only:
 * a case that echoes correctly but closes with the wrong code (the double close of issue 13) passes there.
 */
class AutobahnReportIT {
    /** What RFC 6455 allows: NON-STRICT (failing late, e.g. on a chopped frame) and INFORMATIONAL cases pass. */
    private static final Set<String> PASSING = Set.of("OK", "NON-STRICT", "INFORMATIONAL");

    @Test
    void everyCaseBehavesAndClosesAsRfc6455Requires() throws IOException {
        Path index = Path.of(System.getProperty("autobahn.reports", "target/autobahntestsuite-reports"))
                .resolve("index.json");
        assertTrue(Files.isRegularFile(index), "no Autobahn report at " + index.toAbsolutePath());
        JsonNode agents = new ObjectMapper().readTree(index.toFile());
        assertEquals(1, agents.size(), "one agent in " + index);
        JsonNode cases = agents.elements().next();

        Map<String, Integer> behaviors = new TreeMap<>();
        Map<String, Integer> closes = new TreeMap<>();
        Set<String> groups = new TreeSet<>();
        List<String> failed = new ArrayList<>();
        List<String> notStrictlyOk = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> c = it.next();
            String behavior = c.getValue().path("behavior").asText();
            String close = c.getValue().path("behaviorClose").asText();
            behaviors.merge(behavior, 1, Integer::sum);
            closes.merge(close, 1, Integer::sum);
            groups.add(c.getKey().substring(0, c.getKey().indexOf('.')));
            String line = c.getKey() + " " + behavior + "/" + close + " (close code "
                    + c.getValue().path("remoteCloseCode").asText() + ")";
            if (!PASSING.contains(behavior) || !PASSING.contains(close)) {
                failed.add(line);
            } else if (!"OK".equals(behavior) || !"OK".equals(close)) {
                notStrictlyOk.add(line);
            }
        }
        System.out.println("Autobahn|Testsuite: " + cases.size() + " cases; behavior " + behaviors + "; close "
                + closes + "; not strictly OK: " + notStrictlyOk);
        assertEquals(expectedGroups(), groups, "the case groups that ran, by autobahn.cases");
        assertTrue(failed.isEmpty(), () -> failed.size() + " failed cases (see " + index.getParent()
                + "/index.html):\n" + String.join("\n", failed));
    }

    /** The groups that {@code autobahn.cases} asks for ({@code 1.*,2.*}: 1 and 2), as the pom passes it on. */
    private static Set<String> expectedGroups() {
        Set<String> groups = new TreeSet<>();
        for (String pattern : System.getProperty("autobahn.cases", "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*").split(",")) {
            groups.add(pattern.trim().split("\\.")[0]);
        }
        return groups;
    }
}
