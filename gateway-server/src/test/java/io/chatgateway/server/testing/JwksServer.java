package io.chatgateway.server.testing;

import com.nimbusds.jose.jwk.JWK;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny identity provider for tests: serves a JWKS at {@code http://127.0.0.1:PORT/jwks}, counts the fetches, and
 * can be told to serve other keys, to fail with a status, or to redirect.
 */
public final class JwksServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-jwks-server");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile String body = "{\"keys\":[]}";
    private volatile int status = 200;
    private volatile String location;
    private volatile long delayMillis;

    private JwksServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(executor);
        server.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            int s = status;
            if (location != null) {
                exchange.getResponseHeaders().set("Location", location);
            }
            exchange.getResponseHeaders().set("Content-Type", "application/jwk-set+json");
            exchange.sendResponseHeaders(s, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    /** Started, serving these keys (their public halves). */
    public static JwksServer serving(List<? extends JWK> keys) {
        try {
            JwksServer s = new JwksServer();
            s.serve(keys);
            return s;
        } catch (IOException e) {
            throw new AssertionError("JWKS server did not start", e);
        }
    }

    /** From now on serves these keys' public halves with HTTP 200. */
    public void serve(List<? extends JWK> keys) {
        StringBuilder sb = new StringBuilder("{\"keys\":[");
        for (int i = 0; i < keys.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(keys.get(i).toPublicJWK().toJSONString());
        }
        serveRaw(200, sb.append("]}").toString());
    }

    /** From now on answers with this status and body. */
    public void serveRaw(int status, String body) {
        this.location = null;
        this.body = body;
        this.status = status;
    }

    /** From now on answers with a redirect to {@code location}. */
    public void redirect(String location) {
        this.body = "";
        this.status = 302;
        this.location = location;
    }

    /** From now on answers each fetch only after this delay. */
    public void delay(Duration delay) {
        this.delayMillis = delay.toMillis();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    }

    public int fetches() {
        return fetches.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
