package io.chatgateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatgateway.Gateway;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * One client connection through the gateway's complete TCP pipeline, in memory: an {@link EmbeddedChannel} built
 * by the real {@link TcpChannelInitializer}, fed length-prefixed JSON and read back frame by frame.
 */
final class EmbeddedPeer {
    private static final ObjectMapper JSON = new ObjectMapper();

    final EmbeddedChannel channel;
    private final ByteBuf received = Unpooled.buffer();

    EmbeddedPeer(Gateway gateway) {
        // Every EmbeddedChannel shares one default id; the registry and channel groups need distinct ones.
        this.channel = new EmbeddedChannel(DefaultChannelId.newInstance(), gateway.tcpInitializer());
    }

    /** Sends one frame with this JSON text. */
    void send(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        channel.writeInbound(Unpooled.buffer(4 + b.length).writeInt(b.length).writeBytes(b));
    }

    /** The next frame the gateway wrote, or {@code null}. Runs pending tasks first (scheduled flushes). */
    JsonNode poll() {
        channel.runPendingTasks();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            received.writeBytes(b);
            b.release();
        }
        if (received.readableBytes() < 4) {
            return null;
        }
        int length = received.getInt(received.readerIndex());
        if (received.readableBytes() < 4 + length) {
            return null;
        }
        received.skipBytes(4);
        String text = received.readCharSequence(length, StandardCharsets.UTF_8).toString();
        received.discardReadBytes();
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    JsonNode expect(String type) {
        JsonNode n = poll();
        assertNotNull(n, "expected a '" + type + "' frame, got nothing");
        assertEquals(type, n.path("type").asText(), () -> "expected '" + type + "', got " + n);
        return n;
    }

    JsonNode expectError(String code) {
        JsonNode n = expect("error");
        assertEquals(code, n.path("code").asText(), n::toString);
        return n;
    }

    void expectNothing() {
        JsonNode n = poll();
        assertNull(n, () -> "expected nothing, got " + n);
    }

    JsonNode login(String user) {
        send("{\"type\":\"auth\",\"token\":\"" + user + "\"}");
        return expect("welcome");
    }

    Connection connection() {
        return Connection.of(channel);
    }

    void release() {
        received.release();
        channel.finishAndReleaseAll();
    }
}
