package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionsTest {
    private static final List<Options.Spec> SPECS = List.of(
            new Options.Spec("rate", "100", "r"),
            new Options.Spec("duration", "30s", "d"),
            new Options.Spec("quiet", "false", "q"),
            new Options.Spec("out", null, "o"));

    @Test
    void parsesValuesWithSuffixesAndBothSpellings() throws Exception {
        Options o = Options.parse(SPECS, List.of("--rate", "50k", "--duration=500ms", "--quiet"));
        assertEquals(50_000, o.decimal("rate", 0));
        assertEquals(Duration.ofMillis(500), o.duration("duration", Duration.ZERO));
        assertTrue(o.flag("quiet"));
        assertEquals(null, o.get("out"));
        assertTrue(o.isGiven("rate"));
        assertEquals(List.of("--rate=50k", "--duration=500ms", "--quiet=true"), o.givenArgs());
        Options d = Options.parse(SPECS, List.of());
        assertEquals(Duration.ofSeconds(30), d.duration("duration", Duration.ZERO));
        assertFalse(d.flag("quiet"));
        assertEquals(Duration.ofMinutes(2), Options.parse(SPECS, List.of("--duration", "2m")).duration("duration", Duration.ZERO));
        assertEquals(1_500_000, Options.parse(SPECS, List.of("--rate", "1.5m")).count("rate", 0, Long.MAX_VALUE));
    }

    @Test
    void namesWhatIsWrong() {
        Options.UsageException e = assertThrows(Options.UsageException.class,
                () -> Options.parse(SPECS, List.of("--rat", "5")));
        assertEquals("unknown option --rat (see --help)", e.getMessage());
        assertThrows(Options.UsageException.class, () -> Options.parse(SPECS, List.of("stray")));
        e = assertThrows(Options.UsageException.class,
                () -> Options.parse(SPECS, List.of("--rate", "fast")).decimal("rate", 0));
        assertTrue(e.getMessage().startsWith("--rate: fast"), e.getMessage());
        e = assertThrows(Options.UsageException.class,
                () -> Options.parse(SPECS, List.of("--duration", "soon")).duration("duration", Duration.ZERO));
        assertTrue(e.getMessage().contains("500ms"), e.getMessage());
        assertThrows(Options.UsageException.class,
                () -> Options.parse(SPECS, List.of("--rate", "2.5")).count("rate", 0, 10));
    }

    @Test
    void targetsNeedAHostAPortAndAKnownScheme() throws Exception {
        Target ws = Target.parse("ws://127.0.0.1:8080/ws", null);
        assertTrue(ws.isWebSocket());
        assertTrue(ws.isLoopback());
        Target tcp = Target.parse("127.0.0.1:9090", "tcp");
        assertEquals("tcp", tcp.transport());
        assertEquals(9090, tcp.port());
        assertEquals("/ws", Target.parse("ws://localhost:1", null).uri().getPath());
        assertThrows(Options.UsageException.class, () -> Target.parse("wss://h:1/ws", null));
        assertThrows(Options.UsageException.class, () -> Target.parse("ws://h/ws", null));
        assertThrows(Options.UsageException.class, () -> Target.parse("tcp://h:1", "ws"));
    }
}
