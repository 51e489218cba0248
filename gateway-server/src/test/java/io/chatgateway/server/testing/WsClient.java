package io.chatgateway.server.testing;

import com.fasterxml.jackson.databind.JsonNode;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client built on the JDK's own {@link java.net.http.WebSocket}: an implementation independent of
 * Netty, so the gateway is tested against a client it shares no code with.
 */
public final class WsClient extends TestClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final WebSocket ws;

    private WsClient(URI uri, Map<String, String> headers, HttpClient http) {
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        headers.forEach(b::header);
        try {
            ws = b.buildAsync(uri, new Listener()).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("WebSocket connect to " + uri + " failed", e);
        }
    }

    /** Connects to {@code uri} with extra handshake headers. */
    public static WsClient connect(URI uri, Map<String, String> headers) {
        return new WsClient(uri, headers, HTTP);
    }

    /** Connects over {@code wss:} with this TLS context (e.g. one that trusts a test certificate). */
    public static WsClient connect(URI uri, Map<String, String> headers, SSLContext tls) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(tls).build();
        return new WsClient(uri, headers, http);
    }

    @Override
    public void send(String json) {
        join(ws.sendText(json, true));
    }

    /** Sends a binary frame. */
    public void sendBinary(byte[] data) {
        join(ws.sendBinary(ByteBuffer.wrap(data), true));
    }

    /** Sends a WebSocket ping control frame. */
    public void sendPing() {
        join(ws.sendPing(ByteBuffer.wrap(new byte[] {1})));
    }

    private static void join(CompletableFuture<WebSocket> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("WebSocket send failed", e);
        }
    }

    @Override
    public JsonNode poll(Duration timeout) {
        try {
            return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public int awaitClose(Duration timeout) {
        try {
            return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("WebSocket not closed within " + timeout, e);
        }
    }

    @Override
    public boolean isOpen() {
        return !closed.isDone() && !ws.isInputClosed();
    }

    /** Drops the TCP connection without a close handshake. */
    @Override
    public void abort() {
        ws.abort();
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        ws.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(parse(partial.toString()));
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            frames.add(parse("{\"type\":\"$unexpected-binary\"}"));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-2);
        }
    }
}
