package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionRegistry;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebSocketTransportTest {
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.MAX_FRAME_BYTES, "1024"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void sendsWelcomeRightAfterUpgradeWhenTokenIsInQuery() {
        WsClient c = gateway.wsWithToken("query-user");
        JsonNode welcome = c.expect("welcome");
        assertEquals("query-user", welcome.get("user").asText());
        assertEquals(60, welcome.get("heartbeat").asInt());
    }

    @Test
    void sendsWelcomeRightAfterUpgradeWhenTokenIsInAuthorizationHeader() {
        WsClient c = gateway.ws(null, Map.of("Authorization", "Bearer header-user"));
        assertEquals("header-user", c.expect("welcome").get("user").asText());
    }

    @Test
    void readsEveryConnectionWithOneSharedReceiveBufferAllocator() {
        WsClient a = gateway.wsWithToken("recv-a");
        WsClient b = gateway.wsWithToken("recv-b");
        a.expect("welcome");
        b.expect("welcome");
        ConnectionRegistry registry = gateway.server().gateway().connections();
        Connection ca = registry.connectionsOf("recv-a").get(0);
        Connection cb = registry.connectionsOf("recv-b").get(0);
        RecvByteBufAllocator allocator = ca.channel().config().getRecvByteBufAllocator();
        assertTrue(allocator instanceof AdaptiveRecvByteBufAllocator, allocator::toString);
        assertSame(allocator, cb.channel().config().getRecvByteBufAllocator());
        // each channel still sizes its own reads: the guesses are in the channel's handle, not the allocator
        assertNotSame(ca.channel().unsafe().recvBufAllocHandle(), cb.channel().unsafe().recvBufAllocHandle());
    }

    @Test
    void answersBinaryFrameWithUnsupportedAndStaysUsable() {
        WsClient c = gateway.wsWithToken("binary-user");
        c.expect("welcome");
        c.sendBinary(new byte[] {1, 2, 3});
        c.expectError("unsupported");
        c.sendFields("type", "ping", "id", 5);
        assertEquals(5, c.expect("pong").get("id").asInt());
    }

    @Test
    void keepsAnsweringBinaryFramesWithoutClosing() {
        WsClient c = gateway.wsWithToken("binary-many");
        c.expect("welcome");
        for (int i = 0; i < 15; i++) { // more than max-malformed-frames (10): binary is not malformed
            c.sendBinary(new byte[] {(byte) i});
            c.expectError("unsupported");
        }
        c.sendFields("type", "ping", "id", 1);
        c.expect("pong");
    }

    @Test
    void acceptsFrameOfExactlyTheMaximumAndClosesWith1009Above() {
        WsClient c = gateway.wsWithToken("big-user");
        c.expect("welcome");
        String head = "{\"type\":\"ping\",\"id\":1,\"pad\":\"";
        String tail = "\"}";
        String exact = head + "x".repeat(1024 - head.length() - tail.length()) + tail;
        assertEquals(1024, exact.length());
        c.send(exact);
        c.expect("pong");
        c.send(head + "x".repeat(1025 - head.length() - tail.length()) + tail);
        assertEquals(1009, c.awaitClose(Duration.ofSeconds(10)));
    }

    @Test
    void answersWebSocketPingWithPongAndCountsItAsActivity() {
        WsClient c = gateway.wsWithToken("ping-user");
        c.expect("welcome");
        c.sendPing();
        c.sendFields("type", "ping", "id", "after");
        assertEquals("after", c.expect("pong").get("id").asText());
    }
}
