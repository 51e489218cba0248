package io.chatgateway.server.config;

import io.chatgateway.GatewayConfig;
import io.chatgateway.policy.RoomAccess;
import io.chatgateway.session.SessionMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private static ServerConfig load(List<String> args, Map<String, String> env) throws ConfigException {
        return ConfigLoader.load(args, env).config();
    }

    private static List<String> problems(List<String> args, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(args, env)).problems();
    }

    @Test
    void defaultsAreTheDocumentedOnesAndDevelopmentModeWithoutSecret() throws Exception {
        ServerConfig c = load(List.of(), Map.of());
        assertEquals(8080, c.httpPort());
        assertEquals(9090, c.tcpPort());
        assertEquals("0.0.0.0", c.bind());
        assertEquals(65536, c.gateway().maxFrameBytes());
        assertEquals(Duration.ofSeconds(60), c.gateway().heartbeat());
        assertEquals(Duration.ofSeconds(10), c.gateway().authTimeout());
        assertEquals(SessionMode.SINGLE, c.gateway().sessionMode());
        assertTrue(c.isDevelopmentMode());
        assertNull(c.jwtSecret());
    }

    @Test
    void ioThreadsDefaultToOnePerCoreAndAGivenCountIsKept() throws Exception {
        assertEquals(Runtime.getRuntime().availableProcessors(), load(List.of(), Map.of()).ioThreads());
        assertEquals(Runtime.getRuntime().availableProcessors(),
                load(List.of(), Map.of("GATEWAY_IO_THREADS", "0")).ioThreads(), "0 asks for the default");
        assertEquals(3, load(List.of("--io-threads=3"), Map.of()).ioThreads());
    }

    @Test
    void laterLayersWinFileThenEnvironmentThenFlags() throws Exception {
        Path file = dir.resolve("gateway.properties");
        Files.writeString(file, "# comment\nhttp-port = 1111\ntcp-port=2222\nheartbeat-seconds=30\nsessions=multi\n");
        ServerConfig c = load(List.of("--config", file.toString(), "--tcp-port=4444"),
                Map.of("GATEWAY_TCP_PORT", "3333", "GATEWAY_HEARTBEAT_SECONDS", "45", "PATH", "/usr/bin"));
        assertEquals(1111, c.httpPort());
        assertEquals(4444, c.tcpPort());
        assertEquals(Duration.ofSeconds(45), c.gateway().heartbeat());
        assertEquals(SessionMode.MULTI, c.gateway().sessionMode());
        assertEquals(ServerConfig.Source.FILE, c.source(Setting.HTTP_PORT));
        assertEquals(ServerConfig.Source.FLAG, c.source(Setting.TCP_PORT));
        assertEquals(ServerConfig.Source.ENV, c.source(Setting.HEARTBEAT_SECONDS));
    }

    @Test
    void takesTheConfigFilePathFromTheEnvironmentToo() throws Exception {
        Path file = dir.resolve("g.properties");
        Files.writeString(file, "max-connections=77\n");
        assertEquals(77, load(List.of(), Map.of("GATEWAY_CONFIG", file.toString())).gateway().maxConnections());
    }

    @Test
    void unknownFileKeysAndFlagsFailTheLoadWhileUnknownEnvironmentVariablesAreWarnings() throws Exception {
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "heartbeat-secs=5\n");
        List<String> p = problems(List.of("--config=" + file, "--htp-port=1"), Map.of());
        assertTrue(p.stream().anyMatch(s -> s.contains("unknown key 'heartbeat-secs'")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.contains("unknown flag --htp-port")), p::toString);

        ConfigLoader.Loaded loaded = ConfigLoader.load(List.of(), Map.of("GATEWAY_HTTP_PROT", "1"));
        assertEquals(1, loaded.warnings().size());
        assertTrue(loaded.warnings().get(0).contains("GATEWAY_HTTP_PROT"));
    }

    @Test
    void reportsEveryBadValueWithItsSourceAndWhatWasExpected() {
        List<String> p = problems(List.of("--http-port=99999", "--sessions=some"),
                Map.of("GATEWAY_MAX_FRAME_BYTES", "big", "GATEWAY_TRANSPORT", "kqueue"));
        assertTrue(p.contains("--http-port: 99999 (expected: 0 to 65535)"), p::toString);
        assertTrue(p.contains("--sessions: some (expected: single or multi)"), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("GATEWAY_MAX_FRAME_BYTES: big (expected:")), p::toString);
        assertTrue(p.stream().anyMatch(s -> s.startsWith("GATEWAY_TRANSPORT: kqueue")), p::toString);
    }

    @Test
    void takesIoUringAsATransportAndNamesItAmongTheChoices() throws Exception {
        assertEquals("auto", load(List.of(), Map.of()).transport());
        assertEquals("io_uring", load(List.of(), Map.of("GATEWAY_TRANSPORT", "IO_URING")).transport());
        assertEquals("io_uring", load(List.of("--transport=io_uring"), Map.of()).transport());
        List<String> p = problems(List.of("--transport=uring"), Map.of());
        assertTrue(p.contains("--transport: uring (expected: one of auto, io_uring, epoll, nio)"), p::toString);
    }

    @Test
    void aSecretTurnsDevelopmentModeOffAndIsNeverPrinted() throws Exception {
        ServerConfig c = load(List.of(), Map.of("GATEWAY_JWT_SECRET", "s3cr3t-value-that-must-not-leak!!"));
        assertFalse(c.isDevelopmentMode());
        assertFalse(c.toString().contains("s3cr3t"), c::toString);
        assertTrue(c.toString().contains("jwt-secret = ****** (set)"));
        assertTrue(load(List.of(), Map.of()).toString().contains("DEVELOPMENT MODE"));
    }

    @Test
    void productionModeTurnsOnTheSafeDefaultsAndDevelopmentModeTheOpenOnes() throws Exception {
        GatewayConfig prod = load(List.of(), Map.of("GATEWAY_JWT_SECRET", "a-secret-for-the-defaults-test-0123")).gateway();
        assertEquals(RoomAccess.GRANTED, prod.roomAccess());
        assertEquals(Boolean.FALSE, prod.globalPresence());
        assertEquals(List.of("self"), prod.allowedOrigins());
        assertEquals(1000, prod.maxConnectionsPerIp());
        assertEquals(50, prod.connectRatePerIp());
        GatewayConfig dev = load(List.of(), Map.of()).gateway();
        assertEquals(RoomAccess.OPEN, dev.roomAccess());
        assertEquals(Boolean.TRUE, dev.globalPresence());
        assertEquals(List.of("*"), dev.allowedOrigins());
        assertEquals(0, dev.maxConnectionsPerIp());
        assertEquals(0, dev.connectRatePerIp());
        // Public keys alone are production mode too; every default can be set explicitly.
        GatewayConfig keys = load(List.of("--room-access=open", "--global-presence=on", "--max-connections-per-ip=7",
                "--allowed-origins=https://app.example, self"), Map.of("GATEWAY_JWT_JWKS_URL", "https://idp/jwks")).gateway();
        assertEquals(RoomAccess.OPEN, keys.roomAccess());
        assertEquals(Boolean.TRUE, keys.globalPresence());
        assertEquals(7, keys.maxConnectionsPerIp());
        assertEquals(List.of("https://app.example", "self"), keys.allowedOrigins());
        assertTrue(problems(List.of("--room-access=closed"), Map.of()).get(0).contains("expected: granted or open"));
        assertTrue(problems(List.of("--global-presence=maybe"), Map.of()).get(0).contains("expected: on or off"));
    }

    @Test
    void aJwksUrlIsLoggedWithoutItsCredentialsOrQuery() throws Exception {
        ServerConfig c = load(List.of(), Map.of("GATEWAY_JWT_JWKS_URL", "https://app:pw123@idp.example/jwks?key=k3y"));
        assertFalse(c.isDevelopmentMode());
        assertFalse(c.toString().contains("pw123") || c.toString().contains("k3y"), c::toString);
        assertTrue(c.toString().contains("https://app:******@idp.example/jwks?******"), c::toString);
        assertTrue(problems(List.of("--jwt-jwks-url=ftp://idp/jwks"), Map.of()).get(0).contains("https://"));
    }

    @Test
    void anEmptySecretIsAnErrorNotDevelopmentMode() {
        List<String> p = problems(List.of(), Map.of("GATEWAY_JWT_SECRET", ""));
        assertTrue(p.get(0).startsWith("GATEWAY_JWT_SECRET: empty"), p::toString);
    }

    @Test
    void readsTheSecretFromAFile() throws IOException, ConfigException {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "from-a-file-secret-32-bytes-long!!\n");
        ServerConfig c = load(List.of("--jwt-secret-file", secret.toString()), Map.of());
        assertEquals("from-a-file-secret-32-bytes-long!!", c.jwtSecret());
        assertTrue(problems(List.of("--jwt-secret-file=" + dir.resolve("missing")), Map.of()).get(0)
                .contains("cannot be read"));
    }

    @Test
    void helpIsRecognisedAndTheUsageListsEverySetting() throws Exception {
        assertTrue(ConfigLoader.load(List.of("--help"), Map.of()).helpRequested());
        String usage = ConfigLoader.usage();
        for (Setting s : Setting.values()) {
            assertTrue(usage.contains(s.flag()) && usage.contains(s.env()), s::name);
        }
    }

    @Test
    void theThreeSpellingsOfASettingAgree() {
        assertEquals("GATEWAY_AUTH_TIMEOUT_SECONDS", Setting.AUTH_TIMEOUT_SECONDS.env());
        assertEquals("--auth-timeout-seconds", Setting.AUTH_TIMEOUT_SECONDS.flag());
        assertEquals(Setting.MAX_SESSIONS_PER_USER, Setting.byEnv("GATEWAY_MAX_SESSIONS_PER_USER"));
        assertEquals(Setting.JWT_SECRET, Setting.byKey("jwt-secret"));
    }

    @Test
    void logLevelIsASettingLikeAnyOtherSoItsVariableIsNotReportedAsUnknown() throws Exception {
        ConfigLoader.Loaded loaded = ConfigLoader.load(List.of(), Map.of("GATEWAY_LOG_LEVEL", "debug"));
        assertTrue(loaded.warnings().isEmpty(), loaded.warnings()::toString);
        assertEquals("DEBUG", loaded.config().logLevel());
        assertEquals("INFO", load(List.of(), Map.of()).logLevel());
        assertTrue(problems(List.of("--log-level=loud"), Map.of()).get(0).startsWith("--log-level: loud"));
    }
}
