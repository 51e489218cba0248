package io.chatgateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.routing.Delivery;
import io.chatgateway.routing.LocalRouter;
import io.chatgateway.routing.Router;
import io.chatgateway.routing.UnavailableException;
import io.chatgateway.session.ConnectionState;
import io.chatgateway.session.SessionMode;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProtocolHandlerTest {
    private final List<EmbeddedPeer> peers = new ArrayList<>();

    private static Gateway gateway(UnaryOperator<GatewayConfig.Builder> config) {
        return Gateway.builder(config.apply(GatewayConfig.builder().nodeId("t")).build())
                .authenticator(new DevelopmentAuthenticator())
                .build();
    }

    private EmbeddedPeer peer(Gateway g) {
        EmbeddedPeer p = new EmbeddedPeer(g);
        peers.add(p);
        return p;
    }

    @AfterEach
    void release() {
        peers.forEach(EmbeddedPeer::release);
    }

    @Test
    void welcomesAuthenticatedConnectionWithItsIdAndTheHeartbeat() {
        Gateway g = gateway(b -> b.heartbeat(Duration.ofSeconds(30)));
        EmbeddedPeer alice = peer(g);
        alice.send("{\"type\":\"auth\",\"token\":\"alice\",\"id\":\"a1\"}");
        JsonNode welcome = alice.expect("welcome");
        assertEquals("a1", welcome.get("id").asText());
        assertEquals("alice", welcome.get("user").asText());
        assertEquals(alice.connection().id(), welcome.get("conn").asText());
        assertEquals(30, welcome.get("heartbeat").asInt());
        assertEquals(ConnectionState.AUTHENTICATED, alice.connection().state());
        assertEquals(List.of(alice.connection()), g.connections().connectionsOf("alice"));
    }

    @Test
    void answersEveryFrameBeforeAuthWithUnauthenticatedAndItsId() {
        EmbeddedPeer p = peer(gateway(b -> b));
        p.send("{\"type\":\"ping\",\"id\":0}");
        assertEquals(0, p.expectError("unauthenticated").get("id").asInt());
        p.send("{\"type\":\"join\",\"room\":\"r\",\"id\":\"j\"}");
        assertEquals("j", p.expectError("unauthenticated").get("id").asText());
        assertTrue(p.channel.isOpen());
        p.login("late");
    }

    @Test
    void rejectsUnacceptableTokenWithUnauthorizedThenCloses() {
        Gateway g = gateway(b -> b);
        EmbeddedPeer p = peer(g);
        p.send("{\"type\":\"auth\",\"token\":\"$server\",\"id\":9}");
        assertEquals(9, p.expectError("unauthorized").get("id").asInt());
        assertFalse(p.channel.isOpen());
        assertEquals(0, g.connections().size());
        assertEquals(1, g.metrics().authFailures());
    }

    @Test
    void answersAuthWithoutTokenWithBadRequest() {
        EmbeddedPeer p = peer(gateway(b -> b));
        p.send("{\"type\":\"auth\",\"token\":42,\"id\":1}");
        JsonNode e = p.expectError("bad_request");
        assertEquals("field 'token' must be a string", e.get("message").asText());
        assertTrue(p.channel.isOpen());
    }

    @Test
    void closesConnectionThatDoesNotAuthenticateInTime() {
        Gateway g = gateway(b -> b.authTimeout(Duration.ofSeconds(3)));
        EmbeddedPeer p = peer(g);
        p.channel.freezeTime();
        p.channel.advanceTimeBy(2900, TimeUnit.MILLISECONDS);
        p.channel.runScheduledPendingTasks();
        assertTrue(p.channel.isOpen());
        p.channel.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        p.channel.runScheduledPendingTasks();
        p.expectError("unauthenticated");
        assertFalse(p.channel.isOpen());
        assertEquals(0, g.connections().size());
    }

    @Test
    void authenticatedConnectionIsNotClosedByTheAuthTimeout() {
        EmbeddedPeer p = peer(gateway(b -> b.authTimeout(Duration.ofSeconds(3))));
        p.channel.freezeTime();
        p.login("quick");
        p.channel.advanceTimeBy(10, TimeUnit.SECONDS);
        p.channel.runScheduledPendingTasks();
        assertTrue(p.channel.isOpen());
    }

    @Test
    void marksSilentConnectionIdleAtHalfTheHeartbeatAndKicksItAtTheFullInterval() {
        Gateway g = gateway(b -> b.heartbeat(Duration.ofSeconds(10)).authTimeout(Duration.ofSeconds(60)));
        EmbeddedPeer p = peer(g);
        p.channel.freezeTime();
        p.login("sleepy");
        p.channel.advanceTimeBy(5100, TimeUnit.MILLISECONDS);
        p.channel.runScheduledPendingTasks();
        assertEquals(ConnectionState.IDLE, p.connection().state());
        p.send("{\"type\":\"ping\",\"id\":1}");
        p.expect("pong");
        assertEquals(ConnectionState.AUTHENTICATED, p.connection().state(), "traffic makes it active again");

        p.channel.advanceTimeBy(9900, TimeUnit.MILLISECONDS);
        p.channel.runScheduledPendingTasks();
        assertTrue(p.channel.isOpen(), "less than the interval since the last frame");
        p.channel.advanceTimeBy(5200, TimeUnit.MILLISECONDS);
        p.channel.runScheduledPendingTasks();
        assertEquals("idle", p.expect("kicked").get("reason").asText());
        assertFalse(p.channel.isOpen());
        assertEquals(1, g.metrics().kicks(KickReason.IDLE));
    }

    @Test
    void rateLimitsFramesAndRecoversAsTokensRefill() {
        MockTicker ticker = Ticker.newMockTicker();
        Gateway g = Gateway.builder(GatewayConfig.builder().rateLimit(1, 3).build())
                .authenticator(new DevelopmentAuthenticator()).ticker(ticker).build();
        EmbeddedPeer p = peer(g);
        p.login("fast");
        p.send("{\"type\":\"ping\",\"id\":1}");
        p.expect("pong");
        p.send("{\"type\":\"ping\",\"id\":2}");
        p.expect("pong");
        p.send("{\"type\":\"ping\",\"id\":3}");
        assertEquals(3, p.expectError("rate_limited").get("id").asInt());
        ticker.advance(1, TimeUnit.SECONDS);
        p.send("{\"type\":\"ping\",\"id\":4}");
        p.expect("pong");
        assertTrue(p.channel.isOpen());
    }

    @Test
    void closesAfterTooManyMalformedFramesAnsweringEachOne() {
        EmbeddedPeer p = peer(gateway(b -> b.maxMalformedFrames(2)));
        p.login("clumsy");
        p.send("not json");
        p.expectError("bad_request");
        p.send("{\"type\":\"warp\",\"id\":1}");
        p.expectError("unknown_type");
        assertTrue(p.channel.isOpen());
        p.send("{\"type\":\"send\",\"id\":2}");
        p.expectError("bad_request");
        assertFalse(p.channel.isOpen());
    }

    @Test
    void refusesConnectionsBeyondTheLimitWithServerBusy() {
        Gateway g = gateway(b -> b.maxConnections(1));
        EmbeddedPeer first = peer(g);
        first.login("one");
        EmbeddedPeer second = peer(g);
        second.expectError("server_busy");
        assertFalse(second.channel.isOpen());
        assertEquals(1, g.connections().size());
        assertEquals(1, g.metrics().rejectedConnections());
        first.channel.close();
        EmbeddedPeer third = peer(g);
        third.login("three");
    }

    @Test
    void replacesTheOldConnectionInSingleSessionMode() {
        Gateway g = gateway(b -> b.sessionMode(SessionMode.SINGLE));
        EmbeddedPeer phone = peer(g);
        phone.login("sam");
        EmbeddedPeer laptop = peer(g);
        laptop.login("sam");
        assertEquals("replaced", phone.expect("kicked").get("reason").asText());
        assertFalse(phone.channel.isOpen());
        assertEquals(List.of(laptop.connection()), g.connections().connectionsOf("sam"));
        assertEquals(1, g.connections().authenticatedCount());
    }

    @Test
    void keepsUpToTheLimitInMultiSessionModeAndReplacesTheOldest() {
        Gateway g = gateway(b -> b.sessionMode(SessionMode.MULTI).maxSessionsPerUser(2));
        EmbeddedPeer one = peer(g);
        one.login("kim");
        EmbeddedPeer two = peer(g);
        two.login("kim");
        one.expectNothing();
        EmbeddedPeer sender = peer(g);
        sender.login("lee");
        sender.send("{\"type\":\"send\",\"to\":\"kim\",\"body\":\"hi\",\"id\":1}");
        assertEquals(2, sender.expect("ack").get("recipients").asInt());
        one.expect("message");
        two.expect("message");

        EmbeddedPeer three = peer(g);
        three.login("kim");
        assertEquals("replaced", one.expect("kicked").get("reason").asText());
        two.expectNothing();
        assertEquals(2, g.connections().connectionsOf("kim").size());
        assertEquals(3, g.connections().authenticatedCount());
    }

    @Test
    void sendToSelfReachesOtherConnectionsButNotTheSendingOne() {
        Gateway g = gateway(b -> b.sessionMode(SessionMode.MULTI));
        EmbeddedPeer a1 = peer(g);
        a1.login("me");
        a1.send("{\"type\":\"send\",\"to\":\"me\",\"body\":1,\"id\":1}");
        a1.expectError("user_offline");
        EmbeddedPeer a2 = peer(g);
        a2.login("me");
        a1.send("{\"type\":\"send\",\"to\":\"me\",\"body\":2,\"id\":2}");
        assertEquals(1, a1.expect("ack").get("recipients").asInt());
        assertEquals(2, a2.expect("message").get("body").asInt());
        a1.expectNothing();
    }

    @Test
    void announcesJoinsAndLeavesOncePerUserAndCountsRecipients() {
        Gateway g = gateway(b -> b.sessionMode(SessionMode.MULTI));
        EmbeddedPeer ann = peer(g);
        ann.login("ann");
        EmbeddedPeer bob1 = peer(g);
        bob1.login("bob");
        EmbeddedPeer bob2 = peer(g);
        bob2.login("bob");

        ann.send("{\"type\":\"join\",\"room\":\"lobby\",\"id\":1}");
        ann.expect("ack");
        bob1.send("{\"type\":\"join\",\"room\":\"lobby\",\"id\":2}");
        bob1.expect("ack");
        JsonNode joined = ann.expect("joined");
        assertEquals("bob", joined.get("user").asText());
        assertEquals("lobby", joined.get("room").asText());
        bob2.send("{\"type\":\"join\",\"room\":\"lobby\",\"id\":3}");
        bob2.expect("ack");
        ann.expectNothing(); // bob was already in the room

        ann.send("{\"type\":\"publish\",\"room\":\"lobby\",\"body\":\"hello\",\"id\":4}");
        assertEquals(2, ann.expect("ack").get("recipients").asInt());
        assertEquals("hello", bob1.expect("message").get("body").asText());
        assertEquals("hello", bob2.expect("message").get("body").asText());

        bob1.send("{\"type\":\"publish\",\"room\":\"lobby\",\"body\":\"yo\",\"id\":5}");
        assertEquals(2, bob1.expect("ack").get("recipients").asInt(), "ann and bob's other connection");
        ann.expect("message");
        bob2.expect("message");

        bob1.send("{\"type\":\"leave\",\"room\":\"lobby\",\"id\":6}");
        bob1.expect("ack");
        ann.expectNothing(); // bob is still in through bob2
        bob2.channel.close();
        JsonNode left = ann.expect("left");
        assertEquals("bob", left.get("user").asText());

        ann.send("{\"type\":\"presence\",\"room\":\"lobby\",\"id\":7}");
        JsonNode presence = ann.expect("presence");
        assertEquals("[\"ann\"]", presence.get("users").toString());
        assertEquals("lobby", presence.get("room").asText());
    }

    @Test
    void refusesLeaveAndPublishOutsideTheRoom() {
        EmbeddedPeer p = peer(gateway(b -> b));
        p.login("outsider");
        p.send("{\"type\":\"leave\",\"room\":\"x\",\"id\":1}");
        assertEquals(1, p.expectError("not_in_room").get("id").asInt());
        p.send("{\"type\":\"publish\",\"room\":\"x\",\"body\":1,\"id\":2}");
        assertEquals(2, p.expectError("not_in_room").get("id").asInt());
    }

    @Test
    void answersMissingAndWronglyTypedFieldsWithBadRequest() {
        EmbeddedPeer p = peer(gateway(b -> b));
        p.login("typo");
        p.send("{\"type\":\"send\",\"to\":\"x\",\"id\":1}");
        assertEquals("missing field 'body'", p.expectError("bad_request").get("message").asText());
        p.send("{\"type\":\"join\",\"room\":[],\"id\":2}");
        assertEquals("field 'room' must be a string", p.expectError("bad_request").get("message").asText());
        p.send("{\"type\":\"join\",\"room\":\"\",\"id\":3}");
        p.expectError("bad_request");
        p.send("{\"type\":\"presence\",\"room\":1,\"id\":4}");
        p.expectError("bad_request");
        p.send("{\"type\":\"auth\",\"token\":\"again\",\"id\":5}");
        p.expectError("bad_request");
    }

    @Test
    void capsTheRoomsOfOneConnection() {
        EmbeddedPeer p = peer(gateway(b -> b.maxRoomsPerConnection(2)));
        p.login("joiner");
        for (int i = 0; i < 2; i++) {
            p.send("{\"type\":\"join\",\"room\":\"r" + i + "\",\"id\":" + i + "}");
            p.expect("ack");
        }
        p.send("{\"type\":\"join\",\"room\":\"r9\",\"id\":9}");
        p.expectError("bad_request");
        p.send("{\"type\":\"join\",\"room\":\"r1\",\"id\":10}");
        p.expect("ack"); // rejoining is not a new room
    }

    @Test
    void truncatesWholeGatewayPresenceAtTheLimit() {
        Gateway g = gateway(b -> b.maxPresenceUsers(2));
        for (String u : new String[] {"u1", "u2", "u3"}) {
            peer(g).login(u);
        }
        EmbeddedPeer asker = peers.get(0);
        asker.send("{\"type\":\"presence\",\"id\":1}");
        JsonNode presence = asker.expect("presence");
        assertEquals(2, presence.get("users").size());
        assertTrue(presence.get("truncated").asBoolean());
        assertFalse(presence.has("room"));
    }

    @Test
    void repliesInFrameOrderWhileTheRouterCompletesLater() {
        List<CompletableFuture<Delivery>> held = new ArrayList<>();
        Gateway g = holdingGateway(held);
        EmbeddedPeer a = peer(g);
        a.login("a");
        EmbeddedPeer b = peer(g);
        b.login("b");
        a.send("{\"type\":\"send\",\"to\":\"b\",\"body\":1,\"id\":1}");
        a.send("{\"type\":\"ping\",\"id\":2}");
        a.expectNothing(); // the ping waits behind the send
        assertFalse(a.channel.config().isAutoRead(), "reading pauses while a frame is pending");
        held.get(0).complete(Delivery.to(1));
        a.channel.runPendingTasks();
        assertEquals(1, a.expect("ack").get("id").asInt());
        assertEquals(2, a.expect("pong").get("id").asInt());
        assertTrue(a.channel.config().isAutoRead());
    }

    @Test
    void answersUnavailableWhenTheRouterCannotReachTheBroker() {
        List<CompletableFuture<Delivery>> held = new ArrayList<>();
        Gateway g = holdingGateway(held);
        EmbeddedPeer a = peer(g);
        a.login("a");
        a.send("{\"type\":\"send\",\"to\":\"b\",\"body\":1,\"id\":\"u\"}");
        held.get(0).completeExceptionally(new UnavailableException("redis down"));
        a.channel.runPendingTasks();
        assertEquals("u", a.expectError("unavailable").get("id").asText());
        assertTrue(a.channel.isOpen());
    }

    @Test
    void removesTheConnectionFromRegistryAndRoomsWhenItCloses() {
        Gateway g = gateway(b -> b);
        EmbeddedPeer p = peer(g);
        p.login("gone");
        p.send("{\"type\":\"join\",\"room\":\"r\",\"id\":1}");
        p.expect("ack");
        assertEquals(1, g.rooms().size());
        p.channel.close();
        assertEquals(0, g.connections().size());
        assertEquals(0, g.connections().userCount());
        assertEquals(0, g.rooms().size());
        assertEquals(ConnectionState.DISCONNECTED, p.connection().state());
    }

    /** A router whose sendToUser does the local delivery but completes only when the test says so. */
    /** A development-mode gateway whose sends complete only when the test completes them (see holdingSends). */
    private static Gateway holdingGateway(List<CompletableFuture<Delivery>> held) {
        return Gateway.builder(GatewayConfig.builder().build())
                .authenticator(new DevelopmentAuthenticator())
                .routerFactory((gw, delivery) -> holdingSends(new LocalRouter(gw, delivery), held))
                .build();
    }

    private static Router holdingSends(Router delegate, List<CompletableFuture<Delivery>> held) {
        return (Router) Proxy.newProxyInstance(Router.class.getClassLoader(), new Class<?>[] {Router.class},
                (proxy, method, args) -> {
                    Object result = method.invoke(delegate, args);
                    if (method.getName().equals("sendToUser")) {
                        CompletableFuture<Delivery> later = new CompletableFuture<>();
                        held.add(later);
                        return later;
                    }
                    return result;
                });
    }
}
