package io.chatgateway.server.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written on a plain socket, for what the JDK's client cannot do: send bytes before the
 * handshake (a PROXY header), connect from a chosen local address, and read a refused handshake's status and body.
 * Frames it sends are masked, as RFC 6455 requires of clients.
 */
public final class RawWsClient extends SocketTestClient {
    private final int status;
    private final String head;
    private volatile int closeCode = -1;

    private RawWsClient(Socket socket, String host, String pathAndQuery, Map<String, String> headers, byte[] prefix) {
        super(socket);
        try {
            StringBuilder req = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            if (prefix != null) {
                out.write(prefix);
            }
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout((int) WAIT.toMillis());
            head = readHead();
            status = head.isEmpty() ? -1 : Integer.parseInt(head.substring(9, 12));
        } catch (IOException e) {
            throw new AssertionError("WebSocket handshake failed", e);
        }
    }

    /**
     * Sends {@code prefix} (may be {@code null}), then the handshake for {@code pathAndQuery}, over {@code socket};
     * returns once the response head is read (status 101, or whatever refused it).
     */
    public static RawWsClient handshake(Socket socket, String pathAndQuery, Map<String, String> headers,
                                        byte[] prefix) {
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
        String host = remote.getHostString() + ":" + remote.getPort();
        return new RawWsClient(socket, host, pathAndQuery, headers, prefix);
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        for (;;) {
            int c;
            try {
                c = in.read();
            } catch (IOException e) {
                c = -1; // a reset instead of an answer
            }
            if (c < 0) {
                eof = true;
                return b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(c);
            last4 = last4 << 8 | c;
            if (last4 == 0x0D0A0D0A) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    /** The local end of the socket: the client's address as a proxy in front of the gateway sees it. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The HTTP status of the handshake's answer; {@code -1} when the connection closed without one. */
    public int status() {
        return status;
    }

    /** The answer's status line and headers. */
    public String head() {
        return head;
    }

    /** The value of a response header, or {@code null}. */
    public String header(String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** The body of a refused handshake: everything until the gateway closes (at most 64 KiB). */
    public String body() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            for (int c; b.size() < 65536 && (c = in.read()) >= 0; ) {
                b.write(c);
            }
        } catch (IOException e) {
            // closed
        }
        eof = true;
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void send(String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else {
            f.write(0x80 | 126);
            f.write(payload.length >> 8);
            f.write(payload.length & 0xFF);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i % 4]);
        }
        try {
            out.write(f.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new AssertionError("WebSocket send failed", e);
        }
    }

    @Override
    public synchronized JsonNode poll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!eof) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = in.readUnsignedShort();
                } else if (len == 127) {
                    len = in.readLong();
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                int opcode = b0 & 0x0F;
                if (opcode == 0x1) {
                    return parse(new String(payload, StandardCharsets.UTF_8));
                }
                if (opcode == 0x8) {
                    closeCode = payload.length >= 2 ? (payload[0] & 0xFF) << 8 | (payload[1] & 0xFF) : 1005;
                    eof = true;
                    return null;
                }
                // pings, pongs: not what the tests read
            }
            return null;
        } catch (SocketTimeoutException e) {
            return null;
        } catch (EOFException e) {
            eof = true;
            return null;
        } catch (IOException e) {
            eof = true;
            return null;
        }
    }

    @Override
    public int awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("WebSocket not closed within " + timeout);
            }
            poll(Duration.ofMillis(100));
        }
        return closeCode;
    }


    @Override
    public String toString() {
        return "RawWsClient(" + socket.getLocalSocketAddress() + " -> " + socket.getRemoteSocketAddress() + ", "
                + status + ")" + (head.isEmpty() ? "" : " " + head.lines().findFirst().orElse("")
                .toLowerCase(Locale.ROOT));
    }
}
