package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A login on node B replaces the user's session on node A (single-session mode), and a user on node A sends to that
 * user while the kick is still on its way to A: the order is forced by holding A's envelopes from the broker, so the
 * old connection is still registered on A, live, when the send is handled there.
 *
 * <p>The race this pins down: A answered from its own registry ("connected here means connected nowhere else") and
 * wrote the message to the connection about to be kicked, or, once the kick had begun but the connection had not
 * closed yet, answered {@code user_offline}, although the new session already had its {@code welcome}.
 */
class ClusterReplacedSessionTest {
    private RedisServer redis;
    private TestServer a;
    private TestServer b;

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a, b);
    }

    @ParameterizedTest(name = "inbox-size={0}")
    @ValueSource(strings = {"0", "100"})
    void aSendFromTheOldSessionsNodeReachesTheNewSessionBeforeTheKickArrives(String inboxSize) {
        redis = RedisServer.start();
        Map<Setting, String> settings = Map.of(Setting.INBOX_SIZE, inboxSize);
        a = ClusterFixture.node(redis, "replA", settings);
        b = ClusterFixture.node(redis, "replB", settings);
        ClusterRouter routerA = a.server().cluster().router();

        TestClient old = a.login(Transport.TCP, "repl-user");
        TestClient carol = a.login(Transport.TCP, "repl-carol");
        routerA.holdEnvelopes();
        TestClient fresh;
        try {
            // Welcomed: Redis has recorded the new session and published the kick for A, which A holds.
            fresh = b.login(Transport.WEBSOCKET, "repl-user");
            carol.sendFields("type", "send", "id", 1, "to", "repl-user", "body", "to the new session");
            carol.expect("ack");
            assertEquals("to the new session", fresh.expect("message").get("body").asText(),
                    "a send after the welcome reaches the new session, from any node");
        } finally {
            routerA.releaseEnvelopes();
        }
        List<JsonNode> beforeKick = old.until("kicked");
        assertEquals("replaced", beforeKick.get(beforeKick.size() - 1).get("reason").asText());
        old.awaitClose(TestClient.WAIT);
        // Gone from node A too: its unregistration then precedes the next send in A's one batch to Redis (the client
        // sees the close before A has processed it; a clean-clone run counted 2 recipients in that gap).
        TestServer.await("the old connection gone from node A",
                () -> !a.server().gateway().connections().isOnline("repl-user"));

        // Once the old connection is gone, the count is the new session alone.
        carol.sendFields("type", "send", "id", 2, "to", "repl-user", "body", "again");
        assertEquals(1, carol.expect("ack").get("recipients").asInt());
        assertEquals("again", fresh.expect("message").get("body").asText());
        fresh.expectNothing(Duration.ofMillis(200));
    }
}
