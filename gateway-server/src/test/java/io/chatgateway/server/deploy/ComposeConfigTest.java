package io.chatgateway.server.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validates docker-compose.yml with Debian's {@code docker-compose} (no Docker engine is needed for
 * {@code config}). A missing binary fails the test with the package to install.
 */
class ComposeConfigTest {
    private static final Path COMPOSE = Paths.get("/usr/bin/docker-compose");
    private static Path file;

    @BeforeAll
    static void find() {
        if (!Files.isExecutable(COMPOSE)) {
            throw new AssertionError("Compose validation needs " + COMPOSE
                    + ". Install it with: apt-get install -y docker-compose");
        }
        file = RepoRoot.find().resolve("docker-compose.yml");
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result compose(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(COMPOSE.toString(), "--project-directory",
                file.getParent().toString(), "-f", file.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(file.getParent().toFile());
        // Only what the test sets: an operator's GATEWAY_* variables must not make the test pass or fail.
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.startsWith("BENCH_")
                || k.startsWith("COMPOSE_") || k.startsWith("DOCKER_"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile("compose-out", ".txt");
        Path err = Files.createTempFile("compose-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("docker-compose " + String.join(" ", args) + " did not finish in 60 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void configIsValidWithASecret() throws Exception {
        Result r = compose(Map.of("GATEWAY_JWT_SECRET", "a-test-secret-that-is-long-enough-0123456789"), "config", "-q");
        assertEquals(0, r.exit(), r.err());
        Result bench = compose(Map.of("GATEWAY_JWT_SECRET", "a-test-secret-that-is-long-enough-0123456789"),
                "--profile", "bench", "config", "-q");
        assertEquals(0, bench.exit(), bench.err());
    }

    @Test
    void refusesToStartWithoutAJwtSecretSoDevelopmentModeCannotHappenByAccident() throws Exception {
        Result r = compose(Map.of(), "config", "-q");
        assertNotEquals(0, r.exit(), "compose must refuse to run without GATEWAY_JWT_SECRET");
        assertTrue(r.err().contains("GATEWAY_JWT_SECRET"), r.err());
        Result empty = compose(Map.of("GATEWAY_JWT_SECRET", ""), "config", "-q");
        assertNotEquals(0, empty.exit(), "an empty secret is no secret");
    }

    @Test
    void theBenchRunsOnlyInItsProfileAgainstTheGateway() throws Exception {
        Result r = compose(Map.of("GATEWAY_JWT_SECRET", "a-test-secret-that-is-long-enough-0123456789"), "config");
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        String bench = service(out, "bench");
        String gateway = service(out, "gateway");
        // (docker-compose 1.29 lists profiled services in `config --services` too, so the profile is read here.)
        assertTrue(bench.matches("(?s).*profiles:\\s+- bench.*"), bench);
        assertFalse(gateway.contains("profiles:"), "the gateway runs without any profile");
        assertTrue(bench.contains("condition: service_healthy"), "the bench waits for a healthy gateway: " + bench);
        assertTrue(bench.contains("/app/gateway-bench.jar") && bench.contains("ws://gateway:8080/ws"), bench);
    }

    @Test
    void theGatewayHasRaisedFileLimitsAHealthCheckAndItsPorts() throws Exception {
        Result r = compose(Map.of("GATEWAY_JWT_SECRET", "s3cret-for-the-test-0123456789abcdef",
                "GATEWAY_ADMIN_TOKEN", "admin-for-the-test"), "config");
        assertEquals(0, r.exit(), r.err());
        String gateway = service(r.out(), "gateway");
        assertTrue(gateway.contains("GATEWAY_JWT_SECRET: s3cret-for-the-test-0123456789abcdef"), gateway);
        assertTrue(gateway.contains("GATEWAY_ADMIN_TOKEN: admin-for-the-test"), gateway);
        assertTrue(gateway.contains("GATEWAY_TRANSPORT: epoll"), "the image must run native epoll: " + gateway);
        assertTrue(gateway.matches("(?s).*nofile:\\s+hard: 1048576\\s+soft: 1048576.*"), gateway);
        assertTrue(gateway.contains("healthcheck:") && gateway.contains("/healthz"), gateway);
        assertTrue(gateway.contains("target: 8080") && gateway.contains("target: 9090"), gateway);
        assertTrue(gateway.contains("stop_grace_period: 30s"), gateway);
    }

    @Test
    void theClusterNodesExpectThePROXYHeaderThatHaproxySendsThem() throws Exception {
        Result r = compose(Map.of("GATEWAY_JWT_SECRET", "a-test-secret-that-is-long-enough-0123456789"),
                "--profile", "cluster", "config");
        assertEquals(0, r.exit(), r.err());
        for (String node : List.of("gateway-1", "gateway-2", "gateway-3")) {
            String block = service(r.out(), node);
            assertTrue(block.matches("(?s).*GATEWAY_PROXY_PROTOCOL: ['\"]?on['\"]?\\n.*"), block);
        }
        assertFalse(service(r.out(), "gateway").contains("GATEWAY_PROXY_PROTOCOL"),
                "the single node is reached directly: no proxy, no header");
        String haproxy = Files.readString(RepoRoot.find().resolve("deploy/haproxy/haproxy.cfg"));
        java.util.regex.Matcher d = java.util.regex.Pattern.compile("(?m)^\\s*default-server (.*)$").matcher(haproxy);
        assertTrue(d.find(), haproxy);
        assertTrue(d.group(1).contains("send-proxy-v2") && d.group(1).contains("check-send-proxy"),
                "every server, and its health checks, get the header: " + d.group(1));
    }

    /** One service's block of `docker-compose config` output: from its name to the next service (or section). */
    static String service(String config, String name) {
        int start = config.indexOf("\n  " + name + ":\n");
        assertTrue(start >= 0, "no service " + name + " in:\n" + config);
        java.util.regex.Matcher next = java.util.regex.Pattern.compile("\n(  )?[A-Za-z0-9_-]+:\n")
                .matcher(config);
        int end = next.find(start + 1) ? next.start() : config.length();
        return config.substring(start, end);
    }
}
