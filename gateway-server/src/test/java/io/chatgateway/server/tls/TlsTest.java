package io.chatgateway.server.tls;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.GatewayServer;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.netty.pkitesting.X509Bundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on both ports with a certificate made for the test: the JDK's WebSocket client over wss, an SSLSocket on the
 * TCP port, HTTPS for the HTTP surface; TLS 1.1 refused; a certificate swapped while connections stay open.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TlsTest {
    @TempDir
    Path dir;
    private Path cert;
    private Path key;
    private X509Bundle first;
    private TestServer gateway;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cert = dir.resolve("cert.pem");
        key = dir.resolve("key.pem");
        first = TestCertificates.server("gateway-one");
        TestCertificates.write(first, cert, key);
        gateway = TestServer.start(Map.of(Setting.TLS_CERT_FILE, cert.toString(), Setting.TLS_KEY_FILE,
                key.toString()));
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        gateway.close();
    }

    private SSLSocket tlsSocket(SSLContext trust, String... protocols) throws Exception {
        SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", gateway.tcpPort());
        sockets.add(s);
        if (protocols.length > 0) {
            s.setEnabledProtocols(protocols);
        }
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    private URI wss(String query) {
        return URI.create("wss://127.0.0.1:" + gateway.httpPort() + "/ws?" + query);
    }

    @Test
    void servesWssToTheJdkWebSocketClientAndTlsToTcpClients() throws Exception {
        SSLContext trust = TestCertificates.trustingTheAuthority();
        WsClient ws = WsClient.connect(wss("token=wss-user"), Map.of(), trust);
        try {
            assertEquals("wss-user", ws.expect("welcome").get("user").asText());
            ws.sendFields("type", "ping", "id", 1);
            ws.expect("pong");
        } finally {
            ws.close();
        }

        SSLSocket s = tlsSocket(trust);
        assertEquals("TLSv1.3", s.getSession().getProtocol());
        TcpClient tcp = TcpClient.over(s);
        assertEquals("tls-tcp", tcp.auth("tls-tcp").get("user").asText());

        SSLSocket tls12 = tlsSocket(trust, "TLSv1.2");
        assertEquals("TLSv1.2", tls12.getSession().getProtocol());
        TcpClient.over(tls12).auth("tls12");

        HttpResponse<String> health = HttpClient.newBuilder().sslContext(trust).build().send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + gateway.httpPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "the HTTP surface speaks HTTPS too");
    }

    /**
     * A room's fan-out over TLS: its writes enter below the WebSocket and TCP handlers with the channel's one shared
     * promise (FlushBatchHandler#writeShared), which the SslHandler's write queue wraps and completes for every
     * write. Every member gets every message in order, and no write is counted as failed.
     */
    @Test
    void aRoomFansOutOverWssAndTlsTcp() throws Exception {
        SSLContext trust = TestCertificates.trustingTheAuthority();
        WsClient ws = WsClient.connect(wss("token=wss-member"), Map.of(), trust);
        TcpClient tcp = TcpClient.over(tlsSocket(trust));
        TcpClient publisher = TcpClient.over(tlsSocket(trust));
        try {
            ws.expect("welcome");
            tcp.auth("tls-member");
            publisher.auth("tls-publisher");
            for (TestClient c : new TestClient[] {ws, tcp, publisher}) {
                c.sendFields("type", "join", "id", 1, "room", "secure");
                c.until("ack");
            }
            int n = 200;
            for (int i = 0; i < n; i++) {
                publisher.sendFields("type", "publish", "id", 10 + i, "room", "secure", "body", i);
            }
            for (TestClient member : new TestClient[] {ws, tcp}) {
                int next = 0;
                while (next < n) {
                    JsonNode m = member.next();
                    if ("message".equals(m.path("type").asText())) {
                        assertEquals(next, m.path("body").asInt(), m::toString);
                        next++;
                    }
                }
            }
            assertEquals(0, gateway.server().gateway().metrics().writeFailures(), "no write failed");
            assertEquals(3, gateway.server().gateway().rooms().get("secure").connectionCount());
        } finally {
            ws.close();
        }
    }

    @Test
    void refusesTls11AndPlainTextWithoutAnyServerHello() throws Exception {
        long before = gateway.server().gateway().metrics().tlsHandshakeFailures();
        for (int port : new int[] {gateway.tcpPort(), gateway.httpPort()}) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write(tls11ClientHello());
                out.flush();
                byte[] answer = readAll(s.getInputStream());
                // A fatal alert (content type 21), or nothing: never a handshake record (22) with a server hello.
                assertTrue(answer.length == 0 || answer[0] == 21, "answer to a TLS 1.1 hello: " + hex(answer));
                if (answer.length >= 7) {
                    assertEquals(2, answer[5], "fatal");
                    assertEquals(70, answer[6], "protocol_version");
                }
            }
        }
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", gateway.httpPort()), 5000);
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            byte[] answer = readAll(plain.getInputStream());
            assertTrue(answer.length == 0 || answer[0] == 21, "no HTTP to a plain-text client: " + hex(answer));
        }
        TestServer.await("the three failed handshakes are counted",
                () -> gateway.server().gateway().metrics().tlsHandshakeFailures() >= before + 3);
        assertEquals(0, gateway.server().gateway().connections().size());
    }

    @Test
    void reloadsTheCertificateForNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
        X509Bundle second = TestCertificates.server("gateway-two");
        SSLContext trustBoth = TestCertificates.trustingTheAuthority();
        TcpClient tcp = TcpClient.over(tlsSocket(trustBoth));
        tcp.auth("before-tcp");
        WsClient ws = WsClient.connect(wss("token=before-ws"), Map.of(), trustBoth);
        ws.expect("welcome");

        TestCertificates.write(second, cert, key);
        TlsContextReloader tls = gateway.server().tls();
        assertTrue(tls.checkNow(), "the new files were picked up");
        assertEquals(1, tls.reloads());

        SSLSocket fresh = tlsSocket(trustBoth);
        assertEquals(second.getCertificate(), fresh.getSession().getPeerCertificates()[0], "a new connection");
        TcpClient.over(fresh).auth("after-tcp");
        tcp.sendFields("type", "ping", "id", 2);
        tcp.expect("pong");
        ws.sendFields("type", "ping", "id", 3);
        ws.expect("pong");
        tcp.sendFields("type", "send", "id", 4, "to", "before-ws", "body", "still here");
        tcp.expect("ack");
        assertEquals("still here", ws.expect("message").get("body").asText());

        // A broken pair keeps the current certificate, and is counted once however often it is polled.
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        assertTrue(!tls.checkNow() && !tls.checkNow());
        assertEquals(1, tls.failures());
        SSLSocket stillSecond = tlsSocket(trustBoth);
        assertEquals(second.getCertificate(), stillSecond.getSession().getPeerCertificates()[0]);
        ws.close();
        String metrics = HttpClient.newBuilder().sslContext(trustBoth).build().send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + gateway.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("gateway_tls_reloads_total{result=\"success\"} 1.0"), metrics);
        assertTrue(metrics.contains("gateway_tls_reloads_total{result=\"failure\"} 1.0"), metrics);
    }

    @Test
    void refusesToStartWithAKeyThatIsNotPkcs8OrDoesNotMatch() throws Exception {
        Path pkcs1 = dir.resolve("rsa.pem");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new GatewayServer(ServerConfig.of(
                Map.of(Setting.TLS_CERT_FILE, cert.toString(), Setting.TLS_KEY_FILE, pkcs1.toString()))));
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());

        Path otherKey = dir.resolve("other-key.pem");
        Files.writeString(otherKey, TestCertificates.server("someone-else").getPrivateKeyPEM());
        IllegalStateException mismatch = assertThrows(IllegalStateException.class, () -> new GatewayServer(
                ServerConfig.of(Map.of(Setting.TLS_CERT_FILE, cert.toString(), Setting.TLS_KEY_FILE,
                        otherKey.toString()))));
        assertTrue(mismatch.getMessage().contains("does not belong to the certificate"), mismatch.getMessage());
        assertNotEquals(null, gateway.server().tls().describe());
    }

    private static byte[] readAll(InputStream in) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            in.transferTo(b);
        } catch (java.io.IOException e) {
            // a reset ends the answer too
        }
        return b.toByteArray();
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 16); i++) {
            sb.append(String.format("%02x ", b[i]));
        }
        return sb.toString() + "(" + b.length + " bytes)";
    }

    /** A ClientHello that offers TLS 1.1 at most, with the ECDHE and RSA CBC suites of its day. */
    static byte[] tls11ClientHello() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(2); // client_version TLS 1.1
        byte[] random = new byte[32];
        ThreadLocalRandom.current().nextBytes(random);
        body.writeBytes(random);
        body.write(0); // no session id
        int[] suites = {0xC009, 0xC013, 0xC00A, 0xC014, 0x002F, 0x0035};
        body.write(0);
        body.write(suites.length * 2);
        for (int s : suites) {
            body.write(s >> 8);
            body.write(s & 0xFF);
        }
        body.write(1);
        body.write(0); // null compression
        byte[] ext = {0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
                0x00, 0x0b, 0x00, 0x02, 0x01, 0x00}; // ec_point_formats: uncompressed
        body.write(0);
        body.write(ext.length);
        body.writeBytes(ext);
        byte[] hello = body.toByteArray();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(22);
        record.write(3);
        record.write(1);
        int length = hello.length + 4;
        record.write(length >> 8);
        record.write(length & 0xFF);
        record.write(1); // client_hello
        record.write(0);
        record.write(hello.length >> 8);
        record.write(hello.length & 0xFF);
        record.writeBytes(hello);
        return record.toByteArray();
    }
}
