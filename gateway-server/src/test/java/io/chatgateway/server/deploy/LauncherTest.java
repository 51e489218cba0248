package io.chatgateway.server.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/gateway, run with a stand-in {@code java} that prints what it was given: the measured defaults, then
 * JAVA_OPTS, then {@code -jar} and the gateway's own arguments untouched; JVM_OPTS replaces the defaults; the jar is
 * found beside the script or through GATEWAY_JAR, and a missing one is named; the JVM running the tests accepts the
 * defaults and applies them.
 */
@Timeout(60)
class LauncherTest {
    private static Path launcher;
    private static Path fakeJava;
    private static Path jar;

    @BeforeAll
    static void setUp() throws IOException {
        launcher = RepoRoot.find().resolve("bin/gateway");
        Path dir = Files.createTempDirectory("launcher");
        fakeJava = dir.resolve("java");
        Files.writeString(fakeJava, "#!/usr/bin/env bash\necho \"MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX\"\n"
                + "for a in \"$@\"; do echo \"arg:$a\"; done\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = dir.resolve("gateway-server.jar");
        Files.writeString(jar, "");
    }

    private static List<String> run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.equals("JAVA_OPTS") || k.equals("JVM_OPTS")
                || k.equals("MALLOC_ARENA_MAX") || k.equals("GATEWAY_JAR"));
        pb.environment().put("JAVA", fakeJava.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        List<String> lines = new ArrayList<>(out.lines().toList());
        lines.add("exit:" + p.exitValue());
        return lines;
    }

    /** What the stand-in java was given, in order. */
    private static List<String> argsGiven(List<String> out) {
        return out.stream().filter(l -> l.startsWith("arg:")).map(l -> l.substring(4)).toList();
    }

    @Test
    void startsTheJarWithTheMeasuredDefaultsThenJavaOptsThenTheGatewaysArguments() throws Exception {
        List<String> out = run(Map.of("GATEWAY_JAR", jar.toString(), "JAVA_OPTS", "-Xmx8g -Dx=1"),
                "--http-port", "8081", "--help");
        assertEquals("MALLOC_ARENA_MAX=2", out.get(0));
        List<String> args = argsGiven(out);
        assertEquals("-XX:+UseG1GC", args.get(0), out::toString);
        int xmx = args.indexOf("-Xmx8g");
        int jarAt = args.indexOf("-jar");
        assertTrue(args.contains("-XX:+ExitOnOutOfMemoryError") && args.contains("-XX:G1PeriodicGCInterval=30000"),
                args::toString);
        assertTrue(xmx > args.indexOf("-XX:MaxRAMPercentage=50") && args.indexOf("-Dx=1") == xmx + 1 && jarAt > xmx,
                "JAVA_OPTS after the defaults, so that they win: " + args);
        assertEquals(List.of(jar.toString(), "--http-port", "8081", "--help"), args.subList(jarAt + 1, args.size()));
        assertEquals("exit:0", out.get(out.size() - 1));
    }

    @Test
    void theRealJvmAcceptsTheDefaultsAndAppliesTheHeapSizingOnes() throws Exception {
        List<String> out = run(Map.of("GATEWAY_JAR", jar.toString()));
        List<String> args = argsGiven(out);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(args.subList(0, args.indexOf("-jar")));
        cmd.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String flags = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> cmd + "\n" + flags);
        // An experimental flag without its unlock, or a misspelt one, stops the JVM above; these say each one took.
        for (String[] flag : new String[][] {{"G1ExpandByPercentOfAvailable", "0"}, {"G1HeapRegionSize", "1048576"},
                {"MinHeapFreeRatio", "30"}, {"MaxHeapFreeRatio", "50"}, {"SurvivorRatio", "2"},
                {"G1ConcRefinementThreads", "0"}, {"UseG1GC", "true"}}) {
            assertTrue(flags.lines().anyMatch(l -> l.matches("\\s*\\S+\\s+" + flag[0] + "\\s+=\\s+" + flag[1] + "\\s.*")),
                    () -> flag[0] + " = " + flag[1] + " expected in\n" + flags);
        }
    }

    @Test
    void jvmOptsReplacesTheDefaultsAndMallocArenaMaxCanBeSet() throws Exception {
        List<String> out = run(Map.of("GATEWAY_JAR", jar.toString(), "JVM_OPTS", "-XX:+UseSerialGC -Xmx64m",
                "MALLOC_ARENA_MAX", "4"));
        assertEquals(List.of("MALLOC_ARENA_MAX=4", "arg:-XX:+UseSerialGC", "arg:-Xmx64m", "arg:-jar",
                "arg:" + jar, "exit:0"), out);
    }

    @Test
    void namesTheMissingJar() throws Exception {
        List<String> out = run(Map.of("GATEWAY_JAR", jar.resolveSibling("nope.jar").toString()));
        assertTrue(out.get(0).startsWith("gateway: no gateway-server.jar"), out::toString);
        assertEquals("exit:2", out.get(out.size() - 1));
    }
}
