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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bench against a gateway that lies: it acknowledges every direct message with one recipient but drops some,
 * delivers some twice and swaps some. The bench must say so, with the right counts.
 */
@Timeout(60)
class LyingGatewayTest {
    private LyingGateway gateway;

    @org.junit.jupiter.api.BeforeEach
    void start() throws IOException {
        gateway = new LyingGateway();
    }

    @AfterEach
    void stop() throws IOException {
        gateway.close();
    }

    @Test
    void countsLostDuplicatedAndReorderedMessages() throws Exception {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        Result r = Bench.run(List.of("direct", "--target", "tcp://127.0.0.1:" + gateway.port(), "--connections", "2",
                "--rate", "100", "--warmup", "0s", "--duration", "1s", "--drain", "1s", "--source-addresses", "none",
                "--quiet"), out, out);
        String printed = output.toString(StandardCharsets.UTF_8);
        assertFalse(r.passed(), printed);
        long sent = r.counter("sent");
        assertEquals(sent, r.counter("ack_recipients"), "the liar acknowledges everything");
        assertEquals(gateway.dropped.get(), (long) r.metric("lost"), printed);
        assertEquals(gateway.duplicated.get(), r.counter("duplicates"), printed);
        assertEquals(gateway.swapped.get(), r.counter("out_of_order"), printed);
        assertTrue(gateway.dropped.get() > 0 && gateway.duplicated.get() > 0 && gateway.swapped.get() > 0);
        assertTrue(printed.contains("[FAIL] lost"), printed);
        assertTrue(printed.contains("[FAIL] duplicated"), printed);
        assertTrue(printed.contains("[FAIL] out of order"), printed);
    }

    /** Protocol v1 over TCP, one thread per connection; every 10th message dropped, duplicated or swapped. */
    static final class LyingGateway extends FakeTcpGateway {
        private final Map<String, DataOutputStream> users = new ConcurrentHashMap<>();
        private final AtomicInteger messages = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();
        final AtomicInteger duplicated = new AtomicInteger();
        final AtomicInteger swapped = new AtomicInteger();

        LyingGateway() throws IOException {
            super("lying-gateway");
            start();
        }

        @Override
        void serve(Socket s) {
            try (s) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                String user = null;
                String held = null;
                DataOutputStream heldFor = null;
                for (;;) {
                    JsonNode f = read(in);
                    switch (f.path("type").asText()) {
                        case "auth":
                            user = f.get("token").asText();
                            users.put(user, out);
                            write(out, "{\"type\":\"welcome\",\"user\":\"" + user + "\",\"conn\":\"c\",\"heartbeat\":60}");
                            break;
                        case "ping":
                            write(out, "{\"type\":\"pong\"}");
                            break;
                        case "send":
                            DataOutputStream to = users.get(f.get("to").asText());
                            String msg = "{\"type\":\"message\",\"mid\":\"m\",\"from\":\"" + user + "\",\"to\":\""
                                    + f.get("to").asText() + "\",\"body\":" + f.get("body") + ",\"ts\":0}";
                            write(out, "{\"type\":\"ack\",\"recipients\":1,\"mid\":\"m\"}");
                            int n = messages.incrementAndGet();
                            if (held != null) {
                                write(heldFor, msg);
                                write(heldFor, held); // the held one arrives after a later one
                                held = null;
                            } else if (n % 10 == 3) {
                                dropped.incrementAndGet();
                            } else if (n % 10 == 5) {
                                write(to, msg);
                                write(to, msg);
                                duplicated.incrementAndGet();
                            } else if ((n % 10 == 7 || n % 10 == 8) && f.path("body").path("s").asLong() == 0) {
                                // Two chances in ten: the count is shared by both senders, which may alternate
                                // so that every 7th message is sender 1's (a clean-clone run swapped none).
                                held = msg;
                                heldFor = to;
                                swapped.incrementAndGet();
                            } else {
                                write(to, msg);
                            }
                            break;
                        default:
                            write(out, "{\"type\":\"error\",\"code\":\"unknown_type\",\"message\":\"?\"}");
                    }
                }
            } catch (IOException e) {
                // connection closed
            }
        }

        @Override
        public void close() throws IOException {
            super.close();
        }
    }
}
