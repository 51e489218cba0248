package io.chatgateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.Gateway;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TcpClient;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Connection;
import io.chatgateway.session.Transport;
import io.chatgateway.testing.BrokenPipe;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken and slow recipients over real sockets: evicted or kicked, never silently skipped. */
class BackpressureTest {

    @Test
    void evictsARoomMemberWhoseWriteFails() {
        try (TestServer gateway = TestServer.start()) {
            Gateway engine = gateway.server().gateway();
            TestClient publisher = gateway.login(Transport.WEBSOCKET, "ev-pub");
            TestClient healthy = gateway.login(Transport.TCP, "ev-ok");
            TestClient victim = gateway.login(Transport.WEBSOCKET, "ev-victim");
            for (TestClient c : List.of(publisher, healthy, victim)) {
                c.sendFields("type", "join", "room", "ev");
                c.until("ack");
            }
            Connection v = engine.connections().connectionsOf("ev-victim").get(0);
            v.channel().pipeline().addFirst(BrokenPipe.INSTANCE);

            publisher.sendFields("type", "publish", "room", "ev", "body", "first", "id", 1);
            List<JsonNode> untilAck = publisher.until("ack");
            JsonNode ack = untilAck.get(untilAck.size() - 1);
            assertEquals(2, ack.get("recipients").asInt());
            TestServer.await("the broken member is evicted", () -> !engine.connections().isOnline("ev-victim"));
            assertEquals(1, engine.metrics().evictions());
            assertTrue(engine.metrics().writeFailures() >= 1);
            TestServer.await("the evicted member has left the room",
                    () -> engine.rooms().get("ev").connectionCount() == 2);

            publisher.sendFields("type", "publish", "room", "ev", "body", "second", "id", 2);
            JsonNode second = publisher.until("ack").stream().filter(n -> n.path("id").asInt() == 2).findFirst()
                    .orElseThrow();
            assertEquals(1, second.get("recipients").asInt());
            // The healthy member gets the first message and the victim's 'left', in either order: the message is
            // written by the publisher's event loop and 'left' by the victim's when its write fails, and the
            // protocol orders messages per sender, not a publish against another member's departure.
            List<JsonNode> seen = new java.util.ArrayList<>();
            while (seen.stream().noneMatch(n -> "first".equals(n.path("body").asText()))
                    || seen.stream().noneMatch(n -> "left".equals(n.path("type").asText()))) {
                seen.add(healthy.next());
            }
            JsonNode left = seen.stream().filter(n -> "left".equals(n.path("type").asText())).findFirst().orElseThrow();
            assertEquals("ev-victim", left.get("user").asText(), seen::toString);
        }
    }

    @Test
    void kicksARecipientThatDoesNotReadInsteadOfSkippingMessages() {
        try (TestServer gateway = TestServer.start(Map.of(Setting.RATE_LIMIT_PER_SECOND, "0",
                Setting.OUTBOUND_BUFFER_BYTES, "65536", Setting.SLOW_CONSUMER_GRACE_MS, "500"))) {
            Gateway engine = gateway.server().gateway();
            TcpClient victim = gateway.tcp(4096);
            victim.auth("sc-victim");
            TestClient sender = gateway.login(Transport.TCP, "sc-sender");
            String pad = "x".repeat(8000);
            int sent = 0;
            while (engine.connections().isOnline("sc-victim") && sent < 20_000) {
                sender.sendFields("type", "send", "to", "sc-victim", "body", sent + "|" + pad, "id", sent);
                JsonNode reply = sender.next();
                sent++;
                if ("error".equals(reply.path("type").asText())) {
                    assertEquals("user_offline", reply.path("code").asText(), reply::toString);
                    break;
                }
            }
            TestServer.await("the slow consumer is kicked", () -> !engine.connections().isOnline("sc-victim"));
            assertEquals(1, engine.metrics().kicks(KickReason.SLOW_CONSUMER));
            sender.sendFields("type", "send", "to", "sc-victim", "body", 1, "id", "after");
            // The kicked connection is no recipient; the message waits in the victim's inbox (protocol 1.1).
            JsonNode after = sender.until("ack").stream().filter(n -> "after".equals(n.path("id").asText()))
                    .findFirst().orElseThrow();
            assertEquals(0, after.get("recipients").asInt(), after::toString);
            assertTrue(after.get("stored").asBoolean(), after::toString);
            // What the victim did receive is an unbroken prefix of what was sent, then the connection ends.
            int expected = 0;
            for (JsonNode n; (n = victim.poll(TestClient.WAIT)) != null; ) {
                if ("message".equals(n.path("type").asText())) {
                    assertEquals(expected + "|" + pad, n.get("body").asText(), "no message skipped");
                    expected++;
                }
            }
            assertFalse(victim.isOpen());
            assertTrue(expected < sent, "the kick came before everything was delivered");
        }
    }
}
