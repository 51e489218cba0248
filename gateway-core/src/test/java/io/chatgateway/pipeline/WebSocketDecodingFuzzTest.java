package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.FrameParser;
import io.chatgateway.testing.Fuzzing;
import io.chatgateway.testing.JsonGen;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The WebSocket path into the protocol, as a client can drive it: masked frames, text split into continuation
 * fragments anywhere (inside a UTF-8 sequence too), binary frames, control frames in between, garbage, oversized
 * and invalid frames, all cut into arbitrary reads. Properties: through Netty's decoder and aggregator,
 * {@link WebSocketFrameCodec} and {@link JsonFrameDecoder}, every message arrives as the frame the parser makes of
 * its whole payload, whatever the fragmentation and the reads; binary is {@code unsupported}; and the gateway's
 * whole WebSocket pipeline answers anything with well-formed frames: JSON text with typed codes (never
 * {@code internal}) and at most one close frame, last, with a status RFC 6455 allows.
 */
@AddLifecycleHook(Fuzzing.class)
class WebSocketDecodingFuzzTest {
    private static final int MAX = 4096;
    private static final FrameParser PARSER = new FrameParser(MAX, FrameParser.DEFAULT_MAX_DEPTH);
    private static final Gateway GATEWAY = Gateway.builder(GatewayConfig.builder().nodeId("fuzz")
                    .maxFrameBytes(MAX).build())
            .authenticator(new DevelopmentAuthenticator())
            .build();

    /** One client message: the frames it is sent as, and the payload the server must see, if any. */
    static final class Message {
        final List<Function<Void, WebSocketFrame>> frames;
        final byte[] payload;
        final boolean binary;
        final String label;

        Message(List<Function<Void, WebSocketFrame>> frames, byte[] payload, boolean binary, String label) {
            this.frames = frames;
            this.payload = payload;
            this.binary = binary;
            this.label = label;
        }

        @Override
        public String toString() {
            return label + " in " + frames.size() + " frame(s)";
        }
    }

    @Property(tries = 300)
    void everyMessageArrivesAsTheFrameItsWholePayloadParsesTo(@ForAll("messageLists") List<Message> messages,
                                                              @ForAll("cuts") List<Integer> cuts) {
        byte[] wire = clientWire(messages);
        EmbeddedChannel ch = new EmbeddedChannel(
                new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(MAX).allowExtensions(false).expectMaskedFrames(true)
                        .closeOnProtocolViolation(true).withUTF8Validator(true).build()),
                new WebSocketFrameAggregator(MAX),
                WebSocketFrameCodec.INSTANCE,
                new JsonFrameDecoder(PARSER));
        for (byte[] read : TcpFramingFuzzTest.split(wire, cuts)) {
            ch.writeInbound(Unpooled.wrappedBuffer(read));
        }
        List<String> got = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            got.add(describe((ClientFrame) o));
        }
        ch.finishAndReleaseAll();
        List<String> expected = new ArrayList<>();
        for (Message m : messages) {
            expected.add(m.binary ? "invalid unsupported" : describe(PARSER.parse(m.payload)));
        }
        assertEquals(expected, got);
    }

    @Property(tries = 150)
    void thePipelineAnswersAnythingWithWellFormedFrames(@ForAll("anyUnits") List<byte[]> units,
                                                        @ForAll("cuts") List<Integer> cuts,
                                                        @ForAll boolean tokenInUrl) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(),
                GATEWAY.webSocketInitializer(NotFoundHttpHandler.INSTANCE));
        ch.writeInbound(Unpooled.copiedBuffer("GET /ws" + (tokenInUrl ? "?token=fuzzer" : "") + " HTTP/1.1\r\n"
                + "Host: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", StandardCharsets.US_ASCII));
        String handshake = new String(TcpFramingFuzzTest.drainOutbound(ch), StandardCharsets.US_ASCII);
        assertTrue(handshake.startsWith("HTTP/1.1 101"), handshake);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        units.forEach(wire::writeBytes);
        for (byte[] read : TcpFramingFuzzTest.split(wire.toByteArray(), cuts)) {
            if (!ch.isOpen()) {
                break;
            }
            ch.writeInbound(Unpooled.wrappedBuffer(read)); // throws whatever reached the end of the pipeline
        }
        ch.runPendingTasks();
        byte[] out = TcpFramingFuzzTest.drainOutbound(ch);
        ch.finishAndReleaseAll();
        assertServerFrames(out);
    }

    @Property(tries = 100)
    void anOversizedMessageIsClosedWith1009(@ForAll("messageLists") List<Message> before,
                                           @ForAll("cuts") List<Integer> cuts,
                                           @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 3000) int over,
                                           @ForAll boolean fragmented) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(),
                GATEWAY.webSocketInitializer(NotFoundHttpHandler.INSTANCE));
        ch.writeInbound(Unpooled.copiedBuffer("GET /ws?token=big HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", StandardCharsets.US_ASCII));
        TcpFramingFuzzTest.drainOutbound(ch);
        byte[] big = new byte[MAX + over];
        Arrays.fill(big, (byte) ' ');
        int half = big.length / 2;
        List<Function<Void, WebSocketFrame>> frames = fragmented
                ? List.of(x -> new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(big, 0, half)),
                        x -> new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(big, half, big.length - half)))
                : List.of(x -> new TextWebSocketFrame(Unpooled.wrappedBuffer(big)));
        List<Message> all = new ArrayList<>(before);
        all.add(new Message(frames, big, false, "oversized"));
        for (byte[] read : TcpFramingFuzzTest.split(clientWire(all), cuts)) {
            if (ch.isOpen()) {
                ch.writeInbound(Unpooled.wrappedBuffer(read));
            }
        }
        ch.runPendingTasks();
        byte[] out = TcpFramingFuzzTest.drainOutbound(ch);
        boolean open = ch.isOpen();
        ch.finishAndReleaseAll();
        assertServerFrames(out);
        assertTrue(!open, "closed");
        assertEquals(1009, lastCloseStatus(out), "close status");
    }

    private static int lastCloseStatus(byte[] out) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(1 << 20).allowExtensions(false).expectMaskedFrames(false)
                .closeOnProtocolViolation(false).build()));
        client.writeInbound(Unpooled.wrappedBuffer(out));
        int status = -2;
        for (Object o; (o = client.readInbound()) != null; ) {
            if (o instanceof CloseWebSocketFrame) {
                status = ((CloseWebSocketFrame) o).statusCode();
            }
            ((WebSocketFrame) o).release();
        }
        client.finishAndReleaseAll();
        return status;
    }

    /** The server's bytes as a client reads them: unmasked frames, JSON text, at most one close, last. */
    private static void assertServerFrames(byte[] out) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(1 << 20).allowExtensions(false).expectMaskedFrames(false)
                .closeOnProtocolViolation(false).withUTF8Validator(true).build()));
        client.writeInbound(Unpooled.wrappedBuffer(out));
        try {
            readAll(client);
        } finally {
            client.finishAndReleaseAll();
        }
    }

    private static void readAll(EmbeddedChannel client) {
        boolean closed = false;
        for (Object o; (o = client.readInbound()) != null; ) {
            WebSocketFrame f = (WebSocketFrame) o;
            try {
                assertTrue(!closed, "a frame after the close frame");
                if (f instanceof TextWebSocketFrame) {
                    assertTrue(f.isFinalFragment());
                    TcpFramingFuzzTest.assertServerFrame(ByteBufUtil.getBytes(f.content()));
                } else if (f instanceof CloseWebSocketFrame) {
                    closed = true;
                    int status = ((CloseWebSocketFrame) f).statusCode();
                    assertTrue(status == -1 || status >= 1000 && status <= 1003 || status >= 1007 && status <= 1011
                            || status >= 3000 && status <= 4999, () -> "close status " + status);
                } else {
                    assertTrue(f instanceof PongWebSocketFrame, () -> "the server sent " + f);
                }
            } finally {
                f.release();
            }
        }
    }

    private static String describe(ClientFrame f) {
        return f.isValid() ? f.type().wireName() + " id=" + f.id() + " body=" + f.body()
                : "invalid " + f.error().wireName() + (f.error() == ErrorCode.UNSUPPORTED ? "" : ": " + f.errorMessage()
                + " id=" + f.id());
    }

    /** The messages as a client sends them: masked (a new key each frame), in one stream. */
    private static byte[] clientWire(List<Message> messages) {
        EmbeddedChannel encoder = new EmbeddedChannel(new WebSocket08FrameEncoder(true));
        for (Message m : messages) {
            for (Function<Void, WebSocketFrame> f : m.frames) {
                encoder.writeOutbound(f.apply(null));
            }
        }
        byte[] wire = TcpFramingFuzzTest.drainOutbound(encoder);
        encoder.finishAndReleaseAll();
        return wire;
    }

    // ---- generators

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return cutPoints();
    }

    private static Arbitrary<List<Integer>> cutPoints() {
        return Arbitraries.integers().between(0, 1 << 16).list().ofMaxSize(20);
    }

    /** JSON text of every kind that fits the maximum, as UTF-8 (what a WebSocket client can send as text). */
    private static Arbitrary<byte[]> texts() {
        return JsonGen.utf8(Arbitraries.oneOf(
                        JsonGen.object(JsonGen.value(3)),
                        JsonGen.nearJson(JsonGen.object(JsonGen.value(2))),
                        JsonGen.value(2),
                        Arbitraries.of("{\"type\":\"ping\",\"id\":1}", "{\"type\":\"ping\",\"id\":\"\\u00e9\u00e9\"}",
                                "{\"type\":\"publish\",\"room\":\"\u00e9\u4e2d\",\"body\":\"\ud83d\ude00\"}")))
                .filter(b -> b.length <= MAX);
    }

    @Provide
    Arbitrary<List<Message>> messageLists() {
        return messages().list().ofMinSize(1).ofMaxSize(6);
    }

    private static Arbitrary<Message> messages() {
        Arbitrary<Message> text = Combinators.combine(texts(), cutPoints()).as((payload, cuts) -> {
            List<byte[]> parts = TcpFramingFuzzTest.split(payload, cuts);
            if (parts.isEmpty()) {
                parts = List.of(new byte[0]);
            }
            List<Function<Void, WebSocketFrame>> frames = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                byte[] part = parts.get(i);
                boolean last = i == parts.size() - 1;
                boolean first = i == 0;
                frames.add(x -> first ? new TextWebSocketFrame(last, 0, Unpooled.wrappedBuffer(part))
                        : new ContinuationWebSocketFrame(last, 0, Unpooled.wrappedBuffer(part)));
            }
            return new Message(frames, payload, false, "text of " + payload.length + " bytes");
        });
        Arbitrary<Message> binary = Combinators.combine(Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
                        Arbitraries.integers().between(0, 200))
                .as((payload, cut) -> {
                    int at = Math.min(cut, payload.length);
                    List<Function<Void, WebSocketFrame>> frames = new ArrayList<>();
                    frames.add(x -> new BinaryWebSocketFrame(at == payload.length, 0,
                            Unpooled.wrappedBuffer(Arrays.copyOf(payload, at))));
                    if (at < payload.length) {
                        frames.add(x -> new ContinuationWebSocketFrame(true, 0,
                                Unpooled.wrappedBuffer(Arrays.copyOfRange(payload, at, payload.length))));
                    }
                    return new Message(frames, payload, true, "binary of " + payload.length + " bytes");
                });
        return Arbitraries.frequencyOf(Tuple.of(5, text), Tuple.of(1, binary));
    }

    /** Wire bytes of anything: good messages, control frames, invalid frames of every kind, plain garbage. */
    @Provide
    Arbitrary<List<byte[]>> anyUnits() {
        return units();
    }

    private static Arbitrary<List<byte[]>> units() {
        Arbitrary<byte[]> good = messages().map(m -> clientWire(List.of(m)));
        Arbitrary<byte[]> control = Arbitraries.of(0, 1, 2, 3).map(kind -> {
            WebSocketFrame f;
            switch (kind) {
                case 0: f = new PingWebSocketFrame(Unpooled.wrappedBuffer("hi".getBytes(StandardCharsets.US_ASCII))); break;
                case 1: f = new PongWebSocketFrame(); break;
                case 2: f = new CloseWebSocketFrame(1000, "bye"); break;
                default: f = new CloseWebSocketFrame(4321, "custom"); break;
            }
            return encode(f);
        });
        Arbitrary<byte[]> invalidUtf8 = Arbitraries.of(new byte[] {'{', (byte) 0xc3}, new byte[] {(byte) 0xed,
                        (byte) 0xa0, (byte) 0x80}, new byte[] {(byte) 0xff}, new byte[] {'"', (byte) 0xe2, (byte) 0x82})
                .map(b -> encode(new TextWebSocketFrame(Unpooled.wrappedBuffer(b))));
        Arbitrary<byte[]> oversized = Arbitraries.of(MAX, MAX + 1).map(n -> {
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) ' ');
            b[0] = '{';
            b[n - 1] = '}';
            return encode(new TextWebSocketFrame(Unpooled.wrappedBuffer(b)));
        });
        // Raw headers: unmasked, reserved bits, reserved opcodes, a fragmented control frame, a 64-bit length.
        Arbitrary<byte[]> badHeaders = Arbitraries.of(
                new byte[] {(byte) 0x81, 0x02, '{', '}'},
                new byte[] {(byte) 0xC1, (byte) 0x80, 1, 2, 3, 4},
                new byte[] {(byte) 0x83, (byte) 0x80, 1, 2, 3, 4},
                new byte[] {(byte) 0x8B, (byte) 0x80, 1, 2, 3, 4},
                new byte[] {(byte) 0x09, (byte) 0x80, 1, 2, 3, 4},
                new byte[] {(byte) 0x80, (byte) 0x80, 1, 2, 3, 4},
                new byte[] {(byte) 0x81, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0},
                new byte[] {(byte) 0x81, (byte) 0xFF, 0x7f, -1, -1, -1, -1, -1, -1, -1},
                new byte[] {(byte) 0x88, (byte) 0x81, 1, 2, 3, 4, 5},
                new byte[] {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, 0x03, (byte) 0xED});
        return Arbitraries.frequencyOf(
                Tuple.of(6, good), Tuple.of(2, control), Tuple.of(1, invalidUtf8), Tuple.of(1, oversized),
                Tuple.of(1, badHeaders), Tuple.of(1, JsonGen.bytes(40))).list().ofMaxSize(8);
    }

    private static byte[] encode(WebSocketFrame f) {
        EmbeddedChannel encoder = new EmbeddedChannel(new WebSocket08FrameEncoder(true));
        encoder.writeOutbound(f);
        byte[] wire = TcpFramingFuzzTest.drainOutbound(encoder);
        encoder.finishAndReleaseAll();
        return wire;
    }
}
