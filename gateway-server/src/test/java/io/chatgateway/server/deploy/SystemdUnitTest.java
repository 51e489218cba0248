package io.chatgateway.server.deploy;

import io.chatgateway.server.config.ConfigLoader;
import io.chatgateway.server.config.Setting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/systemd/chat-gateway.service passes {@code systemd-analyze verify} without a word, scores "OK" in
 * {@code systemd-analyze security --offline}, and its environment file is a configuration the gateway accepts.
 *
 * <p>{@code verify} insists that ExecStart's program exists, and the unit names Debian's {@code /usr/bin/java},
 * which a machine with another JDK lacks; so the test checks a copy in a temporary directory whose only change is
 * ExecStart's program: the {@code java} of the JVM running this test. {@code verify} reports a bad value
 * ("Failed to parse ..., ignoring") or an unknown key with exit status 0, so any output counts as a failure.
 */
@Timeout(60)
class SystemdUnitTest {
    private static final Path ANALYZE = Paths.get("/usr/bin/systemd-analyze");
    private static final String DEBIAN_JAVA = "/usr/bin/java";
    private static Path unit;
    private static Path envExample;

    @BeforeAll
    static void find() {
        if (!Files.isExecutable(ANALYZE)) {
            throw new AssertionError("The systemd unit checks need " + ANALYZE
                    + ". Install it with: apt-get install -y systemd");
        }
        Path dir = RepoRoot.find().resolve("deploy/systemd");
        unit = dir.resolve("chat-gateway.service");
        envExample = dir.resolve("chat-gateway.env.example");
    }

    private record Result(int exit, String output) {
    }

    private static Result analyze(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ANALYZE.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "analyze", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().put("SYSTEMD_COLORS", "0");
        pb.environment().put("SYSTEMD_PAGER", "cat");
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("systemd-analyze " + String.join(" ", args) + " did not finish in 30 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    /** The unit, copied into {@code dir} with {@code edit} applied and ExecStart's java made one that exists here. */
    private static Path copy(Path dir, String text) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        assertTrue(text.contains("ExecStart=" + DEBIAN_JAVA + " "), "ExecStart runs " + DEBIAN_JAVA);
        Path copy = dir.resolve("chat-gateway.service");
        Files.writeString(copy, text.replace("ExecStart=" + DEBIAN_JAVA + " ", "ExecStart=" + java + " "));
        return copy;
    }

    private static String unitText() throws IOException {
        return Files.readString(unit, StandardCharsets.UTF_8);
    }

    private static void assertVerifies(Result r) {
        assertEquals(0, r.exit(), r.output());
        assertEquals("", r.output().strip(), "systemd-analyze verify must have nothing to say");
    }

    @Test
    void verifiesWithoutAWord(@TempDir Path dir) throws Exception {
        assertVerifies(analyze(dir, "verify", copy(dir, unitText()).toString()));
    }

    @Test
    void aWrongValueOrKeyFailsTheCheck(@TempDir Path dir) throws Exception {
        String text = unitText();
        for (String[] edit : new String[][] {
                {"Restart=on-failure", "Restart=sometimes"},
                {"LimitNOFILE=1048576", "LimitNOFILE=lots"},
                {"ProtectSystem=strict", "ProtectSytem=strict"}}) {
            String broken = text.replace(edit[0], edit[1]);
            assertNotEquals(text, broken, edit[0]);
            Result r = analyze(dir, "verify", copy(dir, broken).toString());
            assertNotEquals("", r.output().strip(), "verify must object to " + edit[1]);
        }
        Result missing = analyze(dir, "verify", dir.resolve("nothing.service").toString());
        assertNotEquals(0, missing.exit(), missing.output());
    }

    @Test
    void securityReviewRatesTheHardeningOk(@TempDir Path dir) throws Exception {
        Result r = analyze(dir, "security", "--offline=yes", "--threshold=35" /* tenths: 3.5 */, copy(dir, unitText()).toString());
        assertEquals(0, r.exit(), "exposure above 3.5:\n" + r.output());
        Matcher m = Pattern.compile("Overall exposure level for chat-gateway.service: (\\d+\\.\\d+)").matcher(r.output());
        assertTrue(m.find(), r.output());
        assertTrue(Double.parseDouble(m.group(1)) <= 3.5, r.output());
    }

    /** The [Service] section's settings; a key given several times keeps every value. */
    private static Map<String, List<String>> service() throws IOException {
        Map<String, List<String>> s = new LinkedHashMap<>();
        String section = "";
        for (String line : Files.readAllLines(unit)) {
            String l = line.strip();
            if (l.startsWith("[")) {
                section = l;
            } else if (section.equals("[Service]") && !l.isEmpty() && !l.startsWith("#")) {
                int eq = l.indexOf('=');
                s.computeIfAbsent(l.substring(0, eq), k -> new ArrayList<>()).add(l.substring(eq + 1));
            }
        }
        return s;
    }

    private static String one(Map<String, List<String>> service, String key) {
        List<String> v = service.getOrDefault(key, List.of());
        assertEquals(1, v.size(), key + ": " + v);
        return v.get(0);
    }

    /** Environment= values as systemd reads them: one quoted or bare assignment per line here. */
    private static Map<String, String> environment(Map<String, List<String>> service) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String v : service.getOrDefault("Environment", List.of())) {
            String a = v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
            env.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        return env;
    }

    @Test
    void theUnitHasTheLimitsRestartsAndStopTimeThatOperationsNeed() throws IOException {
        Map<String, List<String>> s = service();
        assertEquals("1048576", one(s, "LimitNOFILE"));
        assertEquals("on-failure", one(s, "Restart"));
        long stop = Long.parseLong(one(s, "TimeoutStopSec").replace("s", ""));
        long shutdown = Long.parseLong(Setting.SHUTDOWN_TIMEOUT_SECONDS.defaultValue());
        assertTrue(stop >= shutdown + 10, "TimeoutStopSec " + stop + " s leaves the " + shutdown
                + " s graceful shutdown too little room");
        assertEquals("143", one(s, "SuccessExitStatus"), "a JVM stopped by SIGTERM exits 143");
        assertEquals("yes", one(s, "DynamicUser"), "a user of its own");
        assertFalse(one(s, "User").equals("root"));
        assertEquals("yes", one(s, "NoNewPrivileges"));
        assertEquals("strict", one(s, "ProtectSystem"));
        assertEquals("", one(s, "CapabilityBoundingSet"), "no capability at all");
        assertFalse(s.containsKey("MemoryDenyWriteExecute"), "the JIT needs writable executable memory");
        assertEquals("/etc/chat-gateway/chat-gateway.env", one(s, "EnvironmentFile"), "required, not '-' optional");
        String jvm = environment(s).get("JDK_JAVA_OPTIONS");
        assertTrue(jvm.contains("-XX:+ExitOnOutOfMemoryError") && jvm.contains("-XX:+UseG1GC")
                && jvm.contains("-XX:+AlwaysPreTouch"), jvm);
        Matcher xms = Pattern.compile("-Xms(\\S+)").matcher(jvm);
        Matcher xmx = Pattern.compile("-Xmx(\\S+)").matcher(jvm);
        assertTrue(xms.find() && xmx.find() && xms.group(1).equals(xmx.group(1)), "a fixed heap: " + jvm);
    }

    /** The example's assignments; commented-out lines are suggestions and left out. */
    private static Map<String, String> example() throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(envExample)) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                int eq = l.indexOf('=');
                assertTrue(eq > 0, "not an assignment: " + l);
                env.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return env;
    }

    @Test
    void theEnvironmentFileHoldsNoSecretAndTheGatewayAcceptsItAsTheUnitRunsIt(@TempDir Path dir) throws Exception {
        Map<String, String> file = example();
        for (Setting secret : new Setting[] {Setting.JWT_SECRET, Setting.ADMIN_TOKEN}) {
            assertFalse(file.containsKey(secret.env()), "no secret in the example: " + secret.env());
        }
        for (String line : Files.readAllLines(envExample)) {
            assertFalse(line.matches("#?\\s*GATEWAY_(JWT_SECRET|ADMIN_TOKEN)=\\S+.*"), "no secret value: " + line);
            // The commented-out suggestions must be real settings too.
            java.util.regex.Matcher suggestion = Pattern.compile("^#(GATEWAY_[A-Z_]+)=").matcher(line);
            if (suggestion.find()) {
                assertTrue(Setting.byEnv(suggestion.group(1)) != null, "not a setting: " + line);
            }
        }
        // As systemd hands it over: the unit's Environment=, then the file (which wins), then the credential.
        Map<String, String> env = new HashMap<>(environment(service()));
        env.putAll(file);
        Path secret = dir.resolve("jwt-secret");
        Files.writeString(secret, "a-test-secret-that-is-long-enough-for-hs256-0123456789");
        assertEquals("%d/jwt-secret", env.get(Setting.JWT_SECRET_FILE.env()), "the secret comes as a credential");
        env.put(Setting.JWT_SECRET_FILE.env(), secret.toString());
        ConfigLoader.Loaded loaded = ConfigLoader.load(List.of(), env);
        assertEquals(List.of(), loaded.warnings(), "every GATEWAY_ variable is a setting");
        assertFalse(loaded.config().isDevelopmentMode(), "the service never runs in development mode");
        long stop = Long.parseLong(one(service(), "TimeoutStopSec").replace("s", ""));
        assertTrue(loaded.config().shutdownTimeout().compareTo(Duration.ofSeconds(stop - 10)) <= 0,
                "the shutdown timeout fits in TimeoutStopSec");
    }
}
