package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The front door through the real initializers on {@link EmbeddedChannel}s: PROXY header, admission (unauthenticated
 * cap, per-address limits) and the origin check.
 */
class FrontDoorTest {
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void release() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    private static Gateway gateway(UnaryOperator<GatewayConfig.Builder> config) {
        return Gateway.builder(config.apply(GatewayConfig.builder().nodeId("t")).build())
                .authenticator(new DevelopmentAuthenticator())
                .build();
    }

    /** An in-memory connection from {@code remote}, built by {@code initializer}. */
    private EmbeddedChannel connect(ChannelHandler initializer, String host, int port) {
        InetSocketAddress remote = new InetSocketAddress(host, port);
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false, initializer) {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
        try {
            ch.register();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        channels.add(ch);
        return ch;
    }

    private static byte[] written(EmbeddedChannel ch) {
        ch.runPendingTasks();
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            all.writeBytes((ByteBuf) o);
            ReferenceCountUtil.release(o);
        }
        byte[] b = new byte[all.readableBytes()];
        all.readBytes(b);
        all.release();
        return b;
    }

    private static ByteBuf frame(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeInt(b.length).writeBytes(b);
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    @Test
    void refusesPastTheUnauthenticatedCapWithAPrecomputedServerBusyFrameUntilOneAuthenticates() {
        Gateway g = gateway(b -> b.maxUnauthenticatedConnections(2));
        EmbeddedChannel a = connect(g.tcpInitializer(), "10.0.0.1", 1001);
        EmbeddedChannel b = connect(g.tcpInitializer(), "10.0.0.2", 1002);
        EmbeddedChannel c = connect(g.tcpInitializer(), "10.0.0.3", 1003);

        assertArrayEquals(Refusal.TCP_FRAME.bytes(), written(c));
        assertFalse(c.isOpen());
        assertNull(Connection.of(c), "a refused connection never reaches the protocol handler");
        assertEquals(2, g.connections().size());
        assertEquals(1, g.metrics().refused(RefusalReason.UNAUTHENTICATED));
        assertEquals(2, g.admission().unauthenticated().count());

        a.writeInbound(frame("{\"type\":\"auth\",\"token\":\"ann\"}"));
        assertTrue(new String(written(a), StandardCharsets.UTF_8).contains("\"welcome\""));
        assertEquals(1, g.admission().unauthenticated().count(), "authenticating frees the slot");
        EmbeddedChannel d = connect(g.tcpInitializer(), "10.0.0.4", 1004);
        assertTrue(d.isOpen());
        assertNotNull(Connection.of(d));
        b.close();
        assertEquals(1, g.admission().unauthenticated().count(), "closing frees the slot too");
        a.close();
        assertEquals(1, g.admission().unauthenticated().count(), "an authenticated close frees nothing twice");
    }

    @Test
    void theTcpFrameIsALengthPrefixedServerBusyError() {
        byte[] b = Refusal.TCP_FRAME.bytes();
        String json = new String(b, 4, b.length - 4, StandardCharsets.UTF_8);
        assertEquals(b.length - 4, Unpooled.wrappedBuffer(b).getInt(0));
        assertEquals("{\"type\":\"error\",\"code\":\"server_busy\",\"message\":\"too many connections, try again later\"}",
                json);
        String http = new String(Refusal.HTTP_503.bytes(), StandardCharsets.US_ASCII);
        assertTrue(http.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), http);
        assertTrue(http.contains("\r\nRetry-After: 5\r\n") && http.contains("\r\nConnection: close\r\n"), http);
        String body = http.substring(http.indexOf("\r\n\r\n") + 4);
        assertTrue(http.contains("\r\nContent-Length: " + body.length() + "\r\n"), http);
        assertTrue(body.contains("\"server_busy\""), body);
    }

    @Test
    void refusesTheWebSocketPortWithHttp503WithoutReadingTheRequest() {
        Gateway g = gateway(b -> b.maxConnectionsPerIp(1));
        EmbeddedChannel first = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.1", 1);
        EmbeddedChannel second = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.1", 2);
        assertArrayEquals(Refusal.HTTP_503.bytes(), written(second));
        assertFalse(second.isOpen());
        assertFalse(second.config().isAutoRead(), "nothing more is read from a refused connection");
        assertNull(Connection.of(second));
        assertTrue(first.isOpen());
        assertEquals(1, g.metrics().refused(RefusalReason.ADDRESS_CONNECTIONS));
    }

    @Test
    void appliesThePerAddressLimitAcrossBothPortsAndFreesItOnClose() {
        Gateway g = gateway(b -> b.maxConnectionsPerIp(2));
        EmbeddedChannel tcp = connect(g.tcpInitializer(), "10.0.0.1", 1);
        EmbeddedChannel ws = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.1", 2);
        EmbeddedChannel third = connect(g.tcpInitializer(), "10.0.0.1", 3);
        assertTrue(tcp.isOpen() && ws.isOpen());
        assertFalse(third.isOpen());
        assertTrue(connect(g.tcpInitializer(), "10.0.0.2", 4).isOpen(), "another address is unaffected");
        ws.close();
        assertTrue(connect(g.tcpInitializer(), "10.0.0.1", 5).isOpen(), "a closed connection frees its slot");
        assertEquals(1, g.metrics().refused(RefusalReason.ADDRESS_CONNECTIONS));
    }

    @Test
    void refusesAnAddressThatConnectsTooFast() {
        Gateway g = gateway(b -> b.connectRatePerIp(1)); // a burst of 2
        assertTrue(connect(g.tcpInitializer(), "10.0.0.1", 1).isOpen());
        assertTrue(connect(g.tcpInitializer(), "10.0.0.1", 2).isOpen());
        EmbeddedChannel third = connect(g.tcpInitializer(), "10.0.0.1", 3);
        assertArrayEquals(Refusal.TCP_FRAME.bytes(), written(third));
        assertEquals(1, g.metrics().refused(RefusalReason.ADDRESS_RATE));
    }

    @Test
    void closesAtOnceWhenThePortSpeaksTls() {
        Gateway g = gateway(b -> b.maxUnauthenticatedConnections(1));
        EmbeddedChannel first = connect(g.tcpInitializer(), "10.0.0.1", 1);
        EmbeddedChannel refused = new EmbeddedChannel(DefaultChannelId.newInstance(),
                new AdmissionHandler(g.admission(), Refusal.CLOSE, false, ch -> {
                    throw new AssertionError("a refused connection gets no pipeline");
                }));
        channels.add(refused);
        assertTrue(first.isOpen());
        assertFalse(refused.isOpen());
        assertArrayEquals(new byte[0], written(refused), "no plain bytes to a client that expects TLS");
    }

    @Test
    void buildsTheProtocolPipelineOnlyOnceAdmitted() {
        Gateway g = gateway(b -> b);
        EmbeddedChannel ch = connect(g.tcpInitializer(), "10.0.0.1", 1);
        assertEquals(List.of(PipelineNames.IDLE, PipelineNames.FLUSH, PipelineNames.TCP_DECODER,
                PipelineNames.TCP_ENCODER, PipelineNames.SLOW_CONSUMER, PipelineNames.METERING, PipelineNames.JSON,
                PipelineNames.PROTOCOL), names(ch));
        assertNotNull(Connection.of(ch), "registered once channelActive came through");
    }

    private static List<String> names(EmbeddedChannel ch) {
        List<String> n = new ArrayList<>(ch.pipeline().names());
        n.removeIf(s -> s.startsWith("DefaultChannelPipeline$"));
        return n;
    }

    // ---- PROXY protocol

    static ByteBuf proxyV2(byte[] src, byte[] dst, int srcPort, int dstPort) {
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.writeByte(0x21); // version 2, PROXY
        b.writeByte(src.length == 4 ? 0x11 : 0x21); // TCP over IPv4 / IPv6
        b.writeShort(src.length * 2 + 4);
        b.writeBytes(src).writeBytes(dst).writeShort(srcPort).writeShort(dstPort);
        return b;
    }

    static ByteBuf proxyV2Local() {
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.writeByte(0x20).writeByte(0x00).writeShort(0);
        return b;
    }

    @Test
    void takesTheClientAddressFromAProxyV1HeaderAndAppliesTheLimitsToIt() {
        Gateway g = gateway(b -> b.proxyProtocol(true).maxConnectionsPerIp(1));
        EmbeddedChannel ch = connect(g.tcpInitializer(), "10.9.9.9", 40000);
        assertEquals(List.of(PipelineNames.PROXY_DECODER, PipelineNames.PROXY, PipelineNames.ADMISSION), names(ch));
        assertNull(Connection.of(ch), "nothing is registered before the header");
        ch.writeInbound(ascii("PROXY TCP4 203.0.113.7 10.9.9.1 51000 9090\r\n"));
        Connection c = Connection.of(ch);
        assertNotNull(c);
        assertEquals(new InetSocketAddress("203.0.113.7", 51000), c.remoteAddress());
        assertTrue(c.toString().contains("203.0.113.7:51000"), c.toString());
        assertEquals(PipelineNames.IDLE, names(ch).get(0), "the front door leaves once the connection is in");

        // Same balancer, same client: the second is refused; another client through the same balancer is not.
        EmbeddedChannel again = connect(g.tcpInitializer(), "10.9.9.9", 40001);
        again.writeInbound(ascii("PROXY TCP4 203.0.113.7 10.9.9.1 51001 9090\r\n"));
        assertArrayEquals(Refusal.TCP_FRAME.bytes(), written(again));
        EmbeddedChannel other = connect(g.tcpInitializer(), "10.9.9.9", 40002);
        other.writeInbound(ascii("PROXY TCP4 203.0.113.8 10.9.9.1 51002 9090\r\n"));
        assertTrue(other.isOpen());
        assertEquals(1, g.metrics().refused(RefusalReason.ADDRESS_CONNECTIONS));
    }

    @Test
    void takesTheClientAddressFromAProxyV2HeaderAndPassesTheBytesAfterIt() {
        Gateway g = gateway(b -> b.proxyProtocol(true));
        EmbeddedChannel ch = connect(g.tcpInitializer(), "10.9.9.9", 40000);
        ByteBuf in = proxyV2(new byte[] {(byte) 198, 51, 100, 20}, new byte[] {10, 9, 9, 1}, 62000, 9090);
        in.writeBytes(frame("{\"type\":\"auth\",\"token\":\"vic\"}")); // in the same packet as the header
        ch.writeInbound(in);
        assertEquals(new InetSocketAddress("198.51.100.20", 62000), Connection.of(ch).remoteAddress());
        assertTrue(new String(written(ch), StandardCharsets.UTF_8).contains("\"welcome\""));

        EmbeddedChannel v6 = connect(g.tcpInitializer(), "10.9.9.9", 40001);
        byte[] src = new byte[16];
        src[0] = 0x20;
        src[1] = 0x01;
        src[2] = 0x0d;
        src[3] = (byte) 0xb8;
        src[15] = 5;
        v6.writeInbound(proxyV2(src, new byte[16], 1234, 9090));
        assertEquals("/2001:db8:0:0:0:0:0:5", ((InetSocketAddress) Connection.of(v6).remoteAddress()).getAddress()
                .toString());
    }

    @Test
    void aLocalCommandKeepsTheSocketsOwnAddress() {
        Gateway g = gateway(b -> b.proxyProtocol(true));
        EmbeddedChannel ch = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.9.9.9", 40000);
        ch.writeInbound(proxyV2Local());
        assertTrue(ch.isOpen());
        assertNotNull(ch.pipeline().get(PipelineNames.HTTP_CODEC), "admitted: the HTTP pipeline is there");
        assertEquals(new InetSocketAddress("10.9.9.9", 40000), io.chatgateway.session.ClientAddress.of(ch));
    }

    @Test
    void closesAndCountsAConnectionWhoseFirstBytesAreNotAProxyHeader() {
        Gateway g = gateway(b -> b.proxyProtocol(true));
        EmbeddedChannel ch = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.9.9.9", 40000);
        ch.writeInbound(ascii("GET /ws HTTP/1.1\r\nHost: gw\r\n\r\n"));
        assertFalse(ch.isOpen());
        assertEquals(1, g.metrics().refused(RefusalReason.PROXY_INVALID));
        assertEquals(0, g.connections().size());
        assertEquals(0, g.admission().unauthenticated().count(), "its unauthenticated slot is free again");
    }

    @Test
    void refusesAtOnceBytesThatCannotStartAHeaderEvenWithoutALineEnd() {
        Gateway g = gateway(b -> b.proxyProtocol(true));
        EmbeddedChannel tcp = connect(g.tcpInitializer(), "10.9.9.9", 40000);
        tcp.writeInbound(frame("{\"type\":\"auth\",\"token\":\"x\"}"));
        assertFalse(tcp.isOpen());
        EmbeddedChannel tls = connect(g.tcpInitializer(), "10.9.9.9", 40001);
        tls.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01, 0x00}));
        assertFalse(tls.isOpen());
        EmbeddedChannel post = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.9.9.9", 40002);
        post.writeInbound(ascii("P"));
        assertTrue(post.isOpen(), "'P' may still be a PROXY header");
        post.writeInbound(ascii("OST / HTTP/1.1\r\n"));
        assertFalse(post.isOpen());
        assertEquals(3, g.metrics().refused(RefusalReason.PROXY_INVALID));
        assertEquals(0, g.metrics().refused(RefusalReason.PROXY_MISSING));
    }

    @Test
    void closesAndCountsAConnectionThatSendsNoHeaderInTime() {
        Gateway g = gateway(b -> b.proxyProtocol(true).authTimeout(java.time.Duration.ofSeconds(3)));
        EmbeddedChannel ch = connect(g.tcpInitializer(), "10.9.9.9", 40000);
        ch.writeInbound(ascii("PROX")); // the start of something, and then silence
        ch.advanceTimeBy(2900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals(1, g.metrics().refused(RefusalReason.PROXY_MISSING));
        assertEquals(0, g.metrics().refused(RefusalReason.PROXY_INVALID), "counted once");
    }

    // ---- origins

    private static String handshake(String origin) {
        return "GET /ws HTTP/1.1\r\nHost: gw.example.com:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
    }

    @Test
    void refusesAHandshakeFromAnOriginNotListedWith403AndRegistersNothing() {
        Gateway g = gateway(b -> b.allowedOrigins(List.of("https://chat.example.com", "self")));
        EmbeddedChannel evil = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.1", 1);
        evil.writeInbound(ascii(handshake("https://evil.example")));
        String answer = new String(written(evil), StandardCharsets.US_ASCII);
        assertTrue(answer.startsWith("HTTP/1.1 403 Forbidden\r\n"), answer);
        assertTrue(answer.contains("origin not allowed"), answer);
        assertFalse(evil.isOpen());
        assertNull(Connection.of(evil));
        assertEquals(0, g.connections().size());
        assertEquals(1, g.metrics().refused(RefusalReason.ORIGIN));

        for (String ok : new String[] {"https://chat.example.com", "http://gw.example.com:8080", null}) {
            EmbeddedChannel ch = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.2", 2);
            ch.writeInbound(ascii(handshake(ok)));
            String res = new String(written(ch), StandardCharsets.US_ASCII);
            assertTrue(res.startsWith("HTTP/1.1 101"), ok + ": " + res);
            assertNotNull(Connection.of(ch), ok);
        }
        assertEquals(1, g.metrics().refused(RefusalReason.ORIGIN));
    }

    @Test
    void letsOtherPathsThroughWhateverTheirOrigin() {
        Gateway g = gateway(b -> b.allowedOrigins(List.of("self")));
        EmbeddedChannel ch = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.1", 1);
        ch.writeInbound(ascii("GET /healthz HTTP/1.1\r\nHost: gw\r\nOrigin: https://evil.example\r\n\r\n"));
        String res = new String(written(ch), StandardCharsets.US_ASCII);
        assertTrue(res.startsWith("HTTP/1.1 404"), res);
        assertEquals(0, g.metrics().refused(RefusalReason.ORIGIN));
    }

    @Test
    void theDevelopmentModeDefaultAllowsAnyOriginAndAddsNoCheck() {
        Gateway g = gateway(b -> b);
        EmbeddedChannel ch = connect(g.webSocketInitializer(NotFoundHttpHandler.INSTANCE), "10.0.0.1", 1);
        assertNull(ch.pipeline().get(PipelineNames.ORIGIN));
        ch.writeInbound(ascii(handshake("https://anything.example")));
        assertNotNull(Connection.of(ch));
    }
}
