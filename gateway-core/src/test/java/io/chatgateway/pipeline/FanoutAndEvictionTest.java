package io.chatgateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.RawJson;
import io.chatgateway.session.SessionMode;
import io.chatgateway.testing.BrokenPipe;
import io.chatgateway.policy.Grant;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Room fan-out, server-side operations, write-failure eviction and the slow-consumer policy, in memory. */
class FanoutAndEvictionTest {
    private final List<EmbeddedPeer> peers = new ArrayList<>();

    private Gateway gateway(GatewayConfig config) {
        return Gateway.builder(config).authenticator(new DevelopmentAuthenticator()).build();
    }

    private EmbeddedPeer login(Gateway g, String user) {
        EmbeddedPeer p = new EmbeddedPeer(g);
        peers.add(p);
        p.login(user);
        return p;
    }

    /** Holds a peer's output: nothing written to it is flushed out of its outbound buffer. */
    private static void holdOutput(EmbeddedPeer p) {
        p.channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                // swallowed
            }
        });
    }

    private static void join(EmbeddedPeer p, String room) {
        p.send("{\"type\":\"join\",\"room\":\"" + room + "\"}");
        p.expect("ack");
    }

    /** Joins every peer to {@code room} and reads the {@code joined} announcements that follow. */
    private static void allJoin(String room, EmbeddedPeer... members) {
        for (EmbeddedPeer p : members) {
            join(p, room);
        }
        boolean more = true;
        while (more) {
            more = false;
            for (EmbeddedPeer p : members) {
                more |= p.poll() != null;
            }
        }
    }

    @AfterEach
    void release() {
        peers.forEach(EmbeddedPeer::release);
    }

    @Test
    void evictsAMemberWhoseWriteFailsAndKeepsServingTheOthers() {
        Gateway g = gateway(GatewayConfig.builder().build());
        EmbeddedPeer publisher = login(g, "pub");
        EmbeddedPeer healthy = login(g, "ok");
        EmbeddedPeer broken = login(g, "broken");
        for (EmbeddedPeer p : List.of(publisher, healthy, broken)) {
            join(p, "room");
        }
        healthy.expect("joined");
        publisher.poll();
        publisher.poll();
        broken.channel.pipeline().addFirst(BrokenPipe.INSTANCE);

        publisher.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":1,\"id\":1}");
        // With history on, each member's write is a task on its own event loop: run the broken member's, as its
        // loop would, so that its write fails and it is evicted.
        broken.channel.runPendingTasks();
        // The publisher gets its ack and, as a member, the eviction's "left", in either order.
        JsonNode ack = publisher.poll();
        JsonNode other = publisher.poll();
        if ("left".equals(ack.path("type").asText())) {
            JsonNode t = ack;
            ack = other;
            other = t;
        }
        assertEquals("ack", ack.path("type").asText(), ack::toString);
        assertEquals(2, ack.get("recipients").asInt(), "both members were written to");
        assertEquals("left", other.path("type").asText(), other::toString);
        assertEquals("disconnect", other.path("reason").asText());
        // The message and the eviction's "left" may come in either order: the write to the broken member may fail
        // before or after the healthy member's write, depending on the group's iteration order.
        java.util.Set<String> seen = new java.util.HashSet<>();
        seen.add(healthy.poll().path("type").asText());
        seen.add(healthy.poll().path("type").asText());
        assertEquals(java.util.Set.of("message", "left"), seen);
        assertFalse(broken.channel.isOpen(), "the member whose write failed is closed");
        assertEquals(1, g.metrics().writeFailures());
        assertEquals(1, g.metrics().evictions());
        assertEquals(2, g.connections().size());
        assertEquals(2, g.rooms().get("room").connectionCount());

        publisher.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":2,\"id\":2}");
        assertEquals(1, publisher.expect("ack").get("recipients").asInt());
        assertEquals(2, healthy.expect("message").get("body").asInt());
    }

    @Test
    void serverSideOperationsReachUsersRoomsAndEveryone() throws Exception {
        Gateway g = gateway(GatewayConfig.builder().sessionMode(SessionMode.MULTI).build());
        EmbeddedPeer a1 = login(g, "a");
        EmbeddedPeer a2 = login(g, "a");
        EmbeddedPeer b = login(g, "b");
        join(b, "news");

        assertEquals(2, g.sendToUser("a", RawJson.trusted("{\"n\":1}")).toCompletableFuture().get().recipients());
        for (EmbeddedPeer p : List.of(a1, a2)) {
            var m = p.expect("message");
            assertEquals("$server", m.get("from").asText());
            assertEquals("a", m.get("to").asText());
        }
        assertEquals(1, g.publishToRoom("news", RawJson.trusted("\"extra\"")).toCompletableFuture().get().recipients());
        assertEquals("news", b.expect("message").get("room").asText());
        assertEquals(1, g.broadcast(RawJson.trusted("true"), "a").toCompletableFuture().get());
        assertTrue(b.expect("message").get("body").asBoolean());
        a1.expectNothing();
        assertEquals(List.of("a", "b"), g.onlineUsers(10).toCompletableFuture().get().users().stream().sorted().toList());

        assertEquals(2, g.disconnectUser("a").toCompletableFuture().get());
        assertEquals("admin", a1.expect("kicked").get("reason").asText());
        assertEquals("admin", a2.expect("kicked").get("reason").asText());
        assertFalse(a1.channel.isOpen());
        assertEquals(2, g.metrics().kicks(KickReason.ADMIN));
        var stats = g.statistics();
        assertEquals(1, stats.connections());
        assertEquals(1, stats.users());
        assertEquals(1, stats.rooms());
        assertEquals(2, stats.kicks().get(KickReason.ADMIN));
    }

    @Test
    void shutdownKicksEveryConnectionAndCompletesWhenAllAreClosed() throws Exception {
        Gateway g = gateway(GatewayConfig.builder().build());
        EmbeddedPeer a = login(g, "a");
        EmbeddedPeer unauthenticated = new EmbeddedPeer(g);
        peers.add(unauthenticated);
        var done = g.shutdown();
        assertTrue(g.isDraining());
        assertEquals("shutdown", a.expect("kicked").get("reason").asText());
        assertEquals("shutdown", unauthenticated.expect("kicked").get("reason").asText());
        done.get(5, TimeUnit.SECONDS);
        assertEquals(0, g.connections().size());
    }

    @Test
    void kicksAConsumerThatStaysAboveTheOutboundLimit() {
        Gateway g = gateway(GatewayConfig.builder().outboundBufferBytes(2048)
                .slowConsumerGrace(Duration.ofSeconds(2)).build());
        EmbeddedPeer sender = login(g, "sender");
        EmbeddedPeer slow = login(g, "slow");
        slow.channel.freezeTime();
        holdOutput(slow);
        String body = "\"" + "x".repeat(600) + "\"";
        for (int i = 0; i < 4; i++) {
            sender.send("{\"type\":\"send\",\"to\":\"slow\",\"body\":" + body + "}");
            sender.expect("ack");
            slow.channel.runPendingTasks();
        }
        assertFalse(slow.channel.isWritable(), "above the limit");
        assertTrue(slow.channel.isOpen(), "still within the grace period");
        slow.channel.advanceTimeBy(2100, TimeUnit.MILLISECONDS);
        slow.channel.runScheduledPendingTasks();
        assertFalse(slow.channel.isOpen());
        assertEquals(1, g.metrics().kicks(KickReason.SLOW_CONSUMER));
        assertFalse(g.connections().isOnline("slow"));
    }

    @Test
    void kicksAConsumerAtOnceAtTheHardLimit() {
        Gateway g = gateway(GatewayConfig.builder().outboundBufferBytes(1024)
                .slowConsumerGrace(Duration.ofHours(1)).build());
        EmbeddedPeer sender = login(g, "sender");
        EmbeddedPeer slow = login(g, "slow");
        assertKickedAtOnceAtTheHardLimit(g, sender, slow, "{\"type\":\"send\",\"to\":\"slow\",\"body\":");
    }

    @Test
    void aRoomMessageIsFramedOncePerTransportAndMeteredPerConnection() {
        Gateway g = gateway(GatewayConfig.builder().build());
        EmbeddedPeer publisher = login(g, "pub");
        EmbeddedPeer tcpMember = login(g, "tcp");
        join(publisher, "room");
        join(tcpMember, "room");
        EmbeddedChannel ws1 = webSocketMember(g, "ws1", "room");
        EmbeddedChannel ws2 = webSocketMember(g, "ws2", "room");
        while (publisher.poll() != null || tcpMember.poll() != null) {
            // the joined announcements
        }
        drain(ws1);
        drain(ws2);
        Connection c1 = Connection.of(ws1);
        long messagesBefore = c1.messagesOut();
        long bytesBefore = c1.bytesOut();

        publisher.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":{\"n\":1},\"id\":7}");
        assertEquals(3, publisher.expect("ack").get("recipients").asInt());
        JsonNode viaTcp = tcpMember.expect("message");
        ws1.runPendingTasks();
        ws2.runPendingTasks();
        ByteBuf framed1 = ws1.readOutbound();
        ByteBuf framed2 = ws2.readOutbound();
        assertNull(ws1.readOutbound(), "one buffer per recipient: no separate header");
        assertTrue(WebSocketFrameCodecTest.sameMemory(framed1, framed2),
                "both WebSocket members got views of one framed buffer");
        String json1 = WebSocketFrameCodecTest.decode(framed1).get(0);
        String json2 = WebSocketFrameCodecTest.decode(framed2).get(0);
        assertEquals(json1, json2);
        assertEquals(viaTcp.toString(), json1, "the same JSON bytes over both transports");
        assertEquals(messagesBefore + 1, c1.messagesOut(), "metered per connection");
        assertEquals(bytesBefore + json1.getBytes(StandardCharsets.UTF_8).length, c1.bytesOut(),
                "payload bytes, without the framing");
        ws1.finishAndReleaseAll();
        ws2.finishAndReleaseAll();
    }

    @Test
    void aRoomsMessagesBeforeAMembersLoopComesToThemReachItAsOneWriteInOrder() throws Exception {
        Gateway g = gateway(GatewayConfig.builder().build());
        EmbeddedPeer other = login(g, "other");
        EmbeddedPeer sender = login(g, "sender");
        allJoin("room", other, sender);
        EmbeddedChannel ws = webSocketMember(g, "ws", "room");
        while (other.poll() != null || sender.poll() != null) {
            // the joined announcements
        }
        drain(ws);
        Connection member = Connection.of(ws);
        long messagesBefore = member.messagesOut();

        // Two messages from the server: each member's loop has one task for the room's messages, not yet run.
        for (int body = 1; body <= 2; body++) {
            assertEquals(3, g.publishToRoom("room", RawJson.trusted(Integer.toString(body)))
                    .toCompletableFuture().get().recipients());
        }
        // A member publishes before its own loop has come to that task: its message joins the others' batches,
        // and it gets the two before it one by one, without its own.
        sender.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":3,\"id\":9}");
        assertEquals(2, sender.expect("ack").get("recipients").asInt());
        assertEquals(1, sender.expect("message").get("body").asInt());
        assertEquals(2, sender.expect("message").get("body").asInt());
        assertNull(sender.poll(), "not its own message");

        ws.runPendingTasks();
        ByteBuf framed = ws.readOutbound();
        assertNull(ws.readOutbound(), "three messages, one write");
        List<String> texts = WebSocketFrameCodecTest.decode(framed);
        assertEquals(3, texts.size(), texts::toString);
        for (int i = 0; i < 3; i++) {
            assertTrue(texts.get(i).contains("\"body\":" + (i + 1)), texts::toString);
        }
        assertEquals(messagesBefore + 3, member.messagesOut(), "metered as three frames");
        for (int body = 1; body <= 3; body++) {
            assertEquals(body, other.expect("message").get("body").asInt());
        }
        assertNull(other.poll());
        ws.finishAndReleaseAll();
    }

    @Test
    void aMemberWhoJoinsBetweenTwoMessagesGetsOnlyTheSecondAndTheOthersGetBothInOrder() throws Exception {
        Gateway g = gateway(GatewayConfig.builder().build());
        EmbeddedPeer early = login(g, "early");
        join(early, "room");
        assertEquals(1, g.publishToRoom("room", RawJson.trusted("1")).toCompletableFuture().get().recipients());
        // The first message's task on the member's loop has not run; the join changes the room's membership.
        EmbeddedPeer late = login(g, "late");
        join(late, "room");
        assertEquals(2, g.publishToRoom("room", RawJson.trusted("2")).toCompletableFuture().get().recipients());

        assertEquals(2, late.expect("message").get("body").asInt(), "only what came after its join");
        assertNull(late.poll());
        assertEquals(1, early.expect("message").get("body").asInt());
        assertEquals("late", early.expect("joined").get("user").asText());
        assertEquals(2, early.expect("message").get("body").asInt());
        assertNull(early.poll());
    }

    @Test
    void kicksASlowRoomMemberAndKeepsServingTheOthers() {
        Gateway g = gateway(GatewayConfig.builder().outboundBufferBytes(2048)
                .slowConsumerGrace(Duration.ofSeconds(2)).build());
        EmbeddedPeer publisher = login(g, "pub");
        EmbeddedPeer healthy = login(g, "ok");
        EmbeddedPeer slow = login(g, "slow");
        allJoin("room", publisher, healthy, slow);
        slow.channel.freezeTime();
        holdOutput(slow);
        String body = "\"" + "x".repeat(600) + "\"";
        for (int i = 0; i < 4; i++) {
            publisher.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":" + body + "}");
            assertEquals(2, publisher.expect("ack").get("recipients").asInt());
            assertEquals(600, healthy.expect("message").get("body").asText().length());
            slow.channel.runPendingTasks();
        }
        assertFalse(slow.channel.isWritable(), "the shared frames count against the slow member's buffer");
        assertTrue(slow.channel.isOpen(), "still within the grace period");
        slow.channel.advanceTimeBy(2100, TimeUnit.MILLISECONDS);
        slow.channel.runScheduledPendingTasks();
        assertFalse(slow.channel.isOpen());
        assertEquals(1, g.metrics().kicks(KickReason.SLOW_CONSUMER));
        publisher.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":1}");
        JsonNode ack = publisher.poll();
        if ("left".equals(ack.path("type").asText())) {
            ack = publisher.poll();
        }
        assertEquals(1, ack.get("recipients").asInt());
    }

    /**
     * Room messages take the short way in (FlushBatchHandler#writeShared) and do not come down the handlers between
     * the tail and the flush handler; a direct message to one connection still does. An outbound handler placed
     * after the protocol handler sees only the latter.
     */
    @Test
    void aRoomMessageSkipsTheHandlersAboveTheFrontAndADirectMessageDoesNot() {
        Gateway g = gateway(GatewayConfig.builder().build());
        EmbeddedPeer publisher = login(g, "pub");
        EmbeddedPeer member = login(g, "member");
        allJoin("room", publisher, member);
        List<Object> seen = new ArrayList<>();
        member.channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                seen.add(msg.getClass().getSimpleName());
                ctx.write(msg, promise);
            }
        });
        publisher.send("{\"type\":\"publish\",\"room\":\"room\",\"body\":1}");
        publisher.expect("ack");
        assertEquals(1, member.expect("message").get("body").asInt());
        assertEquals(List.of(), seen, "the room message did not pass the tail's handlers");
        publisher.send("{\"type\":\"send\",\"to\":\"member\",\"body\":2}");
        publisher.expect("ack");
        assertEquals(2, member.expect("message").get("body").asInt());
        assertEquals(1, seen.size(), () -> "the direct message did: " + seen);
    }

    /** The hard limit holds for room messages on the short way in too: the member is kicked at once. */
    @Test
    void kicksARoomMemberAtOnceAtTheHardLimit() {
        Gateway g = gateway(GatewayConfig.builder().outboundBufferBytes(1024)
                .slowConsumerGrace(Duration.ofHours(1)).build());
        EmbeddedPeer publisher = login(g, "pub");
        EmbeddedPeer slow = login(g, "slow");
        allJoin("room", publisher, slow);
        assertKickedAtOnceAtTheHardLimit(g, publisher, slow, "{\"type\":\"publish\",\"room\":\"room\",\"body\":");
    }

    /** Holds {@code slow}'s output and sends it 900-byte bodies until the hard limit kicks it, within six. */
    private static void assertKickedAtOnceAtTheHardLimit(Gateway g, EmbeddedPeer sender, EmbeddedPeer slow,
                                                         String framePrefix) {
        holdOutput(slow);
        String body = "\"" + "x".repeat(900) + "\"";
        for (int i = 0; i < 6 && slow.channel.isOpen(); i++) {
            sender.send(framePrefix + body + "}");
            sender.poll();
            slow.channel.runPendingTasks();
        }
        assertFalse(slow.channel.isOpen(), "closed without waiting an hour");
        assertEquals(1, g.metrics().kicks(KickReason.SLOW_CONSUMER));
    }

    /** A WebSocket connection through the real pipeline, upgraded with the token in the URL, joined to a room. */
    private static EmbeddedChannel webSocketMember(Gateway g, String user, String room) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(),
                g.webSocketInitializer(NotFoundHttpHandler.INSTANCE));
        ch.writeInbound(Unpooled.copiedBuffer("GET /ws?token=" + user + " HTTP/1.1\r\nHost: test\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", StandardCharsets.US_ASCII));
        Connection c = Connection.of(ch);
        assertTrue(c != null && c.isAuthenticated(), "upgraded and authenticated");
        assertTrue(g.router().join(c, room, Grant.OPEN, null).toCompletableFuture().join().joined());
        return ch;
    }

    private static void drain(EmbeddedChannel ch) {
        ch.runPendingTasks();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }
}
