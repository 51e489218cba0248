package io.chatgateway.server.cluster;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) for tests: started on a free port on 127.0.0.1 with persistence
 * off, stopped by its pid, and restartable on the same port to play a broker outage; or a replica of another one
 * (see {@link RedisSentinels}). Also a tiny RESP client to look at the keys.
 */
public final class RedisServer implements AutoCloseable {
    private static final String[] CANDIDATES = {"/usr/bin/redis-server", "/usr/local/bin/redis-server"};

    private final Path binary;
    private final Path dir;
    private final int port;
    private final List<String> extra;
    private Process process;

    private RedisServer(Path binary, int port, List<String> extra) throws IOException {
        this.binary = binary;
        this.port = port;
        this.extra = extra;
        this.dir = Files.createTempDirectory("gateway-redis-");
    }

    /** Starts a Redis on a free port; fails the test when redis-server is not installed. */
    public static RedisServer start() {
        return start(List.of());
    }

    /** Starts a replica of {@code primary} on a free port, and waits until it has synchronised. */
    public static RedisServer startReplicaOf(RedisServer primary) {
        RedisServer r = start(List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!r.info("replication").contains("master_link_status:up")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the replica on port " + r.port() + " did not sync with " + primary.port());
            }
            sleep(20);
        }
        return r;
    }

    private static RedisServer start(List<String> extra) {
        try {
            RedisServer r = new RedisServer(binary("redis-server"), freePort(), extra);
            r.launch();
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot start redis-server", e);
        }
    }

    /** A Debian Redis binary ({@code redis-server}, {@code redis-sentinel}); fails the test when it is missing. */
    static Path binary(String name) {
        for (String c : CANDIDATES) {
            Path p = Path.of(c).resolveSibling(name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new AssertionError(name + " not found on PATH: the cluster tests need Debian's " + name
                + " package (apt-get install -y " + name + "; scripts/test-prerequisites.sh does it)");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
                "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString(), "--databases", "1",
                // A replica syncs at once, not after the default five seconds' wait for more replicas.
                "--repl-diskless-sync-delay", "0"));
        cmd.addAll(extra);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile());
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                if ("PONG".equals(command("PING"))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = Files.exists(dir.resolve("redis.log")) ? Files.readString(dir.resolve("redis.log")) : "";
                throw new AssertionError("redis-server did not start on port " + port + ":\n" + log);
            }
            sleep(20);
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** {@code INFO section} as text. */
    public String info(String section) {
        try {
            return String.valueOf(command("INFO", section));
        } catch (IOException e) {
            throw new AssertionError("INFO failed on port " + port, e);
        }
    }

    /** Sends a signal to the server by its pid ({@code STOP} freezes it, {@code CONT} thaws it). */
    public void signal(String signal) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the server (SIGKILL by pid): every connection drops at once, every key is lost. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the server again on the same port, empty. */
    public void restart() {
        try {
            launch();
        } catch (IOException e) {
            throw new AssertionError("cannot restart redis-server", e);
        }
    }

    /** The keys, sorted. */
    @SuppressWarnings("unchecked")
    public List<String> keys() {
        try {
            List<String> keys = new ArrayList<>((List<String>) command("KEYS", "*"));
            keys.sort(null);
            return keys;
        } catch (IOException e) {
            throw new AssertionError("KEYS failed", e);
        }
    }

    /** The time to live of a key in milliseconds (-1: none, -2: no such key). */
    public long pttl(String key) {
        try {
            return (Long) command("PTTL", key);
        } catch (IOException e) {
            throw new AssertionError("PTTL failed", e);
        }
    }

    /** Sends one command on a fresh connection and returns the reply (String, Long, List or null). */
    public Object command(String... args) throws IOException {
        return command(port, args);
    }

    /** Sends one command to the server (or Sentinel) on this loopback port and returns the reply. */
    static Object command(int port, String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
            }
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read(new BufferedInputStream(s.getInputStream()));
        }
    }

    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IOException("Redis error: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes(n + 2);
                return new String(b, 0, n, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line);
                List<Object> list = new ArrayList<>(Math.max(n, 0));
                for (int i = 0; i < n; i++) {
                    list.add(read(in));
                }
                return list;
            }
            default:
                throw new IOException("unexpected RESP type " + type);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read();
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory
        }
    }
}
