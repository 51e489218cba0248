package io.chatgateway.pipeline;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.session.CloseReason;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionListener;
import io.chatgateway.session.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The close frames of the production WebSocket pipeline (RFC 6455 sections 5.5.1, 7.1.7 and 7.4), on
 * {@link EmbeddedChannel}s built by the real initializer: whatever ends a connection, exactly one close frame leaves,
 * with the code that says why. Autobahn|Testsuite checks the same over a socket in gateway-server's build.
 */
class WebSocketCloseTest {
    private static final int FIN = 0x80;
    private static final int RSV1 = 0x40;
    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CONTINUATION = 0x0;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    private static final int MAX_FRAME_BYTES = 1024;

    private final Gateway gateway = Gateway.builder(GatewayConfig.builder().nodeId("t")
                    .maxFrameBytes(MAX_FRAME_BYTES).build())
            .authenticator(new DevelopmentAuthenticator())
            .build();
    /** Every channel of the test, and what it sent. */
    private final Map<EmbeddedChannel, Wire> wires = new IdentityHashMap<>();

    @AfterEach
    void release() {
        wires.forEach((ch, wire) -> {
            ch.finishAndReleaseAll();
            wire.bytes.release();
        });
    }

    // ---- the client's violations

    @Test
    void answersAReservedBitWithOneProtocolError() {
        assertClosedOnceWith(1002, frame(FIN | RSV1 | TEXT, ascii("{}")));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x3, 0x7, 0xB, 0xF})
    void answersAReservedOpcodeWithOneProtocolError(int opcode) {
        assertClosedOnceWith(1002, frame(FIN | opcode, new byte[0]));
    }

    @Test
    void answersAFragmentedControlFrameWithOneProtocolError() {
        assertClosedOnceWith(1002, frame(PING, ascii("x")));
    }

    @Test
    void answersAPingAbove125BytesWithOneProtocolError() {
        assertClosedOnceWith(1002, frame(FIN | PING, new byte[126]));
    }

    @Test
    void answersAContinuationWithNothingToContinueWithOneProtocolError() {
        assertClosedOnceWith(1002, frame(FIN | CONTINUATION, ascii("x")));
    }

    @Test
    void answersANewMessageInsideAFragmentedOneWithOneProtocolError() {
        assertClosedOnceWith(1002, frame(TEXT, ascii("{")), frame(FIN | TEXT, ascii("}")));
    }

    @Test
    void answersACloseFrameWithOneBytePayloadWithOneProtocolError() {
        assertClosedOnceWith(1002, frame(FIN | CLOSE, new byte[] {3}));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999})
    void answersAnInvalidCloseCodeWithOneProtocolError(int code) {
        assertClosedOnceWith(1002, close(code, new byte[0]));
    }

    @Test
    void answersInvalidUtf8InACloseReasonWithOneInvalidPayload() {
        assertClosedOnceWith(1007, close(1000, new byte[] {(byte) 0xCE, (byte) 0xBA, (byte) 0xE1, (byte) 0xBD,
                (byte) 0xB9, (byte) 0xCF, (byte) 0x83, (byte) 0xCE, (byte) 0xBC, (byte) 0xCE, (byte) 0xB5, (byte) 0xED,
                (byte) 0xA0, (byte) 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64}));
    }

    @Test
    void answersInvalidUtf8InATextMessageWithOneInvalidPayload() {
        assertClosedOnceWith(1007, frame(FIN | TEXT, new byte[] {'"', (byte) 0xC0, (byte) 0xAF, '"'}));
    }

    @Test
    void answersInvalidUtf8InTheMiddleOfAFragmentedTextMessageWithOneInvalidPayload() {
        assertClosedOnceWith(1007, frame(TEXT, ascii("\"ok")), frame(CONTINUATION, new byte[] {(byte) 0xFF}));
    }

    @Test
    void answersAFrameAboveTheLimitWithOneMessageTooBig() {
        assertClosedOnceWith(1009, frame(FIN | TEXT, jsonString(MAX_FRAME_BYTES + 1)));
    }

    @Test
    void answersAFragmentedMessageAboveTheLimitWithOneMessageTooBig() {
        byte[] half = new byte[MAX_FRAME_BYTES / 2 + 1];
        Arrays.fill(half, (byte) 'x');
        assertClosedOnceWith(1009, frame(TEXT, half), frame(FIN | CONTINUATION, half));
    }

    @Test
    void answersABinaryMessageAboveTheLimitWithOneMessageTooBig() {
        assertClosedOnceWith(1009, frame(FIN | BINARY, new byte[MAX_FRAME_BYTES + 1]));
    }

    // ---- closes the client starts

    @ParameterizedTest
    @ValueSource(ints = {1000, 1001, 1003, 1011, 3000, 4999})
    void echoesTheClientsCloseOnce(int code) {
        EmbeddedChannel ch = loggedIn("alice");
        ch.writeInbound(close(code, ascii("bye")));
        ServerFrame closeFrame = onlyClose(ch);
        assertEquals(code, closeFrame.closeCode());
        assertEquals("bye", closeFrame.closeReason());
    }

    @Test
    void echoesAnEmptyCloseOnce() {
        EmbeddedChannel ch = loggedIn("alice");
        ch.writeInbound(frame(FIN | CLOSE, new byte[0]));
        ServerFrame closeFrame = onlyClose(ch);
        assertEquals(0, closeFrame.payload.length);
    }

    @Test
    void keepsNoHandshakerPerConnectionOnceUpgraded() {
        EmbeddedChannel alice = loggedIn("alice");
        EmbeddedChannel bob = loggedIn("bob");
        // Netty's own attribute, by its name: were Netty to rename it, the swap would leave the real one in place.
        AttributeKey<WebSocketServerHandshaker> netty = AttributeKey.valueOf(WebSocketServerHandshaker.class,
                "HANDSHAKER");
        assertSame(WebSocketFrameCodec.CLOSER, alice.attr(netty).get());
        assertSame(WebSocketFrameCodec.CLOSER, bob.attr(netty).get());
        // and the shared one still echoes each client's own close
        alice.writeInbound(close(1000, ascii("alice")));
        bob.writeInbound(close(4001, ascii("bob")));
        ServerFrame toAlice = onlyClose(alice);
        ServerFrame toBob = onlyClose(bob);
        assertEquals(1000, toAlice.closeCode());
        assertEquals("alice", toAlice.closeReason());
        assertEquals(4001, toBob.closeCode());
        assertEquals("bob", toBob.closeReason());
    }

    // ---- closes the gateway starts keep their codes

    @ParameterizedTest
    @EnumSource(value = KickReason.class, names = {"IDLE", "EXPIRED", "ADMIN", "REPLACED", "SHUTDOWN"})
    void closesAKickedConnectionOnceWithTheKicksCode(KickReason kick) {
        EmbeddedChannel ch = loggedIn("alice");
        Connection.of(ch).kick(kick);
        ServerFrame closeFrame = onlyClose(ch);
        assertEquals(CloseReason.of(kick).webSocketCode(), closeFrame.closeCode());
    }

    @Test
    void closesAfterTooManyMalformedFramesOnceWithPolicyViolation() {
        EmbeddedChannel ch = loggedIn("alice");
        for (int i = 0; i <= GatewayConfig.DEFAULT_MAX_MALFORMED_FRAMES; i++) {
            ch.writeInbound(frame(FIN | TEXT, ascii("not json")));
        }
        assertEquals(1008, onlyClose(ch).closeCode());
    }

    // ---- a peer that leaves in the middle of a message

    @Test
    void takesAPeerLeavingInTheMiddleOfAFragmentedMessageAsAnOrdinaryDisconnect() {
        Logger protocolLog = (Logger) LoggerFactory.getLogger(ProtocolHandler.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        protocolLog.addAppender(logged);
        AtomicInteger errors = new AtomicInteger();
        gateway.connections().addListener(new ConnectionListener() {
            @Override
            public void connectionError(Connection connection, Throwable cause) {
                errors.incrementAndGet();
            }
        });
        try {
            EmbeddedChannel ch = loggedIn("alice");
            ch.writeInbound(frame(TEXT, ascii("{\"type\":")));
            ch.unsafe().close(ch.unsafe().voidPromise()); // the transport saw the peer go, as on a reset or EOF
            ch.runPendingTasks();

            assertFalse(ch.isOpen());
            assertEquals(0, gateway.metrics().errors(ErrorCode.INTERNAL), "not counted as an internal error");
            assertEquals(0, errors.get(), "no connection error reported");
            assertEquals(1, gateway.metrics().closed(Transport.WEBSOCKET), "counted as a closed connection");
            assertEquals(0, gateway.connections().size());
            List<ILoggingEvent> loud = logged.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).collect(Collectors.toList());
            assertTrue(loud.isEmpty(), () -> "logged " + loud);
            assertTrue(frames(ch).isEmpty(), "nothing sent to a peer that has gone");
        } finally {
            protocolLog.detachAppender(logged);
        }
    }

    // ---- the short way in for shared frames

    /**
     * A room's fan-out enters a connection below Netty's WebSocket protocol handler (FlushBatchHandler#writeShared),
     * so it must refuse a frame after the close frame as that handler does: here the close frame is written and
     * waits for the end of the iteration when a room message comes, and the message fails instead of following it.
     */
    @Test
    void aSharedFrameAfterTheCloseFrameFailsAndIsNotSent() {
        EmbeddedChannel ch = loggedIn("alice");
        ch.write(new CloseWebSocketFrame(1000, "bye"));
        SharedFrame shared = SharedFrame.of(Unpooled.copiedBuffer("{\"type\":\"message\"}", StandardCharsets.UTF_8));
        List<Throwable> shortWay = new ArrayList<>();
        shared.writeTo(ch, (failed, cause) -> {
            assertSame(ch, failed);
            shortWay.add(cause);
        });
        ChannelFuture longWay = ch.write(shared.retain());
        shared.release();
        assertEquals(0, shared.refCnt(), "neither write holds the frame");
        assertEquals(1, shortWay.size(), () -> "reported once: " + shortWay);
        assertTrue(shortWay.get(0) instanceof ClosedChannelException, String.valueOf(shortWay.get(0)));
        assertTrue(longWay.cause() instanceof ClosedChannelException, String.valueOf(longWay.cause()));
        assertEquals(0, shortWay.get(0).getStackTrace().length, "a refusal fills in no stack trace");
        ch.runPendingTasks();
        List<ServerFrame> frames = frames(ch);
        assertEquals(1, frames.size(), () -> "only the close frame: " + frames);
        assertEquals(CLOSE, frames.get(0).opcode);
    }

    /** Before any close frame the short way writes the same bytes as the long way, as one unmasked text frame. */
    @Test
    void aSharedFrameTakesTheShortWayWithTheSameBytes() {
        EmbeddedChannel ch = loggedIn("alice");
        String json = "{\"type\":\"message\",\"n\":1}";
        SharedFrame shared = SharedFrame.of(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        List<Throwable> shortWay = new ArrayList<>();
        shared.writeTo(ch, (failed, cause) -> shortWay.add(cause));
        ChannelFuture longWay = ch.write(shared.retain());
        shared.release();
        ch.runPendingTasks();
        assertTrue(shortWay.isEmpty(), () -> "no failure: " + shortWay);
        assertTrue(longWay.isSuccess(), String.valueOf(longWay.cause()));
        List<ServerFrame> frames = frames(ch);
        assertEquals(2, frames.size(), () -> "both writes: " + frames);
        for (ServerFrame f : frames) {
            assertEquals(TEXT, f.opcode);
            assertEquals(json, new String(f.payload, StandardCharsets.UTF_8));
        }
        assertEquals(0, shared.refCnt(), "released once both are written");
    }

    // ---- helpers

    /** Sends {@code frames} on an authenticated connection; exactly one close frame with {@code code} comes back. */
    private void assertClosedOnceWith(int code, ByteBuf... frames) {
        EmbeddedChannel ch = loggedIn("alice");
        for (ByteBuf f : frames) {
            if (ch.isOpen()) {
                ch.writeInbound(f);
            } else {
                f.release();
            }
        }
        ServerFrame closeFrame = onlyClose(ch);
        assertEquals(code, closeFrame.closeCode(), () -> "reason: " + closeFrame.closeReason());
        assertTrue(closeFrame.payload.length <= 125, "a control frame's payload fits in 125 bytes");
        assertEquals(0, gateway.connections().size(), "the connection is gone");
    }

    /** The server's frames after the welcome: exactly one close frame, and the channel closed. */
    private ServerFrame onlyClose(EmbeddedChannel ch) {
        ch.runPendingTasks();
        List<ServerFrame> frames = frames(ch);
        List<ServerFrame> closes = frames.stream().filter(f -> f.opcode == CLOSE).collect(Collectors.toList());
        assertEquals(1, closes.size(), () -> "close frames: " + closes + " of " + frames);
        assertEquals(CLOSE, frames.get(frames.size() - 1).opcode, "the close frame is the last");
        assertFalse(ch.isOpen(), "closed once the close frame is written");
        return closes.get(0);
    }

    /** A connection upgraded with its token in the URL, authenticated, its welcome read. */
    private EmbeddedChannel loggedIn(String user) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(),
                gateway.webSocketInitializer(NotFoundHttpHandler.INSTANCE));
        Wire wire = new Wire();
        wires.put(ch, wire);
        ch.pipeline().addFirst(wire);
        ch.writeInbound(Unpooled.copiedBuffer("GET /ws?token=" + user + " HTTP/1.1\r\nHost: test\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", StandardCharsets.US_ASCII));
        ch.runPendingTasks();
        ByteBuf out = wire(ch);
        String all = out.toString(StandardCharsets.ISO_8859_1);
        out.release();
        assertTrue(all.startsWith("HTTP/1.1 101"), all);
        assertTrue(all.contains("\"type\":\"welcome\""), all);
        return ch;
    }

    /**
     * Every buffer that reaches the socket while the channel is open, as a socket sends them: an
     * {@link EmbeddedChannel} writes a flushed batch one message at a time and fails the rest of the batch when a
     * write's listener closes the channel, where a socket writes the whole batch at once, so its own outbound queue
     * would hide a second close frame that a socket sends.
     */
    private static final class Wire extends ChannelOutboundHandlerAdapter {
        final ByteBuf bytes = Unpooled.buffer();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf && ctx.channel().isOpen()) {
                ByteBuf b = (ByteBuf) msg;
                bytes.writeBytes(b, b.readerIndex(), b.readableBytes());
            }
            ctx.write(msg, promise);
        }
    }

    /** What the server sent since the last call; drains the channel's outbound queue. */
    private ByteBuf wire(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        Wire wire = wires.get(ch);
        ByteBuf sent = wire.bytes.copy();
        wire.bytes.clear();
        return sent;
    }

    /** Splits what the server wrote into frames, as they are on the wire: every one, a second close frame too. */
    private List<ServerFrame> frames(EmbeddedChannel ch) {
        ByteBuf in = wire(ch);
        try {
            List<ServerFrame> frames = new ArrayList<>();
            while (in.isReadable()) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                assertEquals(0, b1 & 0x80, "server frames are not masked");
                long length = b1 & 0x7F;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = new byte[(int) length];
                in.readBytes(payload);
                frames.add(new ServerFrame(b0 & 0x0F, payload));
            }
            return frames;
        } finally {
            in.release();
        }
    }

    private static final class ServerFrame {
        final int opcode;
        final byte[] payload;

        ServerFrame(int opcode, byte[] payload) {
            this.opcode = opcode;
            this.payload = payload;
        }

        int closeCode() {
            return payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        String closeReason() {
            return payload.length <= 2 ? "" : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return opcode == CLOSE ? "close(" + closeCode() + " " + closeReason() + ")"
                    : "opcode " + opcode + " (" + payload.length + " bytes)";
        }
    }

    /** A client frame: masked, with a zero key, so the payload is written as it is. */
    private static ByteBuf frame(int finRsvOpcode, byte[] payload) {
        ByteBuf b = Unpooled.buffer(14 + payload.length).writeByte(finRsvOpcode);
        if (payload.length <= 125) {
            b.writeByte(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            b.writeByte(0x80 | 126).writeShort(payload.length);
        } else {
            b.writeByte(0x80 | 127).writeLong(payload.length);
        }
        return b.writeInt(0).writeBytes(payload);
    }

    private static ByteBuf close(int code, byte[] reason) {
        byte[] payload = new byte[2 + reason.length];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(reason, 0, payload, 2, reason.length);
        return frame(FIN | CLOSE, payload);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A JSON string of exactly {@code length} bytes. */
    private static byte[] jsonString(int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) 'x');
        b[0] = '"';
        b[length - 1] = '"';
        return b;
    }
}
