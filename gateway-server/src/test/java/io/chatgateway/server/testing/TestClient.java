package io.chatgateway.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real client of the gateway over one transport, for tests: send JSON, read frames in order, await the close.
 * Every wait is bounded, so a missing frame fails the test instead of hanging it.
 */
public abstract class TestClient implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** How long to wait for a frame that should come. */
    public static final Duration WAIT = Duration.ofSeconds(10);

    /** Sends one frame with this JSON text. */
    public abstract void send(String json);

    /** Sends one frame built from alternating field names and values, e.g. {@code send("type", "ping", "id", 1)}. */
    public void sendFields(Object... fieldsAndValues) {
        send(obj(fieldsAndValues).toString());
    }

    /** The next frame, or {@code null} after {@code timeout}. */
    public abstract JsonNode poll(Duration timeout);

    /** Waits for the connection to be closed by the gateway; returns the WebSocket close code, or -1 for TCP. */
    public abstract int awaitClose(Duration timeout);

    /** {@code true} while the connection is open. */
    public abstract boolean isOpen();

    /** Drops the connection without a goodbye (a TCP reset, or a WebSocket without its closing handshake). */
    public abstract void abort();

    /** Closes the connection from the client side, in the transport's orderly way. */
    @Override
    public abstract void close();

    /** The next frame; fails the test when none comes in time. */
    public JsonNode next() {
        JsonNode n = poll(WAIT);
        assertNotNull(n, "expected a frame, got none within " + WAIT.toSeconds() + "s");
        return n;
    }

    /** The next frame, which must be of this type. */
    public JsonNode expect(String type) {
        JsonNode n = next();
        assertEquals(type, n.path("type").asText(), () -> "expected a '" + type + "' frame, got " + n);
        return n;
    }

    /** The next frame, which must be an error with this code. */
    public JsonNode expectError(String code) {
        JsonNode n = expect("error");
        assertEquals(code, n.path("code").asText(), () -> "unexpected error " + n);
        assertNotNull(n.get("message"), "an error carries a message");
        return n;
    }

    /** Asserts that no frame arrives within {@code quiet}. */
    public void expectNothing(Duration quiet) {
        JsonNode n = poll(quiet);
        assertNull(n, () -> "expected no frame, got " + n);
    }

    /** Frames until one of {@code type} arrives; fails if it does not. */
    public List<JsonNode> until(String type) {
        List<JsonNode> seen = new ArrayList<>();
        while (true) {
            JsonNode n = poll(WAIT);
            if (n == null) {
                fail("no '" + type + "' frame within " + WAIT.toSeconds() + "s; saw " + seen);
            }
            seen.add(n);
            if (type.equals(n.path("type").asText())) {
                return seen;
            }
        }
    }

    /** Authenticates with a token in an {@code auth} frame and returns the {@code welcome}. */
    public JsonNode auth(String token) {
        sendFields("type", "auth", "token", token);
        return expect("welcome");
    }

    /** Closes a client's socket, with a TCP reset when {@code reset}; a socket already gone is fine. */
    static void closeSocket(java.net.Socket socket, boolean reset) {
        try {
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
        } catch (java.io.IOException ignored) {
            // already gone
        }
    }

    public static ObjectNode obj(Object... fieldsAndValues) {
        ObjectNode o = JSON.createObjectNode();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            o.set((String) fieldsAndValues[i], JSON.valueToTree(fieldsAndValues[i + 1]));
        }
        return o;
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("gateway sent a frame that is not JSON: " + text, e);
        }
    }
}
