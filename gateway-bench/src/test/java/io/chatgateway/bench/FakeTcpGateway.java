package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A hand-written gateway on the TCP transport for the bench's own tests: it accepts on loopback, gives each
 * connection a thread, and lets the subclass answer its frames however it likes (truthfully or not), so that the
 * checkers can be shown to catch what a real gateway must never do.
 */
abstract class FakeTcpGateway implements AutoCloseable {
    private final ServerSocket server;
    private final String name;

    FakeTcpGateway(String name) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.name = name;
    }

    /** Starts accepting; the subclass calls it last in its constructor, once its own fields are set. */
    final void start() {
        Thread t = new Thread(this::accept, name);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        try {
            for (;;) {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), name + "-conn");
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** Serves one connection until it ends. */
    abstract void serve(Socket s);

    /** The next frame of the connection (4-byte length, then JSON). */
    static JsonNode read(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return Cluster.JSON.readTree(b);
    }

    /** Writes one frame; connections are written by several threads, so under the stream's lock. */
    static void write(DataOutputStream out, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            out.writeInt(b.length);
            out.write(b);
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
