package io.chatgateway.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.session.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The close frames of the real gateway over a real socket (the production protocol, not Autobahn's echo): a client's
 * WebSocket violation gets exactly one close frame, with the status that names it, and the socket is closed; every
 * byte up to the gateway's FIN is read, so a second close frame would be seen.
 */
class WebSocketCloseFrameTest {
    private static TestServer gateway;

    @BeforeAll
    static void start() {
        gateway = TestServer.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void answersAReservedBitWithOneProtocolErrorAndNothingAfterIt() throws IOException {
        assertEquals(List.of("close 1002"), closesAfter(frame(0x80 | 0x40 | 0x1, "{}".getBytes())));
    }

    @Test
    void answersAnInvalidCloseCodeWithOneProtocolError() throws IOException {
        assertEquals(List.of("close 1002"), closesAfter(frame(0x88, new byte[] {0x03, (byte) 0xE7}))); // 999
    }

    @Test
    void answersInvalidUtf8WithOneInvalidPayload() throws IOException {
        assertEquals(List.of("close 1007"), closesAfter(frame(0x81, new byte[] {'"', (byte) 0xFF, '"'})));
    }

    @Test
    void answersAFrameAboveTheLimitWithOneMessageTooBig() throws IOException {
        // The header alone: the gateway refuses the frame on its length, and no unread payload makes its close a reset.
        byte[] header = Arrays.copyOf(frame(0x82, new byte[70_000]), 2 + 8 + 4);
        assertEquals(List.of("close 1009"), closesAfter(header));
    }

    @Test
    void echoesAClientsCloseOnce() throws IOException {
        assertEquals(List.of("close 1000"), closesAfter(frame(0x88, new byte[] {0x03, (byte) 0xE8})));
    }

    @Test
    void takesAClientLeavingInTheMiddleOfAFragmentedMessageAsAnOrdinaryDisconnect() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger("io.chatgateway");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            long internalBefore = gateway.server().gateway().metrics().errors(ErrorCode.INTERNAL);
            long closedBefore = gateway.server().gateway().metrics().closed(Transport.WEBSOCKET);
            try (Socket s = loggedIn()) {
                s.getOutputStream().write(frame(0x01, "{\"type\":".getBytes(StandardCharsets.US_ASCII)));
                s.getOutputStream().flush();
                s.setSoLinger(true, 0); // a reset: the client is gone, not closing
            }
            await(() -> gateway.server().gateway().metrics().closed(Transport.WEBSOCKET) > closedBefore);
            assertEquals(internalBefore, gateway.server().gateway().metrics().errors(ErrorCode.INTERNAL),
                    "not counted as an internal error");
            List<ILoggingEvent> loud = logged.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).collect(Collectors.toList());
            assertTrue(loud.isEmpty(), () -> "logged " + loud);
        } finally {
            root.detachAppender(logged);
        }
    }

    /** Logs in, sends {@code bytes}, and returns the close frames the gateway sent before it closed the socket. */
    private static List<String> closesAfter(byte[] bytes) throws IOException {
        try (Socket s = loggedIn()) {
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            List<String> closes = new ArrayList<>();
            DataInputStream in = new DataInputStream(s.getInputStream());
            try {
                while (true) {
                    int b0 = in.readUnsignedByte();
                    long length = in.readUnsignedByte() & 0x7F;
                    length = length == 126 ? in.readUnsignedShort() : length == 127 ? in.readLong() : length;
                    byte[] payload = new byte[(int) length];
                    in.readFully(payload);
                    if ((b0 & 0x0F) == 0x8) {
                        closes.add("close " + (payload.length < 2 ? "" : ((payload[0] & 0xFF) << 8 | payload[1] & 0xFF)));
                    }
                }
            } catch (EOFException | SocketException end) {
                // The gateway closed the socket: everything it sent has been read.
            }
            return closes;
        }
    }

    /** A socket upgraded with a token and past its {@code welcome} frame, with a read timeout. */
    private static Socket loggedIn() throws IOException {
        Socket s = new Socket("127.0.0.1", gateway.httpPort());
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /ws?token=close-" + System.nanoTime() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("handshake: " + head);
            }
            head.write(b);
        }
        assertTrue(head.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 101"), head::toString);
        DataInputStream frames = new DataInputStream(in);
        int b0 = frames.readUnsignedByte();
        int length = frames.readUnsignedByte() & 0x7F;
        length = length == 126 ? frames.readUnsignedShort() : length;
        byte[] welcome = new byte[length];
        frames.readFully(welcome);
        assertEquals(0x81, b0);
        assertTrue(new String(welcome, StandardCharsets.UTF_8).contains("\"welcome\""));
        return s;
    }

    /** A masked client frame (zero key: the payload goes as it is). */
    private static byte[] frame(int finRsvOpcode, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(finRsvOpcode);
        if (payload.length <= 125) {
            b.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            b.write(0x80 | 126);
            b.write(payload.length >> 8);
            b.write(payload.length);
        } else {
            b.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                b.write((int) ((long) payload.length >> shift));
            }
        }
        b.write(0);
        b.write(0);
        b.write(0);
        b.write(0);
        b.write(payload, 0, payload.length);
        return b.toByteArray();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(10);
        }
    }
}
