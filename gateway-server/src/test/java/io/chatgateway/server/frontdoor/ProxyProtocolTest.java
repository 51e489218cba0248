package io.chatgateway.server.frontdoor;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.ProxyHeaders;
import io.chatgateway.server.testing.RawWsClient;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * proxy-protocol=on over real sockets, the clients writing the header bytes themselves: the address the header
 * names is the connection's address in the registry, the admin API and the limits; a connection without a valid
 * header is closed and counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyProtocolTest {
    private static final String ADMIN = "an-admin-token-for-the-proxy-test-0123456789";
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.PROXY_PROTOCOL, "on", Setting.ADMIN_TOKEN, ADMIN,
                Setting.MAX_CONNECTIONS_PER_IP, "1", Setting.AUTH_TIMEOUT_SECONDS, "2"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static TcpClient tcpWith(byte[] header) {
        TcpClient c = gateway.tcpFrom("127.0.0.1");
        c.sendRaw(header);
        return c;
    }

    /** GET on the HTTP port through a PROXY LOCAL header (as a balancer's health check would). */
    private static String adminGet(String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gateway.httpPort()), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(ProxyHeaders.v2Local());
            out.write(("GET " + path + " HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + ADMIN
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            String res = b.toString(StandardCharsets.UTF_8);
            assertTrue(res.startsWith("HTTP/1.1 200"), res);
            return res.substring(res.indexOf("\r\n\r\n") + 4);
        }
    }

    private static String addressOf(String user) {
        Connection c = gateway.server().gateway().connections().connectionsOf(user).get(0);
        InetSocketAddress a = (InetSocketAddress) c.remoteAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Test
    void tcpWithAV1HeaderIsTheProxiedClientInTheRegistryAndTheAdminApi() throws IOException {
        TcpClient c = tcpWith(ProxyHeaders.v1("192.0.2.10", 40001, "127.0.0.1", gateway.tcpPort()));
        c.auth("tcp-v1");
        assertEquals("192.0.2.10:40001", addressOf("tcp-v1"));
        String doc = adminGet("/api/users/tcp-v1");
        assertTrue(doc.contains("\"remoteAddress\":\"192.0.2.10:40001\""), doc);
        c.close();
    }

    @Test
    void tcpWithAV2HeaderInTheSameWriteAsTheFirstFrame() {
        byte[] header = ProxyHeaders.v2("198.51.100.20", 62000, "127.0.0.1", gateway.tcpPort());
        byte[] auth = "{\"type\":\"auth\",\"token\":\"tcp-v2\"}".getBytes(StandardCharsets.UTF_8);
        TcpClient c = gateway.tcpFrom("127.0.0.1");
        c.sendRaw(java.nio.ByteBuffer.allocate(header.length + 4 + auth.length).put(header).putInt(auth.length)
                .put(auth).array());
        c.expect("welcome");
        assertEquals("198.51.100.20:62000", addressOf("tcp-v2"));
        c.close();
    }

    @Test
    void webSocketWithV1AndV2HeadersIsTheProxiedClient() throws IOException {
        RawWsClient v1 = gateway.rawWs("127.0.0.1", ProxyHeaders.v1("192.0.2.30", 40003, "127.0.0.1",
                gateway.httpPort()), "token=ws-v1", Map.of());
        assertEquals(101, v1.status(), v1.head());
        v1.expect("welcome");
        RawWsClient v2 = gateway.rawWs("127.0.0.1", ProxyHeaders.v2("2001:db8::31", 40004, "::1",
                gateway.httpPort()), "token=ws-v2", Map.of());
        assertEquals(101, v2.status(), v2.head());
        v2.expect("welcome");
        assertEquals("192.0.2.30:40003", addressOf("ws-v1"));
        assertEquals("2001:db8:0:0:0:0:0:31:40004", addressOf("ws-v2"));
        assertTrue(adminGet("/api/users/ws-v2").contains("\"remoteAddress\":\"[2001:db8:0:0:0:0:0:31]:40004\""));
        v1.close();
        v2.close();
    }

    @Test
    void theLimitsCountTheProxiedAddressNotTheBalancers() {
        TcpClient first = tcpWith(ProxyHeaders.v1("203.0.113.50", 1000, "127.0.0.1", gateway.tcpPort()));
        first.auth("limit-1");
        long before = gateway.server().gateway().metrics().refused(RefusalReason.ADDRESS_CONNECTIONS);
        TcpClient same = tcpWith(ProxyHeaders.v1("203.0.113.50", 1001, "127.0.0.1", gateway.tcpPort()));
        same.expectError("server_busy");
        same.awaitClose(TestClient.WAIT);
        assertEquals(before + 1, gateway.server().gateway().metrics().refused(RefusalReason.ADDRESS_CONNECTIONS));
        TcpClient other = tcpWith(ProxyHeaders.v1("203.0.113.51", 1002, "127.0.0.1", gateway.tcpPort()));
        other.auth("limit-2");
        first.close();
        other.close();
    }

    @Test
    void closesAndCountsAConnectionThatStartsWithoutAHeader() {
        long before = gateway.server().gateway().metrics().refused(RefusalReason.PROXY_INVALID);
        TcpClient tcp = gateway.tcpFrom("127.0.0.1");
        tcp.send("{\"type\":\"auth\",\"token\":\"no-header\"}");
        tcp.awaitClose(TestClient.WAIT);
        RawWsClient ws = gateway.rawWs("127.0.0.1", null, "token=no-header", Map.of());
        assertEquals(-1, ws.status(), "closed without an answer: " + ws.head());
        TestServer.await("both are counted", () ->
                gateway.server().gateway().metrics().refused(RefusalReason.PROXY_INVALID) == before + 2);
        assertTrue(gateway.server().gateway().connections().connectionsOf("no-header").isEmpty());
    }

    @Test
    void closesAndCountsAConnectionThatSendsNoHeaderInTime() {
        long before = gateway.server().gateway().metrics().refused(RefusalReason.PROXY_MISSING);
        long start = System.nanoTime();
        TcpClient silent = gateway.tcpFrom("127.0.0.1");
        silent.awaitClose(TestClient.WAIT);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(1500), "waited for the timeout");
        TestServer.await("counted as missing", () ->
                gateway.server().gateway().metrics().refused(RefusalReason.PROXY_MISSING) == before + 1);
    }

    @Test
    void aLocalHeaderKeepsTheSocketsAddress() {
        TcpClient c = tcpWith(ProxyHeaders.v2Local());
        JsonNode welcome = c.auth("local");
        assertEquals("local", welcome.get("user").asText());
        assertEquals(c.localAddress().getPort(), Integer.parseInt(addressOf("local").split(":")[1]));
        c.close();
    }
}
