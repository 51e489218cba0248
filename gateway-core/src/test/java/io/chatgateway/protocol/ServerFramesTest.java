package io.chatgateway.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerFramesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
    private final FrameParser parser = new FrameParser(65536, 32);

    private static JsonNode read(ByteBuf buf) throws Exception {
        try {
            return JSON.readTree(buf.toString(StandardCharsets.UTF_8));
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "with \"quotes\" and \\ backslash", "tab\tnew\nline\r\u0001\u001f", "\u00e9\u4e2d\u00fc",
            "\ud83d\ude00 emoji", "\u007f del", "</script>", ""})
    void escapesStringsSoTheyRoundTrip(String user) throws Exception {
        JsonNode n = read(ServerFrames.joined(alloc, "room " + user, user));
        assertEquals("joined", n.get("type").asText());
        assertEquals(user, n.get("user").asText());
        assertEquals("room " + user, n.get("room").asText());
    }

    @Test
    void copiesBodyAndIdVerbatim() throws Exception {
        ClientFrame f = parser.parse("{\"type\":\"send\",\"id\":1.50,\"to\":\"b\",\"body\":{\"x\":[1,2.50,\"\\u00e9\"]}}"
                .getBytes(StandardCharsets.UTF_8));
        ByteBuf msg = ServerFrames.message(alloc, "n1-1", "alice", "b", null, f.body(), 1234);
        String text = msg.toString(StandardCharsets.UTF_8);
        msg.release();
        assertTrue(text.contains("\"body\":{\"x\":[1,2.50,\"\\u00e9\"]}"), text);
        ByteBuf ack = ServerFrames.ack(alloc, f.id(), 3, "n1-1");
        assertTrue(ack.toString(StandardCharsets.UTF_8).contains("\"id\":1.50"));
        JsonNode a = read(ack);
        assertEquals(3, a.get("recipients").asInt());
        assertEquals("n1-1", a.get("mid").asText());
    }

    @Test
    void messageHasRoomOrToOrNeither() throws Exception {
        RawJson body = RawJson.trusted("\"hi\"");
        JsonNode direct = read(ServerFrames.message(alloc, "m", "a", "b", null, body, 1));
        assertEquals("b", direct.get("to").asText());
        assertFalse(direct.has("room"));
        JsonNode room = read(ServerFrames.message(alloc, "m", "a", null, "r", body, 1));
        assertEquals("r", room.get("room").asText());
        assertFalse(room.has("to"));
        JsonNode broadcast = read(ServerFrames.message(alloc, "m", ServerFrames.SERVER_SENDER, null, null, body, 1));
        assertEquals("$server", broadcast.get("from").asText());
        assertFalse(broadcast.has("to") || broadcast.has("room"));
        assertEquals(1, broadcast.get("ts").asLong());
    }

    @Test
    void encodesEveryFrameAsValidJson() throws Exception {
        RawJson id = RawJson.trusted("\"q\"");
        assertEquals("welcome", read(ServerFrames.welcome(alloc, id, "u", "c.1", 60)).get("type").asText());
        JsonNode pong = read(ServerFrames.pong(alloc, null));
        assertEquals("pong", pong.get("type").asText());
        assertFalse(pong.has("id"));
        JsonNode err = read(ServerFrames.error(alloc, id, ErrorCode.NOT_IN_ROOM, "not \"in\" room"));
        assertEquals("not_in_room", err.get("code").asText());
        assertEquals("not \"in\" room", err.get("message").asText());
        JsonNode presence = read(ServerFrames.presence(alloc, id, "r", List.of("a", "b\"c"), true));
        assertEquals(2, presence.get("users").size());
        assertEquals("b\"c", presence.get("users").get(1).asText());
        assertTrue(presence.get("truncated").asBoolean());
        assertFalse(read(ServerFrames.presence(alloc, null, null, List.of(), false)).has("truncated"));
        assertEquals("slow_consumer", read(ServerFrames.kicked(alloc, KickReason.SLOW_CONSUMER)).get("reason").asText());
        JsonNode ackNoCount = read(ServerFrames.ack(alloc, id, -1, null));
        assertFalse(ackNoCount.has("recipients") || ackNoCount.has("mid"));
    }
}
