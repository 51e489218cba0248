package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.session.ClientAddress;
import io.chatgateway.session.Connection;
import io.chatgateway.testing.Fuzzing;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PROXY protocol front door ({@link ProxyHeaderDecoder}, {@link ProxyProtocolHandler}, through the real TCP
 * initializer) against v1 and v2 headers, valid ones of every family and command, and truncated, oversized and
 * mutated ones (versions, commands, families, lengths, TLVs, addresses, ports), cut into any reads. Properties: no
 * exception ever leaves the pipeline; a valid header gives the connection the address it names (or the socket's,
 * for {@code LOCAL}, {@code UNKNOWN} and non-TCP families) and the bytes after it reach the protocol; anything else
 * ends in exactly one of: admitted with a usable address, refused and counted once as {@code proxy_invalid}, or
 * still waiting, and then closed and counted once as {@code proxy_missing} when the header timeout passes; and a
 * refused connection leaves nothing behind (no connection registered, its unauthenticated slot free).
 */
@AddLifecycleHook(Fuzzing.class)
class ProxyHeaderFuzzTest {
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final InetSocketAddress SOCKET = new InetSocketAddress("10.9.9.9", 40000);
    private static final byte[] AUTH = frame("{\"type\":\"auth\",\"token\":\"proxied\"}");
    private static final Gateway GATEWAY = Gateway.builder(GatewayConfig.builder().nodeId("fuzz")
                    .proxyProtocol(true).authTimeout(Duration.ofSeconds(3)).build())
            .authenticator(new DevelopmentAuthenticator())
            .build();

    /** A header, and the address it must give the connection ({@code null}: the socket's own). */
    static final class Header {
        final byte[] bytes;
        final InetSocketAddress client;
        final String label;

        Header(byte[] bytes, InetSocketAddress client, String label) {
            this.bytes = bytes;
            this.client = client;
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    @Property(tries = 300)
    void aValidHeaderGivesTheAddressItNamesAndPassesTheBytesAfterIt(@ForAll("validHeaders") Header header,
                                                                   @ForAll("cuts") List<Integer> cuts) {
        EmbeddedChannel ch = connect();
        try {
            byte[] wire = concat(header.bytes, AUTH);
            for (byte[] read : TcpFramingFuzzTest.split(wire, cuts)) {
                assertTrue(ch.isOpen(), () -> "closed: " + header);
                ch.writeInbound(Unpooled.wrappedBuffer(read));
            }
            Connection c = Connection.of(ch);
            assertNotNull(c, () -> "not admitted: " + header);
            assertEquals(header.client != null ? header.client : SOCKET, ClientAddress.of(ch), header::toString);
            ch.runPendingTasks();
            String out = new String(TcpFramingFuzzTest.drainOutbound(ch), StandardCharsets.UTF_8);
            assertTrue(out.contains("\"welcome\""), () -> "the frame after the header was not answered: " + out);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Property(tries = 300)
    void anyOtherInputIsAdmittedRefusedOrTimedOutExactlyOnce(@ForAll("anyHeaders") byte[] input,
                                                           @ForAll("cuts") List<Integer> cuts) {
        long invalid = GATEWAY.metrics().refused(RefusalReason.PROXY_INVALID);
        long missing = GATEWAY.metrics().refused(RefusalReason.PROXY_MISSING);
        EmbeddedChannel ch = connect();
        String outcome;
        try {
            for (byte[] read : TcpFramingFuzzTest.split(input, cuts)) {
                if (!ch.isOpen()) {
                    break;
                }
                ch.writeInbound(Unpooled.wrappedBuffer(read)); // throws whatever reached the end of the pipeline
            }
            outcome = outcome(ch);
        } finally {
            ch.finishAndReleaseAll();
        }
        long newInvalid = GATEWAY.metrics().refused(RefusalReason.PROXY_INVALID) - invalid;
        long newMissing = GATEWAY.metrics().refused(RefusalReason.PROXY_MISSING) - missing;
        assertEquals(outcome.equals("refused") ? 1 : 0, newInvalid, () -> outcome + ": proxy_invalid counted");
        assertEquals(outcome.equals("timed out") ? 1 : 0, newMissing, () -> outcome + ": proxy_missing counted");
        assertEquals(0, GATEWAY.admission().unauthenticated().count(), "every unauthenticated slot is free again");
        assertEquals(0, GATEWAY.connections().size(), "nothing left registered");
    }

    /** Found by anyOtherInputIsAdmittedRefusedOrTimedOutExactlyOnce (shrunk): a v2 TLV longer than the header. */
    @Example
    void aTlvRunningPastTheHeaderIsAnInvalidHeader() {
        long invalid = GATEWAY.metrics().refused(RefusalReason.PROXY_INVALID);
        long missing = GATEWAY.metrics().refused(RefusalReason.PROXY_MISSING);
        byte[] tlvPastTheEnd = new byte[20];
        tlvPastTheEnd[1] = (byte) 0xE0; // type 0x00, length 0xE000, in a header of 32 bytes
        EmbeddedChannel ch = connect();
        ch.writeInbound(Unpooled.wrappedBuffer(v2(1, 0x12, concat(new byte[12], tlvPastTheEnd), new byte[0])));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
        assertEquals(invalid + 1, GATEWAY.metrics().refused(RefusalReason.PROXY_INVALID));
        assertEquals(missing, GATEWAY.metrics().refused(RefusalReason.PROXY_MISSING));
    }

    private static String outcome(EmbeddedChannel ch) {
        String outcome;
        // Admitted: the protocol registered the connection (the bytes after the header may have closed it since).
        if (Connection.of(ch) != null) {
            outcome = "admitted";
            SocketAddress a = ClientAddress.of(ch);
            assertTrue(a instanceof InetSocketAddress && !((InetSocketAddress) a).isUnresolved(), () -> "address " + a);
        } else if (ch.isOpen()) {
            outcome = "timed out";
            ch.advanceTimeBy(1, TimeUnit.HOURS);
            ch.runScheduledPendingTasks();
            assertFalse(ch.isOpen(), "a connection without a complete header is closed when the timeout passes");
            assertNull(Connection.of(ch));
        } else {
            outcome = "refused";
            assertNull(Connection.of(ch));
        }
        return outcome;
    }

    private static EmbeddedChannel connect() {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false,
                GATEWAY.tcpInitializer()) {
            @Override
            protected SocketAddress remoteAddress0() {
                return SOCKET;
            }
        };
        try {
            ch.register();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return ch;
    }

    // ---- headers

    static byte[] frame(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return concat(TcpFramingFuzzTest.prefix(b.length), b);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static InetSocketAddress address(byte[] ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Header v1(byte[] src, byte[] dst, int sp, int dp) {
        String family = src.length == 4 ? "TCP4" : "TCP6";
        InetSocketAddress s = address(src, sp);
        InetSocketAddress d = address(dst, dp);
        String line = "PROXY " + family + " " + s.getAddress().getHostAddress() + " " + d.getAddress().getHostAddress()
                + " " + sp + " " + dp + "\r\n";
        return new Header(line.getBytes(StandardCharsets.US_ASCII), s, line.trim());
    }

    /** A v2 header: version 2, the command (0 LOCAL, 1 PROXY), the family and protocol byte, addresses, TLVs. */
    static byte[] v2(int command, int familyAndProtocol, byte[] addresses, byte[] tlvs) {
        ByteBuffer b = ByteBuffer.allocate(16 + addresses.length + tlvs.length);
        b.put(V2).put((byte) (0x20 | command)).put((byte) familyAndProtocol)
                .putShort((short) (addresses.length + tlvs.length)).put(addresses).put(tlvs);
        return b.array();
    }

    private static byte[] tcpAddresses(byte[] src, byte[] dst, int sp, int dp) {
        return ByteBuffer.allocate(src.length * 2 + 4).put(src).put(dst).putShort((short) sp).putShort((short) dp)
                .array();
    }

    private static byte[] tlvs(List<byte[]> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int type = 0xE0;
        for (byte[] v : values) {
            out.write(type++);
            out.write(v.length >>> 8);
            out.write(v.length);
            out.writeBytes(v);
        }
        return out.toByteArray();
    }

    // ---- generators

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 1 << 12).list().ofMaxSize(12);
    }

    private static Arbitrary<byte[]> ip(int length) {
        return Arbitraries.bytes().array(byte[].class).ofSize(length);
    }

    /** Source ports a client can have; port 0 is refused by Netty's decoder (see anyHeaders). */
    private static Arbitrary<Integer> port() {
        return Arbitraries.integers().between(1, 65535);
    }

    private static Arbitrary<byte[]> someTlvs() {
        // ProtocolStage allows 512 bytes of TLVs; stay within it (each TLV costs 3 bytes more than its value).
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(60).list().ofMaxSize(4).map(ProxyHeaderFuzzTest::tlvs);
    }

    @Provide
    Arbitrary<Header> validHeaders() {
        Arbitrary<Header> v1 = Arbitraries.oneOf(
                Combinators.combine(ip(4), ip(4), port(), port()).as(ProxyHeaderFuzzTest::v1),
                Combinators.combine(ip(16), ip(16), port(), port()).as(ProxyHeaderFuzzTest::v1),
                Arbitraries.of("PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")
                        .map(s -> new Header(s.getBytes(StandardCharsets.US_ASCII), null, s.trim())));
        Arbitrary<Header> v2Tcp = Combinators.combine(Arbitraries.of(4, 16), someTlvs(), port(), port())
                .flatAs((len, tlv, sp, dp) -> Combinators.combine(ip(len), ip(len)).as((src, dst) -> new Header(
                        v2(1, len == 4 ? 0x11 : 0x21, tcpAddresses(src, dst, sp, dp), tlv), address(src, sp),
                        "v2 PROXY TCP" + (len == 4 ? "4 " : "6 ") + address(src, sp) + " tlvs " + tlv.length)));
        Arbitrary<Header> v2Other = Combinators.combine(Arbitraries.of(0x12, 0x22, 0x31, 0x32, 0x00), someTlvs())
                .as((fp, tlv) -> {
                    int size = fp == 0x12 ? 12 : fp == 0x22 ? 36 : fp == 0x00 ? 0 : 216;
                    return new Header(v2(1, fp, new byte[size], tlv), null, String.format("v2 PROXY family %02x", fp));
                });
        Arbitrary<Header> v2Local = Combinators.combine(Arbitraries.of(0x00, 0x11, 0x21), someTlvs())
                .as((fp, tlv) -> new Header(v2(0, fp, new byte[fp == 0x00 ? 0 : fp == 0x11 ? 12 : 36], tlv), null,
                        String.format("v2 LOCAL family %02x", fp)));
        return Arbitraries.oneOf(v1, v2Tcp, v2Other, v2Local);
    }

    /** Valid headers broken in every way a balancer, a scanner or an attacker might, and non-headers. */
    @Provide
    Arbitrary<byte[]> anyHeaders() {
        Arbitrary<byte[]> valid = validHeaders().map(h -> concat(h.bytes, AUTH));
        Arbitrary<byte[]> mutated = valid.flatMap(b -> {
            Arbitrary<Integer> at = Arbitraries.integers().between(0, Math.min(b.length, 60) - 1);
            return Arbitraries.oneOf(
                    at.map(i -> Arrays.copyOf(b, i)), // truncated
                    Combinators.combine(at, Arbitraries.bytes()).as((i, x) -> {
                        byte[] c = b.clone();
                        c[i] = x;
                        return c;
                    }),
                    Combinators.combine(at, Arbitraries.of("\r\n", " ", "\r", "\n", "\u0000", ":", "-1", "65536",
                            "999", "PROXY ", "x".repeat(120))).as((i, s) -> {
                        byte[] x = s.getBytes(StandardCharsets.ISO_8859_1);
                        return concat(Arrays.copyOf(b, i), x, Arrays.copyOfRange(b, i, b.length));
                    }));
        });
        Arbitrary<byte[]> badV2 = Combinators.combine(Arbitraries.integers().between(0, 15),
                        Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 0xFFFF),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(300))
                .as((command, fp, length, rest) -> {
                    ByteBuffer b = ByteBuffer.allocate(16 + rest.length);
                    b.put(V2).put((byte) (0x20 | command)).put(fp.byteValue()).putShort(length.shortValue()).put(rest);
                    return b.array();
                });
        Arbitrary<byte[]> versions = Arbitraries.integers().between(0, 15).map(v -> concat(V2,
                new byte[] {(byte) (v << 4 | 1), 0x11, 0, 12}, new byte[12], AUTH));
        Arbitrary<byte[]> oversizedTlvs = Arbitraries.integers().between(400, 2000).map(n ->
                v2(1, 0x11, tcpAddresses(new byte[] {1, 2, 3, 4}, new byte[4], 1, 2), tlvs(List.of(new byte[n]))));
        Arbitrary<String> v1Lines = Arbitraries.oneOf(
                Arbitraries.of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r",
                        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 0 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
                        "PROXY TCP4 999.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
                        "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY TCP4 ::1 ::2 1 2\r\n", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
                        "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXY\r\n",
                        "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
                        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n",
                        "PROXY TCP6 ::ffff:1.2.3.4 ::1 1 2\r\n", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
                        "PROXY TCP4 localhost 5.6.7.8 1 2\r\n", "PROXY UNKNOWN " + "x".repeat(100) + "\r\n"),
                Arbitraries.strings().withChars("PROXYTCP46UNKW .:0123456789abcdef\r\n").ofMaxLength(120)
                        .map(s -> "PROXY " + s));
        return Arbitraries.frequencyOf(
                Tuple.of(4, mutated), Tuple.of(2, badV2), Tuple.of(1, versions), Tuple.of(1, oversizedTlvs),
                Tuple.of(2, v1Lines.map(s -> concat(s.getBytes(StandardCharsets.ISO_8859_1), AUTH))),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(120)),
                Tuple.of(1, valid));
    }
}
