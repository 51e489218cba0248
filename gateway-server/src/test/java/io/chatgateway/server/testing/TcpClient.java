package io.chatgateway.server.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain blocking-socket client of the TCP transport (4-byte big-endian length, then the JSON bytes).
 */
public final class TcpClient extends SocketTestClient {

    private TcpClient(String host, int port, int receiveBufferBytes) {
        this(open(null, host, port, receiveBufferBytes));
    }

    /** A client over a socket that is already connected (a plain or TLS socket). */
    private TcpClient(Socket connected) {
        super(connected);
    }

    /** A connected socket, from {@code localHost} (e.g. 127.0.0.5) when not {@code null}. */
    public static Socket open(String localHost, String host, int port, int receiveBufferBytes) {
        Socket s = new Socket();
        try {
            if (receiveBufferBytes > 0) {
                s.setReceiveBufferSize(receiveBufferBytes);
            }
            if (localHost != null) {
                s.bind(new InetSocketAddress(localHost, 0));
            }
            s.connect(new InetSocketAddress(host, port), 5000);
            return s;
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // failed anyway
            }
            throw new AssertionError("TCP connect to " + host + ":" + port + " failed", e);
        }
    }

    /** A client over an already connected socket (e.g. an {@link javax.net.ssl.SSLSocket}). */
    public static TcpClient over(Socket connected) {
        return new TcpClient(connected);
    }

    /** Connects from a given local address, e.g. 127.0.0.5, to tell clients apart by address. */
    public static TcpClient connectFrom(String localHost, String host, int port) {
        return new TcpClient(open(localHost, host, port, 0));
    }

    /** The local end of the socket, as the gateway sees the client without a proxy. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public static TcpClient connect(String host, int port) {
        return new TcpClient(host, port, 0);
    }

    /** Connects with a small socket receive buffer, for a client that reads slowly or not at all. */
    public static TcpClient connect(String host, int port, int receiveBufferBytes) {
        return new TcpClient(host, port, receiveBufferBytes);
    }

    @Override
    public void send(String json) {
        sendFrame(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends one frame with this payload (the length prefix is added). */
    public void sendFrame(byte[] payload) {
        sendRaw(ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array());
    }

    /** Writes bytes as they are, without framing. */
    public void sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new AssertionError("TCP send failed", e);
        }
    }

    @Override
    public synchronized JsonNode poll(Duration timeout) {
        if (eof) {
            return null;
        }
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            int length = in.readInt();
            byte[] payload = new byte[length];
            in.readFully(payload);
            return parse(new String(payload, StandardCharsets.UTF_8));
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
    public synchronized int awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!eof) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("TCP connection not closed within " + timeout);
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                if (in.read() < 0) {
                    eof = true;
                }
            }
            return -1;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("TCP connection not closed within " + timeout, e);
        } catch (IOException e) {
            eof = true;
            return -1;
        }
    }
}
