package io.chatgateway.server.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A test client on a plain blocking socket (the TCP transport's, and the hand-written WebSocket one): the socket,
 * its streams, whether the gateway has ended it, and the ways to end it from this side.
 */
abstract class SocketTestClient extends TestClient {
    protected final Socket socket;
    protected final DataInputStream in;
    protected final OutputStream out;
    /** Set once the gateway closed the connection (end of stream, or a WebSocket close frame). */
    protected volatile boolean eof;

    /** Takes over a connected socket (plain or TLS). */
    SocketTestClient(Socket connected) {
        try {
            socket = connected;
            socket.setTcpNoDelay(true);
            in = new DataInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new AssertionError("client setup failed", e);
        }
    }

    @Override
    public boolean isOpen() {
        return !eof && !socket.isClosed();
    }

    /** Drops the connection with a TCP reset, no goodbye of any kind. */
    @Override
    public void abort() {
        closeSocket(socket, true);
    }

    @Override
    public void close() {
        closeSocket(socket, false);
    }
}
