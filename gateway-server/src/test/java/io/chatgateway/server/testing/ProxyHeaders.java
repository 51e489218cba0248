package io.chatgateway.server.testing;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/** PROXY protocol headers as a load balancer writes them, built by hand so that tests do not share Netty's code. */
public final class ProxyHeaders {
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private ProxyHeaders() {
    }

    /** {@code PROXY TCP4 src dst sport dport\r\n} (or TCP6 for IPv6 literals). */
    public static byte[] v1(String src, int srcPort, String dst, int dstPort) {
        String family = src.contains(":") ? "TCP6" : "TCP4";
        return ("PROXY " + family + " " + src + " " + dst + " " + srcPort + " " + dstPort + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The binary v2 header with the PROXY command over TCP. */
    public static byte[] v2(String src, int srcPort, String dst, int dstPort) {
        byte[] s = literal(src);
        byte[] d = literal(dst);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(V2_SIGNATURE);
        b.write(0x21); // version 2, PROXY
        b.write(s.length == 4 ? 0x11 : 0x21); // TCP over IPv4 or IPv6
        int length = s.length * 2 + 4;
        b.write(length >> 8);
        b.write(length & 0xFF);
        b.writeBytes(s);
        b.writeBytes(d);
        b.write(srcPort >> 8);
        b.write(srcPort & 0xFF);
        b.write(dstPort >> 8);
        b.write(dstPort & 0xFF);
        return b.toByteArray();
    }

    /** The binary v2 header with the LOCAL command (a balancer's own health check): no addresses. */
    public static byte[] v2Local() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(V2_SIGNATURE);
        b.write(0x20);
        b.write(0x00);
        b.write(0);
        b.write(0);
        return b.toByteArray();
    }

    private static byte[] literal(String ip) {
        try {
            return InetAddress.getByName(ip).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }
}
