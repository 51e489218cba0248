package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reconnect run of {@code room} against a gateway of protocol 1.1 that keeps every message of its one room and
 * resumes joins with {@code since}, first honestly, then lying in one way across each reconnect: skipping a
 * replayed message, repeating one, swapping two, or answering {@code recovered: true} with nothing replayed. The
 * bench must pass the honest one (so the fake is right and the checker raises no false alarm), catch each lie with
 * the counts that name it, and take an honest {@code recovered: false} as excused, not lost.
 */
@Timeout(60)
class LyingRecoveryTest {
    enum Lie { NONE, SKIP, REPEAT, SWAP, CLAIM, FORGET }

    private RecoveryGateway gateway;

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
    }

    private Result run(Lie lie) throws Exception {
        gateway = new RecoveryGateway(lie);
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Result r = Bench.run(List.of("room", "--target", "tcp://127.0.0.1:" + gateway.port(), "--rooms", "1",
                "--members", "4", "--publishers", "1", "--rate", "200", "--reconnect-rate", "8", "--warmup", "0s",
                "--duration", "1.5s", "--drain", "3s", "--connect-rate", "0", "--source-addresses", "none",
                "--quiet"), out, out);
        printed = output.toString(StandardCharsets.UTF_8);
        assertTrue(gateway.replays.get() >= 3, "the fake replayed after reconnects: " + gateway.replays + "\n"
                + printed);
        return r;
    }

    private String printed;

    /**
     * Lost acknowledged messages: some of those the liar withheld, but not necessarily all, since a message whose
     * ack was still on its way when the publisher's connection was dropped is no acknowledged one (offsets, on the
     * other hand, count every withheld message).
     */
    private void assertAckedLostAtMost(long withheld, Result r) {
        long lost = r.counter("acked_lost");
        assertTrue(lost > 0 && lost <= withheld, "acked lost " + lost + " of " + withheld + " withheld\n" + printed);
    }

    @Test
    void anHonestGatewayPassesWithEveryReplayAccountedFor() throws Exception {
        Result r = run(Lie.NONE);
        assertTrue(r.passed(), printed);
        assertEquals(gateway.replayed.get(), r.counter("replayed"), "every replayed frame was seen as replay");
        assertTrue(r.counter("replayed") > 0, printed);
        assertEquals(r.counter("reconnects"), r.counter("room_recovered"), printed);
        assertEquals(0, r.counter("offset_lost") + r.counter("acked_lost"), printed);
    }

    @Test
    void aReplayThatSkipsAMessageIsAFalseRecoveryAndALoss() throws Exception {
        Result r = run(Lie.SKIP);
        assertFalse(r.passed(), printed);
        long skipped = gateway.lies.get();
        assertTrue(skipped > 0);
        assertEquals(skipped, r.counter("false_recoveries"), printed);
        assertEquals(skipped, r.counter("offset_lost"), printed);
        assertAckedLostAtMost(skipped, r);
        assertEquals(0, r.counter("offset_duplicates") + r.counter("offset_out_of_order"), printed);
        assertTrue(printed.contains("[FAIL] lost: offsets"), printed);
        assertTrue(printed.contains("[FAIL] recovered: true after a gap"), printed);
    }

    @Test
    void aReplayThatRepeatsTheLastSeenMessageIsADuplicate() throws Exception {
        Result r = run(Lie.REPEAT);
        assertFalse(r.passed(), printed);
        long repeated = gateway.lies.get();
        assertTrue(repeated > 0);
        assertEquals(repeated, r.counter("offset_duplicates"), printed);
        assertEquals(repeated, r.counter("duplicates"), "the per-sender sequence sees the same message twice");
        assertEquals(0, r.counter("offset_lost") + r.counter("acked_lost"), printed);
        assertTrue(printed.contains("[FAIL] duplicated: offsets"), printed);
    }

    @Test
    void aReplayThatSwapsTwoMessagesIsOutOfOrder() throws Exception {
        Result r = run(Lie.SWAP);
        assertFalse(r.passed(), printed);
        long swapped = gateway.lies.get();
        assertTrue(swapped > 0);
        assertEquals(swapped, r.counter("offset_out_of_order"), printed);
        // One publisher, so its sequence is swapped too: a failure, or excused when the message that came late was
        // still unanswered when the publisher's connection dropped (it may have been taken after the next one).
        assertEquals(swapped, r.counter("out_of_order") + r.counter("out_of_order_excused"), printed);
        assertTrue(r.counter("out_of_order") > 0, printed);
        assertEquals(0, r.counter("offset_lost") + r.counter("acked_lost") + r.counter("false_recoveries"), printed);
        assertTrue(printed.contains("[FAIL] out of order: offsets"), printed);
    }

    @Test
    void recoveredTrueWithNothingReplayedAfterAGapIsCaught() throws Exception {
        Result r = run(Lie.CLAIM);
        assertFalse(r.passed(), printed);
        assertEquals(gateway.claims.get(), r.counter("false_recoveries"), printed);
        assertEquals(gateway.lies.get(), r.counter("offset_lost"), "every message it claimed and did not send");
        assertAckedLostAtMost(gateway.lies.get(), r);
        assertEquals(0, r.counter("replayed"));
    }

    @Test
    void anHonestRecoveredFalseIsExcusedNotLost() throws Exception {
        Result r = run(Lie.FORGET);
        assertTrue(r.passed(), "recovered: false is the gateway's word, not a failure\n" + printed);
        assertEquals(r.counter("reconnects"), r.counter("room_not_recovered"), printed);
        assertEquals(gateway.lies.get(), r.counter("offsets_excused"), "exactly what it said it could not send");
        assertTrue(r.counter("offsets_excused") > 0, printed);
        assertEquals(0, r.counter("replayed") + r.counter("offset_lost") + r.counter("acked_lost"), printed);
        assertTrue(printed.contains("recovered: false"), printed);
    }

    /**
     * Protocol 1.1 over TCP for one room, one thread per connection, every message kept. A login with {@code since}
     * is answered after 60 ms, so that each reconnect misses messages and its join has something to replay.
     */
    static final class RecoveryGateway extends FakeTcpGateway {
        private static final String EPOCH = "e1";
        private final Lie lie;
        private final Object lock = new Object();
        private final List<String> history = new ArrayList<>();
        private final Map<Socket, DataOutputStream> members = new LinkedHashMap<>();
        final AtomicInteger replays = new AtomicInteger();
        final AtomicInteger replayed = new AtomicInteger();
        final AtomicInteger lies = new AtomicInteger();
        final AtomicInteger claims = new AtomicInteger();

        RecoveryGateway(Lie lie) throws IOException {
            super("recovery-gateway");
            this.lie = lie;
            start();
        }

        @Override
        void serve(Socket s) {
            try (s) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                String user = null;
                for (;;) {
                    JsonNode f = read(in);
                    switch (f.path("type").asText()) {
                        case "auth":
                            user = f.get("token").asText();
                            String recovered = "";
                            if (f.has("since")) {
                                Thread.sleep(60);
                                recovered = ",\"recovered\":true";
                            }
                            write(out, "{\"type\":\"welcome\",\"user\":\"" + user + "\",\"conn\":\"c\",\"heartbeat\":60,"
                                    + "\"inbox\":{\"epoch\":\"i1\",\"offset\":0}" + recovered + "}");
                            break;
                        case "join":
                            // The one publisher (connection 0) is told the truth, but for the lies that make a
                            // publisher's own replay look the same as anyone's (CLAIM, FORGET).
                            join(s, out, f, user.endsWith("-0"));
                            break;
                        case "publish":
                            synchronized (lock) {
                                int offset = history.size() + 1;
                                String msg = "{\"type\":\"message\",\"mid\":\"m" + offset + "\",\"from\":\"" + user
                                        + "\",\"room\":\"" + f.get("room").asText() + "\",\"body\":" + f.get("body")
                                        + ",\"ts\":0,\"offset\":" + offset + "}";
                                history.add(msg);
                                int n = 0;
                                for (Map.Entry<Socket, DataOutputStream> m : members.entrySet()) {
                                    if (m.getKey() != s && deliver(m.getValue(), msg)) {
                                        n++;
                                    }
                                }
                                write(out, "{\"type\":\"ack\",\"recipients\":" + n + ",\"mid\":\"m" + offset + "\"}");
                            }
                            break;
                        case "history":
                            synchronized (lock) {
                                write(out, "{\"type\":\"history\",\"room\":\"" + f.get("room").asText()
                                        + "\",\"epoch\":\"" + EPOCH + "\",\"offset\":" + history.size()
                                        + ",\"messages\":[]}");
                            }
                            break;
                        case "ping":
                            write(out, "{\"type\":\"pong\"}");
                            break;
                        default:
                            write(out, "{\"type\":\"error\",\"code\":\"unknown_type\",\"message\":\"?\"}");
                    }
                }
            } catch (IOException | InterruptedException e) {
                // connection closed
            } finally {
                synchronized (lock) {
                    members.remove(s);
                }
            }
        }

        private void join(Socket s, DataOutputStream out, JsonNode f, boolean publisher) throws IOException {
            synchronized (lock) {
                int last = history.size();
                String recovered = "";
                if (f.has("since")) {
                    int since = f.get("since").get("offset").asInt();
                    List<String> replay = new ArrayList<>(history.subList(since, last));
                    boolean answer = true;
                    Lie told = publisher && lie != Lie.CLAIM && lie != Lie.FORGET ? Lie.NONE : lie;
                    if (!replay.isEmpty()) {
                        replays.incrementAndGet();
                        switch (told) {
                            case SKIP:
                                replay.remove(replay.size() / 2);
                                lies.incrementAndGet();
                                break;
                            case REPEAT:
                                if (since > 0) {
                                    replay.add(0, history.get(since - 1));
                                    lies.incrementAndGet();
                                }
                                break;
                            case SWAP:
                                if (replay.size() >= 2) {
                                    replay.add(1, replay.remove(0));
                                    lies.incrementAndGet();
                                }
                                break;
                            case CLAIM:
                                if (!publisher) {
                                    lies.addAndGet(replay.size());
                                }
                                claims.incrementAndGet();
                                replay.clear();
                                break;
                            case FORGET:
                                lies.addAndGet(replay.size());
                                replay.clear();
                                answer = false;
                                break;
                            default:
                                break;
                        }
                    } else if (lie == Lie.FORGET) {
                        answer = false;
                    }
                    for (String m : replay) {
                        write(out, m);
                        replayed.incrementAndGet();
                    }
                    recovered = answer ? ",\"recovered\":true" : ",\"recovered\":false";
                }
                members.put(s, out);
                write(out, "{\"type\":\"ack\",\"epoch\":\"" + EPOCH + "\",\"offset\":" + last + ",\"events\":false"
                        + recovered + "}");
            }
        }

        /** Writes to a member, which may be gone (a dropped connection): {@code false} then. */
        private static boolean deliver(DataOutputStream out, String json) {
            try {
                write(out, json);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() throws IOException {
            super.close();
            synchronized (lock) {
                for (Socket s : members.keySet()) {
                    s.close();
                }
            }
        }
    }
}
