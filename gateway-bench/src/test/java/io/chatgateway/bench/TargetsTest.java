package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --target} with several gateway nodes, and where the JWT secret comes from. */
class TargetsTest {

    private static Settings settings(Map<String, String> env, String... args) throws Exception {
        Options o = Options.parse(Scenario.byName("direct").specs(), List.of(args));
        return Settings.from(o, 100, env);
    }

    @Test
    void aListOfTargetsIsUsedRoundRobinSoThatPartnersAreOnDifferentNodes() throws Exception {
        List<Target> targets = Target.parseList("ws://127.0.0.1:8081/ws,ws://127.0.0.1:8082/ws, 127.0.0.1:8083", null);
        assertEquals(List.of(8081, 8082, 8083), targets.stream().map(Target::port).toList());
        assertEquals("/ws", targets.get(2).uri().getPath(), "a bare host:port is a WebSocket target with the default path");
        assertEquals(8081, Target.of(targets, 0).port());
        assertEquals(8082, Target.of(targets, 1).port());
        assertEquals(8083, Target.of(targets, 2).port());
        assertEquals(8081, Target.of(targets, 3).port());
        for (int n = 2; n <= 3; n++) {
            List<Target> some = targets.subList(0, n);
            for (int i = 0; i < 1000; i += 2) {
                // Direct partners are 2k and 2k+1.
                assertNotEquals(Target.of(some, i), Target.of(some, i ^ 1), "pair " + i + " with " + n + " targets");
            }
        }
        assertEquals(List.of(Target.parse("tcp://h:1", null)), Target.parseList("tcp://h:1", null), "one target");
    }

    @Test
    void aListMustBeOneTransportWithoutEmptyEntries() {
        assertThrows(Options.UsageException.class, () -> Target.parseList("ws://h:1/ws,tcp://h:2", null));
        assertThrows(Options.UsageException.class, () -> Target.parseList("ws://h:1/ws,,ws://h:2/ws", null));
        assertThrows(Options.UsageException.class, () -> Target.parseList("tcp://h:1,tcp://h:2", "ws"));
    }

    @Test
    void settingsKeepEveryTargetAndCheckPortsPerTarget() throws Exception {
        Settings s = settings(Map.of(), "--target", "ws://127.0.0.1:1/ws,ws://127.0.0.1:2/ws");
        assertEquals(2, s.targets().size());
        assertEquals(1, s.target().port(), "the first one is the target of single-target code");
        assertEquals("ws://127.0.0.1:1/ws,ws://127.0.0.1:2/ws", s.targetList());
    }

    @Test
    void theJwtSecretDefaultsToTheGatewaysEnvironmentVariable() throws Exception {
        assertEquals("from-env", settings(Map.of("GATEWAY_JWT_SECRET", "from-env")).jwtSecret());
        assertEquals("from-flag", settings(Map.of("GATEWAY_JWT_SECRET", "from-env"), "--jwt-secret", "from-flag")
                .jwtSecret(), "the flag wins");
        assertNull(settings(Map.of()).jwtSecret(), "neither: development-mode tokens");
        assertNull(settings(Map.of("GATEWAY_JWT_SECRET", "")).jwtSecret(), "an empty variable is unset");
        assertTrue(Scenario.common("1", "1", "1s", "1").stream()
                .anyMatch(spec -> spec.name().equals("jwt-secret") && spec.help().contains("GATEWAY_JWT_SECRET")),
                "--help says so");
    }
}
