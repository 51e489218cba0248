package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node that Redis lists as live, with a user and a room member, but whose pub/sub connection is not on this
 * server: what a replica promoted by a failover shows of a node that has not reconnected yet. Played by writing
 * the keys of a node "ghost" by hand. What is published for it reaches nobody, so it must not count.
 */
class ClusterUnsubscribedNodeTest {
    private RedisServer redis;
    private TestServer a;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        a = ClusterFixture.node(redis, "subA");
    }

    @AfterEach
    void stop() {
        ClusterFixture.stop(redis, a);
    }

    @Test
    void countsOnlyNodesSubscribedToThisServer() throws Exception {
        TestClient alice = a.login(Transport.TCP, "sub-alice");
        alice.sendFields("type", "join", "id", 0, "room", "sub-room");
        alice.expect("ack");
        redis.command("ZADD", "gw:nodes", Long.toString(System.currentTimeMillis() + 600_000), "ghost");
        redis.command("HSET", "gw:n:ghost:users", "sub-ghost", "ghost.1/99");
        redis.command("HSET", "gw:n:ghost:rooms", "sub-room", "1");
        redis.command("HSET", "gw:n:ghost:room:sub-room", "sub-ghost", "ghost.1");

        alice.sendFields("type", "send", "id", 1, "to", "sub-ghost", "body", "nobody listens");
        JsonNode ack = alice.expect("ack");
        assertEquals(0, ack.get("recipients").asInt(), "not delivered: " + ack);
        assertTrue(ack.path("stored").asBoolean(), "kept in the inbox instead: " + ack);
        alice.sendFields("type", "publish", "id", 2, "room", "sub-room", "body", "nobody there");
        assertEquals(0, alice.expect("ack").get("recipients").asInt());

        // Once the node's inbox has a subscriber on this server, it counts again.
        try (Socket ghost = new Socket()) {
            ghost.connect(new InetSocketAddress("127.0.0.1", redis.port()), 1000);
            ghost.setSoTimeout(5000);
            OutputStream out = ghost.getOutputStream();
            out.write("*2\r\n$9\r\nSUBSCRIBE\r\n$11\r\ngw:in:ghost\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = ghost.getInputStream();
            String confirmation = read(in, "gw:in:ghost\r\n:1\r\n");
            assertTrue(confirmation.contains("subscribe"), confirmation);

            alice.sendFields("type", "send", "id", 3, "to", "sub-ghost", "body", "now it listens");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertTrue(read(in, "now it listens").contains("sub-ghost"));
        }
    }

    /** Reads until the text seen so far ends with {@code end}. */
    private static String read(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (sb.indexOf(end) < 0) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
