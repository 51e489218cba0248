package io.chatgateway.server.cluster;

import io.chatgateway.server.testing.TestServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster for tests: {@code shards} primaries of Debian's {@code redis-server} on free loopback ports
 * ({@code --cluster-enabled yes}, persistence off, data under {@code target/redis-cluster/}), joined by
 * {@code redis-cli --cluster create} (three or more) or given every slot (one), and stopped by pid.
 */
public final class RedisClusterServer implements AutoCloseable {
    private final Path dir;
    private final List<Integer> ports = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    private RedisClusterServer(Path dir) {
        this.dir = dir;
    }

    /** Starts a cluster of {@code shards} primaries and waits until every node says {@code cluster_state:ok}. */
    public static RedisClusterServer start(int shards) {
        try {
            Path base = Path.of("target", "redis-cluster");
            Files.createDirectories(base);
            RedisClusterServer c = new RedisClusterServer(Files.createTempDirectory(base.toAbsolutePath(), "rc-"));
            for (int i = 0; i < shards; i++) {
                c.launch(i, freePort());
            }
            c.create();
            return c;
        } catch (IOException e) {
            throw new AssertionError("cannot start a Redis Cluster", e);
        }
    }

    private void launch(int i, int port) throws IOException {
        Path d = dir.resolve("n" + i);
        Files.createDirectories(d);
        ProcessBuilder pb = new ProcessBuilder("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--protected-mode", "no",
                "--daemonize", "no", "--dir", d.toString(), "--logfile", d.resolve("redis.log").toString());
        pb.redirectErrorStream(true).redirectOutput(d.resolve("stdout.log").toFile());
        Process p = pb.start();
        if (ports.size() > i) {
            ports.set(i, port);
            processes.set(i, p);
        } else {
            ports.add(port);
            processes.add(p);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                if ("PONG".equals(command(port, "PING"))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("redis-server did not start on port " + port + ": see " + d);
            }
            sleep(20);
        }
    }

    private void create() throws IOException {
        if (ports.size() == 1) {
            command(ports.get(0), "CLUSTER", "ADDSLOTSRANGE", "0", "16383");
        } else {
            List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            for (int port : ports) {
                cmd.add("127.0.0.1:" + port);
            }
            cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("create.log").toFile()).start();
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new AssertionError("redis-cli --cluster create failed: "
                            + Files.readString(dir.resolve("create.log")));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int port : ports) {
            while (!String.valueOf(command(port, "CLUSTER", "INFO")).contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the cluster did not reach state ok: " + command(port, "CLUSTER", "INFO"));
                }
                sleep(50);
            }
        }
    }

    /** {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,...}: what {@code redis-uri} takes. */
    public String uri() {
        StringBuilder sb = new StringBuilder(ClusterConfig.CLUSTER_SCHEME);
        for (int i = 0; i < ports.size(); i++) {
            sb.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports.get(i));
        }
        return sb.toString();
    }

    public int shards() {
        return ports.size();
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    /** The port of the primary that owns the key's slot. */
    public int ownerOf(String key) {
        try {
            long slot = (Long) command(ports.get(0), "CLUSTER", "KEYSLOT", key);
            for (Object o : (List<?>) command(ports.get(0), "CLUSTER", "SLOTS")) {
                List<?> range = (List<?>) o;
                if ((Long) range.get(0) <= slot && slot <= (Long) range.get(1)) {
                    return ((Long) ((List<?>) range.get(2)).get(1)).intValue();
                }
            }
            throw new AssertionError("no owner of slot " + slot);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every key of every shard, sorted. */
    public List<String> keys() {
        List<String> all = new ArrayList<>();
        for (int port : ports) {
            try {
                for (Object k : (List<?>) command(port, "KEYS", "*")) {
                    all.add((String) k);
                }
            } catch (IOException e) {
                // a stopped shard has no keys to show
            }
        }
        all.sort(null);
        return all;
    }

    /** Kills one shard's primary (SIGKILL by pid). */
    public void kill(int shard) {
        Process p = processes.get(shard);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts a killed shard again on its port, empty, with its slots (its nodes.conf is kept). */
    public void restart(int shard) {
        try {
            launch(shard, ports.get(shard));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Closes the gateway nodes, then the cluster, skipping what a start that failed half-way left null. */
    static void close(RedisClusterServer redis, TestServer... nodes) {
        try {
            for (TestServer n : nodes) {
                if (n != null) {
                    n.close();
                }
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }

    /** Sends one command to one node on a fresh connection (String, Long, List or null). */
    public static Object command(int port, String... args) throws IOException {
        return RedisServer.command(port, args);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // under target/
        }
    }
}
