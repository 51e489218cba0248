package io.chatgateway.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.testing.TestClient;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a shard's replica promoted by a failover shows the nodes, played deterministically on a real three-primary
 * Redis Cluster by writing keys by hand: history records started on another server (the old primary), and a node
 * listed as live with users and members that has not subscribed to the shard yet.
 */
@Timeout(120)
class RedisClusterShardFailoverTest {
    private static RedisClusterServer redis;
    private static TestServer a;

    @BeforeAll
    static void start() {
        redis = RedisClusterServer.start(3);
        a = RedisClusterShardedTest.node(redis, "sfA", Map.of());
    }

    @AfterAll
    static void stop() {
        try {
            if (a != null) {
                a.close();
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }

    private static Object command(String key, String... args) throws Exception {
        return RedisClusterServer.command(redis.ownerOf(key), args);
    }

    private static String runIdOf(String key) throws Exception {
        String info = (String) command(key, "INFO", "server");
        for (String line : info.split("\\r?\\n")) {
            if (line.startsWith("run_id:")) {
                return line.substring("run_id:".length()).trim();
            }
        }
        throw new AssertionError(info);
    }

    @Test
    void aHistoryRecordFromAnotherServerStartsANewEpoch() throws Exception {
        String room = "sf-room";
        String hkey = "gw:r:{" + room + "}:h";
        TestClient alice = a.login(Transport.TCP, "sf-alice");
        TestClient bob = a.login(Transport.TCP, "sf-bob");
        bob.sendFields("type", "join", "id", "j", "room", room);
        String epoch = bob.expect("ack").get("epoch").asText();
        alice.sendFields("type", "join", "id", "j", "room", room);
        alice.expect("ack");
        bob.expect("joined");
        alice.sendFields("type", "publish", "id", "p1", "room", room, "body", "one");
        alice.expect("ack");
        assertEquals(1, bob.expect("message").get("offset").asLong());
        alice.sendFields("type", "publish", "id", "p2", "room", room, "body", "two");
        alice.expect("ack");
        assertEquals(2, bob.expect("message").get("offset").asLong());
        assertEquals(runIdOf(hkey), command(hkey, "HGET", hkey, "s"), "the record names the shard it started on");

        // The record as a promoted replica has it: copied from the old primary, perhaps without its last messages.
        command(hkey, "HSET", hkey, "s", "0123456789abcdef0123456789abcdef01234567");
        alice.sendFields("type", "publish", "id", "p3", "room", room, "body", "three");
        alice.expect("ack");
        JsonNode three = bob.expect("message");
        assertEquals(1, three.get("offset").asLong(), "a new epoch, offsets from 1: " + three);
        assertNotEquals(epoch, command(hkey, "HGET", hkey, "e"));
        assertEquals(runIdOf(hkey), command(hkey, "HGET", hkey, "s"));
        TestClient carol = a.login(Transport.TCP, "sf-carol");
        carol.sendFields("type", "join", "id", "rj", "room", room, "since", TestClient.obj("epoch", epoch, "offset", 2));
        java.util.List<JsonNode> frames = carol.until("ack");
        JsonNode rejoined = frames.get(frames.size() - 1);
        assertEquals(false, rejoined.get("recovered").asBoolean(), "told to fetch what it missed: " + rejoined);
        bob.expect("joined");
        alice.expect("joined");

        // The same for an inbox.
        String ikey = "gw:u:{sf-bob}:i";
        alice.sendFields("type", "send", "id", "s1", "to", "sf-bob", "body", "d1");
        alice.expect("ack");
        assertEquals(1, bob.expect("message").get("offset").asLong());
        String inboxEpoch = (String) command(ikey, "HGET", ikey, "e");
        command(ikey, "HSET", ikey, "s", "0123456789abcdef0123456789abcdef01234567");
        alice.sendFields("type", "send", "id", "s2", "to", "sf-bob", "body", "d2");
        alice.expect("ack");
        assertEquals(1, bob.expect("message").get("offset").asLong(), "the inbox starts again too");
        assertNotEquals(inboxEpoch, command(ikey, "HGET", ikey, "e"));
    }

    @Test
    void countsOnlyNodesSubscribedOnTheShard() throws Exception {
        String room = "sf-ghost-room";
        String user = "sf-ghost";
        TestClient alice = a.login(Transport.TCP, "sf-alice2");
        alice.sendFields("type", "join", "id", 0, "room", room);
        alice.expect("ack");
        command("{gw}:nodes", "ZADD", "{gw}:nodes", Long.toString(System.currentTimeMillis() + 600_000), "ghost");
        String ukey = "gw:u:{" + user + "}";
        command(ukey, "HSET", ukey, "ghost", "ghost.1/1");
        command("gw:n:{ghost}:users", "SADD", "gw:n:{ghost}:users", user);
        String rkey = "gw:r:{" + room + "}";
        command(rkey, "HSET", rkey + ":n", "ghost", "1");
        command(rkey, "HSET", rkey + ":u", user, "ghost.1");
        // The node reads the live nodes at its lease refresh.
        TestServer.await("the ghost counts as live", () -> {
            alice.sendFields("type", "presence", "id", "pr");
            return ClusterMessagingTest.users(alice.expect("presence")).contains(user);
        });

        alice.sendFields("type", "send", "id", 1, "to", user, "body", "nobody listens");
        JsonNode ack = alice.expect("ack");
        assertEquals(0, ack.get("recipients").asInt(), "not delivered: " + ack);
        assertTrue(ack.path("stored").asBoolean(), "kept in the inbox instead: " + ack);
        alice.sendFields("type", "publish", "id", 2, "room", room, "body", "nobody there");
        assertEquals(0, alice.expect("ack").get("recipients").asInt());

        // Once the ghost subscribes to the channels on their shards, it counts again.
        try (Socket u = subscribe(redis.ownerOf(ukey), ukey + ":ch");
             Socket r = subscribe(redis.ownerOf(rkey), rkey + ":ch")) {
            alice.sendFields("type", "send", "id", 3, "to", user, "body", "now it listens");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertTrue(read(u.getInputStream(), "now it listens").contains(user));
            alice.sendFields("type", "publish", "id", 4, "room", room, "body", "now it is there");
            assertEquals(1, alice.expect("ack").get("recipients").asInt());
            assertTrue(read(r.getInputStream(), "now it is there").contains(room));
        } finally {
            command("{gw}:nodes", "ZREM", "{gw}:nodes", "ghost");
        }
    }

    private static Socket subscribe(int port, String channel) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        s.setSoTimeout(5000);
        OutputStream out = s.getOutputStream();
        byte[] ch = channel.getBytes(StandardCharsets.UTF_8);
        out.write(("*2\r\n$10\r\nSSUBSCRIBE\r\n$" + ch.length + "\r\n" + channel + "\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        String confirmation = read(s.getInputStream(), channel + "\r\n:1\r\n");
        assertTrue(confirmation.contains("ssubscribe"), confirmation);
        return s;
    }

    /** Reads until the text seen so far contains {@code end}. */
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
