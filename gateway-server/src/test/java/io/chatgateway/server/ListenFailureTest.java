package io.chatgateway.server;

import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A second gateway on ports the first one holds fails to start with one sentence naming the address, the port and
 * the listener, leaves nothing listening, and its {@code main} exits non-zero without a stack trace.
 */
@Timeout(120)
class ListenFailureTest {
    private TestServer first;

    @BeforeEach
    void startFirst() {
        first = TestServer.start();
    }

    @AfterEach
    void stopFirst() {
        first.close();
    }

    private static GatewayServer second(String transport, int httpPort, int tcpPort) throws Exception {
        if (transport.equals("io_uring")) {
            assumeTrue(IoUring.isAvailable(), () -> "io_uring is unavailable here: " + IoUring.unavailabilityCause());
        }
        Map<Setting, String> s = new EnumMap<>(Setting.class);
        s.put(Setting.BIND, "127.0.0.1");
        s.put(Setting.HTTP_PORT, Integer.toString(httpPort));
        s.put(Setting.TCP_PORT, Integer.toString(tcpPort));
        s.put(Setting.TRANSPORT, transport);
        return new GatewayServer(ServerConfig.of(s));
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aTakenHttpPortIsNamedWithItsListener(String transport) throws Exception {
        GatewayServer second = second(transport, first.httpPort(), 0);
        CannotListenException e = assertThrows(CannotListenException.class, second::start);
        assertEquals("Cannot listen on 127.0.0.1:" + first.httpPort() + " for HTTP/WebSocket: address already in use",
                e.getMessage());
        assertEquals("HTTP/WebSocket", e.listener());
        assertEquals(first.httpPort(), e.address().getPort());
        second.stop(); // after a failed start there is nothing to drain: returns at once
        assertEquals(io.chatgateway.server.health.Lifecycle.STOPPED, second.state());
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aTakenTcpPortIsNamedAndTheHttpPortBoundBeforeItIsReleased(String transport) throws Exception {
        GatewayServer second = second(transport, 0, first.tcpPort());
        CannotListenException e = assertThrows(CannotListenException.class, second::start);
        assertEquals("Cannot listen on 127.0.0.1:" + first.tcpPort() + " for TCP: address already in use",
                e.getMessage());
        int boundHttp = second.httpPort();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (accepts(boundHttp)) {
            assertTrue(System.nanoTime() < deadline, "the HTTP port of the failed start is still listening");
            Thread.sleep(50);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    @Test
    void mainExitsWithStatus1AndOneLineWithoutAStackTrace() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--bind=127.0.0.1", "--http-port=" + first.httpPort(), "--tcp-port=0"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_"));
        Path out = Files.createTempFile("listen-failure", ".log");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the gateway did not exit");
            String log = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(1, p.exitValue(), log);
            String expected = "Cannot listen on 127.0.0.1:" + first.httpPort()
                    + " for HTTP/WebSocket: address already in use";
            assertEquals(1, log.lines().filter(l -> l.contains(expected)).count(), log);
            assertTrue(log.lines().anyMatch(l -> l.contains("ERROR") && l.endsWith(expected)), log);
            assertFalse(log.contains("\tat ") || log.contains("Exception"), "no stack trace:\n" + log);
            assertFalse(log.contains("Shutting down"), "nothing ran, so nothing drains:\n" + log);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }
}
