package io.chatgateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.history.Position;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.routing.LocalDelivery;
import io.chatgateway.routing.LocalRouter;
import io.chatgateway.session.Connection;
import io.chatgateway.session.SessionMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resuming with {@code since}, deterministically: every peer is an {@link io.netty.channel.embedded.EmbeddedChannel}
 * with an event loop of its own whose tasks run only when the test says, so the interleavings of a join (or login)
 * with publishes that a real server leaves to chance are each played out on purpose.
 */
class HistoryReplayTest {
    private final List<EmbeddedPeer> peers = new ArrayList<>();
    private LocalDelivery delivery;

    private Gateway gateway(UnaryOperator<GatewayConfig.Builder> config) {
        return Gateway.builder(config.apply(GatewayConfig.builder().nodeId("h")).build())
                .authenticator(new DevelopmentAuthenticator())
                .routerFactory((g, d) -> {
                    delivery = d;
                    return new LocalRouter(g, d);
                })
                .build();
    }

    private EmbeddedPeer peer(Gateway g, String user) {
        EmbeddedPeer p = new EmbeddedPeer(g);
        peers.add(p);
        p.login(user);
        return p;
    }

    @AfterEach
    void release() {
        peers.forEach(EmbeddedPeer::release);
    }

    private static JsonNode join(EmbeddedPeer p, String room, Position since) {
        p.send(since == null ? "{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"j\"}"
                : "{\"type\":\"join\",\"room\":\"" + room + "\",\"id\":\"j\",\"since\":{\"epoch\":\"" + since.epoch()
                        + "\",\"offset\":" + since.offset() + "}}");
        return p.expect("ack");
    }

    private static void publish(EmbeddedPeer p, String room, String body) {
        p.send("{\"type\":\"publish\",\"room\":\"" + room + "\",\"body\":\"" + body + "\"}");
        next(p, "ack");
    }

    /** The next frame of this type, skipping membership announcements. */
    private static JsonNode next(EmbeddedPeer p, String type) {
        for (;;) {
            JsonNode n = p.poll();
            assertTrue(n != null, "expected a '" + type + "' frame, got nothing");
            String t = n.path("type").asText();
            if (t.equals(type)) {
                return n;
            }
            assertTrue(t.equals("joined") || t.equals("left"), () -> "expected '" + type + "', got " + n);
        }
    }

    /** The bodies and offsets of the message frames the peer received until its next ack. */
    private static List<String> messagesThenAck(EmbeddedPeer p) {
        List<String> seen = new ArrayList<>();
        for (JsonNode n; (n = p.poll()) != null; ) {
            String type = n.path("type").asText();
            seen.add(type.equals("message") ? n.get("body").asText() + "@" + n.get("offset").asLong() : type);
        }
        return seen;
    }

    @Test
    void aJoinWithSinceReplaysWhatItMissedThenAnswersThenGoesLive() {
        Gateway g = gateway(b -> b);
        EmbeddedPeer publisher = peer(g, "pub");
        join(publisher, "r", null);
        EmbeddedPeer first = peer(g, "reader");
        JsonNode ack = join(first, "r", null);
        String epoch = ack.get("epoch").asText();
        assertEquals(0, ack.get("offset").asLong());
        assertTrue(ack.get("events").asBoolean());
        publisher.poll(); // joined
        publish(publisher, "r", "m1");
        publish(publisher, "r", "m2");
        assertEquals(List.of("m1@1", "m2@2"), messagesThenAck(first));
        first.channel.close();
        publisher.poll(); // left

        publish(publisher, "r", "m3");
        publish(publisher, "r", "m4");
        EmbeddedPeer back = peer(g, "reader");
        back.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":2}}");
        // A publish right after the join, whose task on the reader's loop has not run yet.
        publish(publisher, "r", "m5");
        List<String> seen = new ArrayList<>();
        for (JsonNode n; (n = back.poll()) != null; ) {
            String type = n.path("type").asText();
            if (type.equals("ack")) {
                assertTrue(n.get("recovered").asBoolean());
                assertEquals(4, n.get("offset").asLong(), "the ack tells the latest offset at the join");
            }
            seen.add(type.equals("message") ? n.get("body").asText() + "@" + n.get("offset").asLong() : type);
        }
        assertEquals(List.of("m3@3", "m4@4", "ack", "m5@5"), seen, "replay, answer, live: none twice, none skipped");
        assertEquals(1, g.metrics().recoveries(true, true));
    }

    @Test
    void aPublishThatWinsTheRaceIsReplayedNotDeliveredLive() {
        Gateway g = gateway(b -> b);
        EmbeddedPeer publisher = peer(g, "pub");
        String epoch = join(publisher, "r", null).get("epoch").asText();
        publish(publisher, "r", "m1");
        EmbeddedPeer reader = peer(g, "reader");
        // The publish is carried out before the join: it is in the history the join reads, and the reader was no
        // member when it was handed out.
        publish(publisher, "r", "m2");
        reader.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":0}}");
        assertEquals(List.of("m1@1", "m2@2", "ack"), messagesThenAck(reader));
        publish(publisher, "r", "m3");
        assertEquals(List.of("m3@3"), messagesThenAck(reader));
    }

    @Test
    void aJoinThatCannotRecoverSaysSoAndReplaysNothing() {
        Gateway g = gateway(b -> b.history(2, java.time.Duration.ofSeconds(60)));
        EmbeddedPeer publisher = peer(g, "pub");
        String epoch = join(publisher, "r", null).get("epoch").asText();
        for (int i = 1; i <= 4; i++) {
            publish(publisher, "r", "m" + i);
        }
        EmbeddedPeer tooOld = peer(g, "a");
        tooOld.send("{\"type\":\"join\",\"room\":\"r\",\"id\":1,\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":1}}");
        JsonNode ack = tooOld.expect("ack");
        assertFalse(ack.get("recovered").asBoolean(), "message 2 is no longer held");
        assertEquals(4, ack.get("offset").asLong());
        EmbeddedPeer otherEpoch = peer(g, "b");
        otherEpoch.send("{\"type\":\"join\",\"room\":\"r\",\"id\":1,\"since\":{\"epoch\":\"gone\",\"offset\":3}}");
        assertFalse(otherEpoch.expect("ack").get("recovered").asBoolean());
        publish(publisher, "r", "m5");
        assertEquals("m5", next(tooOld, "message").get("body").asText(), "live from the ack on, either way");
        assertEquals(2, g.metrics().recoveries(true, false));
    }

    @Test
    void aLoginWithSinceGetsTheMissedDirectMessagesBeforeItsWelcome() {
        Gateway g = gateway(b -> b.sessionMode(SessionMode.MULTI));
        EmbeddedPeer sender = peer(g, "sender");
        EmbeddedPeer bob = new EmbeddedPeer(g);
        peers.add(bob);
        bob.send("{\"type\":\"auth\",\"token\":\"bob\"}");
        JsonNode welcome = bob.expect("welcome");
        String epoch = welcome.get("inbox").get("epoch").asText();
        assertEquals(0, welcome.get("inbox").get("offset").asLong());
        sender.send("{\"type\":\"send\",\"to\":\"bob\",\"body\":\"d1\",\"id\":1}");
        assertEquals(1, sender.expect("ack").get("recipients").asInt());
        assertEquals(1, bob.expect("message").get("offset").asLong());
        bob.channel.close();

        sender.send("{\"type\":\"send\",\"to\":\"bob\",\"body\":\"d2\",\"id\":2}");
        JsonNode stored = sender.expect("ack");
        assertEquals(0, stored.get("recipients").asInt());
        assertTrue(stored.get("stored").asBoolean(), "kept for bob, who was online moments ago");
        EmbeddedPeer again = new EmbeddedPeer(g);
        peers.add(again);
        again.send("{\"type\":\"auth\",\"token\":\"bob\",\"since\":{\"epoch\":\"" + epoch + "\",\"offset\":1}}");
        sender.send("{\"type\":\"send\",\"to\":\"bob\",\"body\":\"d3\",\"id\":3}");
        assertEquals(1, sender.expect("ack").get("recipients").asInt());
        List<String> seen = new ArrayList<>();
        for (JsonNode n; (n = again.poll()) != null; ) {
            String type = n.path("type").asText();
            if (type.equals("welcome")) {
                assertTrue(n.get("recovered").asBoolean());
                assertEquals(2, n.get("inbox").get("offset").asLong());
            }
            seen.add(type.equals("message") ? n.get("body").asText() + "@" + n.get("offset").asLong() : type);
        }
        assertEquals(List.of("d2@2", "welcome", "d3@3"), seen);
        assertEquals(1, g.metrics().recoveries(false, true));
    }

    @Test
    void ephemeralMessagesAreDeliveredInOrderButNeitherKeptNorNumbered() {
        Gateway g = gateway(b -> b);
        EmbeddedPeer publisher = peer(g, "pub");
        String epoch = join(publisher, "r", null).get("epoch").asText();
        EmbeddedPeer member = peer(g, "m");
        join(member, "r", null);
        publisher.poll();
        publish(publisher, "r", "kept");
        publisher.send("{\"type\":\"publish\",\"room\":\"r\",\"body\":\"typing\",\"ephemeral\":true}");
        publisher.expect("ack");
        publish(publisher, "r", "kept2");
        JsonNode a = member.expect("message");
        JsonNode typing = member.expect("message");
        JsonNode b = member.expect("message");
        assertEquals(1, a.get("offset").asLong());
        assertEquals("typing", typing.get("body").asText());
        assertFalse(typing.has("offset"), "an ephemeral message has no offset");
        assertEquals(2, b.get("offset").asLong(), "and takes none: the next kept message follows on");
        publisher.send("{\"type\":\"history\",\"room\":\"r\",\"id\":\"h\",\"since\":{\"epoch\":\"" + epoch
                + "\",\"offset\":0}}");
        JsonNode history = publisher.expect("history");
        assertEquals(2, history.get("messages").size());
        assertEquals("kept", history.get("messages").get(0).get("body").asText());
        assertEquals("kept2", history.get("messages").get(1).get("body").asText());
        assertTrue(history.get("recovered").asBoolean());
    }

    @Test
    void theClusterGateHoldsLiveFramesUntilTheAnswerAndDropsThoseTheReplayGave() {
        Gateway g = gateway(b -> b);
        EmbeddedPeer reader = peer(g, "reader");
        join(reader, "r", null);
        Connection c = reader.connection();
        // As a cluster router does while the broker's replay is on its way.
        c.closeGate("r");
        for (long offset = 3; offset <= 6; offset++) {
            delivery.toRoom("r", message("live" + offset, offset), null, OutboundType.MESSAGE, false,
                    new Position("e", offset));
        }
        assertNull(reader.poll(), "held while the replay is on its way");
        // The handler writes the replay (3..5) and the ack, then opens the gate at the ack's position.
        for (long offset = 3; offset <= 5; offset++) {
            reader.channel.writeAndFlush(message("replay" + offset, offset));
        }
        reader.channel.writeAndFlush(Unpooled.copiedBuffer("{\"type\":\"ack\"}", StandardCharsets.UTF_8));
        delivery.releaseGate(c, "r", new Position("e", 5));
        delivery.toRoom("r", message("live7", 7), null, OutboundType.MESSAGE, false, new Position("e", 7));
        List<String> seen = new ArrayList<>();
        for (JsonNode n; (n = reader.poll()) != null; ) {
            seen.add(n.path("type").asText().equals("message") ? n.get("body").asText() : n.path("type").asText());
        }
        assertEquals(List.of("replay3", "replay4", "replay5", "ack", "live6", "live7"), seen);
    }

    private static ByteBuf message(String body, long offset) {
        return Unpooled.copiedBuffer("{\"type\":\"message\",\"room\":\"r\",\"body\":\"" + body + "\",\"offset\":"
                + offset + "}", StandardCharsets.UTF_8);
    }
}
