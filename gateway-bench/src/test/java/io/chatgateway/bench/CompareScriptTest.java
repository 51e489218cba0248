package io.chatgateway.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * gateway-bench/compare.sh, tiny: the gateway (through bin/gateway), the Node ws server and the socket.io server
 * each take a capacity run of 20 clients, and the table has a passing row for each. Skipped, saying why, where the
 * peers cannot run: no Node.js, or {@code npm ci} could not fetch their dependencies (offline).
 */
class CompareScriptTest {
    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("gateway-bench/compare.sh"))) {
                return p;
            }
        }
        throw new AssertionError("repository root not found");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void runsTheSameCapacityScenarioAgainstTheGatewayAndBothPeers() throws Exception {
        Path root = root();
        assumeTrue(Files.isRegularFile(root.resolve("gateway-server/target/gateway-server.jar")),
                "gateway-server.jar is not built (the reactor builds it before these tests)");
        assumeTrue(new ProcessBuilder("node", "--version").start().waitFor() == 0, "no node on PATH");
        Path out = Files.createTempDirectory("compare-smoke");
        int base = 20000 + (int) (ProcessHandle.current().pid() % 2000) * 4;
        ProcessBuilder pb = new ProcessBuilder(List.of("bash", root.resolve("gateway-bench/compare.sh").toString(),
                "--start", "10", "--step", "10", "--max", "20", "--publishers", "2", "--samples", "3",
                "--interval", "100ms", "--connections-per-user", "10", "--warmup-rounds", "0", "--limit", "10s",
                "--out", out.toString()))
                .redirectErrorStream(true).redirectOutput(out.resolve("compare.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_"));
        pb.environment().put("COMPARE_BASE_PORT", Integer.toString(base));
        pb.environment().put("COMPARE_TIME_LIMIT", "60");
        pb.environment().put("BENCH_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("BENCH_JVM_OPTS", "-Xmx256m");
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        Process p = pb.start();
        assertTrue(p.waitFor(220, TimeUnit.SECONDS), "compare.sh did not finish");
        String text = Files.readString(out.resolve("compare.txt"));
        assumeTrue(p.exitValue() != 4, () -> "npm ci could not install the peers' dependencies: " + text);
        assertEquals(0, p.exitValue(), text);
        for (String server : List.of("gateway", "ws", "socketio")) {
            String row = text.lines().filter(l -> l.startsWith("| " + server + " |")).findFirst().orElse("");
            assertTrue(row.startsWith("| " + server + " | 20 |") && row.endsWith("| passed |"), () -> server + ": " + text);
            assertTrue(Files.isRegularFile(out.resolve(server).resolve("server.json")), server);
        }
        assertTrue(Files.readString(out.resolve("gateway/server.log")).contains("Transport: "),
                "the gateway's own log, from bin/gateway");
    }
}
