package io.chatgateway.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.session.Transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery while messages keep coming, on real event loops: publishers on several connections (so several loops)
 * publish without pause while a reader drops its connection and comes back with {@code since} again and again,
 * alternating transports and (given several nodes) nodes. Whatever the interleaving, the reader must see every
 * offset exactly once, in order.
 */
public final class RecoveryChurn {
    private static final int ROUNDS = 30;

    private RecoveryChurn() {
    }

    /**
     * Runs the churn against {@code node(i)} (connection i's node; return the same one for a single node).
     */
    public static void run(IntFunction<TestServer> node, String name) throws Exception {
        String room = "churn-" + name;
        List<TestClient> publishers = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            TestClient c = node.apply(p).login(p % 2 == 0 ? Transport.TCP : Transport.WEBSOCKET, name + "-pub" + p);
            c.sendFields("type", "join", "room", room, "id", "j");
            c.until("ack");
            publishers.add(c);
        }
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> senders = new ArrayList<>();
        for (TestClient p : publishers) {
            Thread t = new Thread(() -> {
                int n = 0;
                while (!stop.get()) {
                    p.sendFields("type", "publish", "room", room, "body", n++);
                    // Paced (about 200 per second each): steady traffic, not a flood the test JVM (with paranoid
                    // leak detection) would take seconds to work off.
                    pause();
                    while (p.poll(Duration.ZERO) != null) {
                        // the acks
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            senders.add(t);
        }
        String epoch = null;
        long last = 0;
        long seen = 0;
        try {
            for (int round = 0; round < ROUNDS; round++) {
                TestClient reader = node.apply(round + 1).connect(round % 2 == 0 ? Transport.WEBSOCKET : Transport.TCP);
                reader.auth(name + "-reader");
                if (epoch == null) {
                    reader.sendFields("type", "join", "room", room, "id", "j");
                } else {
                    reader.send(TestClient.obj("type", "join", "room", room, "id", "j",
                            "since", TestClient.obj("epoch", epoch, "offset", last)).toString());
                }
                boolean acked = false;
                int live = 0;
                while (live < 10) {
                    JsonNode n = reader.next();
                    String type = n.path("type").asText();
                    if (type.equals("ack")) {
                        if (epoch == null) {
                            epoch = n.get("epoch").asText();
                            last = n.get("offset").asLong();
                        } else {
                            assertTrue(n.get("recovered").asBoolean(), "round " + round + ": " + n);
                            assertEquals(epoch, n.get("epoch").asText());
                        }
                        assertTrue(n.get("offset").asLong() == last, "round " + round
                                + ": the ack's offset is the last replayed one: " + n + " after " + last);
                        acked = true;
                    } else if (type.equals("message")) {
                        long offset = n.get("offset").asLong();
                        assertEquals(last + 1, offset, "round " + round + (acked ? " live" : " replay")
                                + ": offsets without a gap or a repeat");
                        last = offset;
                        seen++;
                        if (acked) {
                            live++;
                        }
                    }
                }
                // Drop it without a goodbye half of the time.
                if (round % 2 == 0) {
                    reader.close();
                } else {
                    reader.abort();
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : senders) {
                t.join(5000);
            }
        }
        assertTrue(seen > ROUNDS * 10, "saw " + seen);
    }

    private static void pause() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
