package io.chatgateway.server.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nginx recipes run for real on loopback: a copy of each with its listen ports and upstream addresses moved to
 * free ports on 127.0.0.1 (and the test certificate, as in {@link NginxConfigTest}), everything else as written.
 *
 * <p>The stream recipe is run against a stand-in upstream that records what nginx sends, because it is about what
 * reaches the gateway: a PROXY protocol header with the client's own address and port on each of the four
 * listeners, then the client's bytes (decrypted on the TLS listeners). The http recipe and its TCP companion run
 * in front of a real gateway: a WebSocket upgrade through {@code /ws}, plain and TLS, the HTTP surface, and TCP
 * frames.
 */
@Timeout(120)
class NginxProxyTest {

    @BeforeAll
    static void require() {
        Nginx.require();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code text} with {@code from} replaced; fails when the recipe does not contain it. */
    private static String move(String text, String from, String to) {
        assertTrue(text.contains(from), "the recipe has '" + from + "'");
        return text.replace(from, to);
    }

    /** What a stand-in upstream received on one connection: the first line and the bytes after it. */
    private record Received(String firstLine, byte[] rest) {
    }

    /** Accepts connections on loopback and records the first line and up to {@code n} further bytes of each. */
    private static final class Upstream implements AutoCloseable {
        final ServerSocket socket;
        final BlockingQueue<Received> received = new ArrayBlockingQueue<>(16);

        Upstream(int restBytes) throws IOException {
            socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        s.setSoTimeout(10_000);
                        InputStream in = s.getInputStream();
                        ByteArrayOutputStream line = new ByteArrayOutputStream();
                        int b;
                        while ((b = in.read()) >= 0 && b != '\n') {
                            line.write(b);
                        }
                        byte[] rest = in.readNBytes(restBytes);
                        received.add(new Received(line.toString(StandardCharsets.US_ASCII).stripTrailing(), rest));
                    } catch (IOException e) {
                        // closed, or a connection that went away: the test sees nothing received
                    }
                }
            }, "nginx-test-upstream");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        /**
         * What came for the connection that sent {@code payload}; connections that sent nothing (the check that
         * nginx listens) are passed over.
         */
        Received next(String payload) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (;;) {
                Received r = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertNotNull(r, "the upstream received nothing");
                if (r.rest().length > 0 || payload.isEmpty()) {
                    return r;
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static SSLContext trusting(Path cert) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            ks.setCertificateEntry("nginx", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Sends {@code payload} through {@code socket}; returns the client's local port. */
    private static int send(Socket socket, byte[] payload) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(payload);
        out.flush();
        return socket.getLocalPort();
    }

    private static void assertProxyHeader(Received r, int clientPort, int nginxPort, String payload) {
        assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + clientPort + " " + nginxPort, r.firstLine(),
                "nginx names the client's own address and port, and its listener");
        assertEquals(payload, new String(r.rest(), StandardCharsets.UTF_8), "then the client's bytes, in clear");
    }

    @Test
    void streamRecipeHandsTheUpstreamEachClientsAddressInAProxyHeader(@TempDir Path dir) throws Exception {
        Path[] pair = Nginx.certificate(dir);
        int plain = freePort();
        int tls = freePort();
        int tcp = freePort();
        int tcpTls = freePort();
        String payload = "GET /healthz HTTP/1.1\r\n";
        try (Upstream http = new Upstream(payload.length()); Upstream frames = new Upstream(payload.length())) {
            String conf = Nginx.withCertificate(Nginx.recipe("chat-gateway-stream.conf"), pair);
            conf = move(conf, "listen 80 ", "listen 127.0.0.1:" + plain + " ");
            conf = move(conf, "listen 443 ssl", "listen 127.0.0.1:" + tls + " ssl");
            conf = move(conf, "listen 9090 ", "listen 127.0.0.1:" + tcp + " ");
            conf = move(conf, "listen 9443 ssl", "listen 127.0.0.1:" + tcpTls + " ssl");
            conf = move(conf, "server 127.0.0.1:8080 ", "server 127.0.0.1:" + http.port() + " ");
            conf = move(conf, "server 127.0.0.1:9090 ", "server 127.0.0.1:" + frames.port() + " ");
            SSLContext client = trusting(pair[0]);
            byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
            try (Nginx nginx = Nginx.start(dir, conf, false, plain)) {
                try (Socket s = new Socket("127.0.0.1", plain)) {
                    int from = send(s, bytes);
                    assertProxyHeader(http.next(payload), from, plain, payload);
                }
                try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", tls)) {
                    s.startHandshake();
                    int from = send(s, bytes);
                    assertProxyHeader(http.next(payload), from, tls, payload);
                }
                try (Socket s = new Socket("127.0.0.1", tcp)) {
                    int from = send(s, bytes);
                    assertProxyHeader(frames.next(payload), from, tcp, payload);
                }
                try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", tcpTls)) {
                    s.startHandshake();
                    int from = send(s, bytes);
                    assertProxyHeader(frames.next(payload), from, tcpTls, payload);
                }
            }
        }
    }

    @Test
    void httpRecipeCarriesWebSocketsAndPagesToARealGateway(@TempDir Path dir) throws Exception {
        Path[] pair = Nginx.certificate(dir);
        int plain = freePort();
        int tls = freePort();
        try (TestServer gateway = TestServer.start()) {
            String conf = Nginx.withCertificate(Nginx.recipe("chat-gateway-http.conf"), pair);
            conf = move(conf, "listen 80;", "listen 127.0.0.1:" + plain + ";");
            conf = move(conf, "listen 443 ssl;", "listen 127.0.0.1:" + tls + " ssl;");
            conf = move(conf, "server 127.0.0.1:8080 ", "server 127.0.0.1:" + gateway.httpPort() + " ");
            try (Nginx nginx = Nginx.start(dir, conf, true, plain)) {
                HttpClient http = HttpClient.newBuilder().sslContext(trusting(pair[0]))
                        .connectTimeout(Duration.ofSeconds(5)).build();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + plain + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), health.body());

                for (String url : new String[] {"ws://127.0.0.1:" + plain + "/ws", "wss://127.0.0.1:" + tls + "/ws"}) {
                    BlockingQueue<String> frames = new ArrayBlockingQueue<>(16);
                    WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            frames.add(data.toString());
                            w.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
                    ws.sendText("{\"type\":\"auth\",\"token\":\"through-nginx\",\"id\":1}", true).get(5, TimeUnit.SECONDS);
                    JsonNode welcome = TestClient.JSON.readTree(frames.poll(10, TimeUnit.SECONDS));
                    assertEquals("welcome", welcome.path("type").asText(), url + ": " + welcome);
                    assertEquals("through-nginx", welcome.path("user").asText());
                    ws.sendText("{\"type\":\"ping\",\"id\":2}", true).get(5, TimeUnit.SECONDS);
                    assertEquals("pong", TestClient.JSON.readTree(frames.poll(10, TimeUnit.SECONDS)).path("type").asText());
                    // Behind the http module the gateway's peer is nginx, whatever the client's address.
                    TestServer.await("the gateway has the connection", () -> gateway.server().gateway().connections()
                            .size() == 1);
                    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
                    TestServer.await("the gateway saw the close", () -> gateway.server().gateway().connections()
                            .size() == 0);
                }
            }
        }
    }

    @Test
    void httpVariantsTcpCompanionCarriesFramesToARealGateway(@TempDir Path dir) throws Exception {
        int tcp = freePort();
        try (TestServer gateway = TestServer.start()) {
            String conf = Nginx.recipe("chat-gateway-http-tcp.conf");
            conf = move(conf, "listen 9090 ", "listen 127.0.0.1:" + tcp + " ");
            conf = move(conf, "server 127.0.0.1:9090 ", "server 127.0.0.1:" + gateway.tcpPort() + " ");
            try (Nginx nginx = Nginx.start(dir, conf, false, tcp); TcpClient c = TcpClient.connect("127.0.0.1", tcp)) {
                assertEquals("tcp-through-nginx", c.auth("tcp-through-nginx").path("user").asText());
                c.sendFields("type", "ping", "id", 7);
                assertEquals(7, c.expect("pong").path("id").asInt());
                assertNotEquals(0, gateway.server().gateway().connections().size());
            }
        }
    }
}
