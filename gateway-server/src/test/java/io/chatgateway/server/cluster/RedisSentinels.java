package io.chatgateway.server.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A primary, one replica and three Sentinels of Debian's {@code redis-server} and {@code redis-sentinel}, on free
 * loopback ports, started and stopped by pid: what a failover needs. Sentinel notices a dead primary after
 * {@value #DOWN_AFTER_MS} ms, so a failover takes a few seconds instead of the production defaults' half minute.
 */
final class RedisSentinels implements AutoCloseable {
    /** The name the Sentinels monitor the primary under. */
    static final String PRIMARY_NAME = "gwprimary";
    static final int DOWN_AFTER_MS = 500;
    static final int FAILOVER_TIMEOUT_MS = 3000;
    private static final int SENTINELS = 3;

    private final List<RedisServer> servers = new ArrayList<>();
    private final List<Process> sentinels = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();
    private final Path dir;

    private RedisSentinels() throws IOException {
        this.dir = Files.createTempDirectory("gateway-sentinel-");
    }

    /** Starts the primary, its replica (synchronised) and three Sentinels that agree on both. */
    static RedisSentinels start() {
        RedisSentinels s;
        try {
            s = new RedisSentinels();
        } catch (IOException e) {
            throw new AssertionError("cannot create a directory for Sentinel", e);
        }
        try {
            RedisServer primary = RedisServer.start();
            s.servers.add(primary);
            s.servers.add(RedisServer.startReplicaOf(primary));
            for (int i = 0; i < SENTINELS; i++) {
                s.launchSentinel(primary.port());
            }
            s.awaitReady();
            return s;
        } catch (IOException | RuntimeException | AssertionError e) {
            s.close();
            throw e instanceof AssertionError ? (AssertionError) e : new AssertionError("cannot start Sentinel", e);
        }
    }

    private void launchSentinel(int primaryPort) throws IOException {
        int port = RedisServer.freePort();
        Path conf = dir.resolve("sentinel-" + port + ".conf");
        // Sentinel rewrites its configuration file as it learns the topology: each needs a writable one.
        Files.writeString(conf, String.join("\n",
                "port " + port,
                "bind 127.0.0.1",
                "protected-mode no",
                "daemonize no",
                "dir " + dir,
                "logfile " + dir.resolve("sentinel-" + port + ".log"),
                "sentinel monitor " + PRIMARY_NAME + " 127.0.0.1 " + primaryPort + " 2",
                "sentinel down-after-milliseconds " + PRIMARY_NAME + " " + DOWN_AFTER_MS,
                "sentinel failover-timeout " + PRIMARY_NAME + " " + FAILOVER_TIMEOUT_MS,
                "sentinel parallel-syncs " + PRIMARY_NAME + " 1",
                ""));
        ProcessBuilder pb = new ProcessBuilder(RedisServer.binary("redis-sentinel").toString(), conf.toString());
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("sentinel-" + port + ".out").toFile());
        sentinels.add(pb.start());
        sentinelPorts.add(port);
    }

    /** Waits until every Sentinel knows the replica and can reach a quorum: a failover can then happen. */
    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int port : sentinelPorts) {
            while (true) {
                String problem = notReady(port);
                if (problem == null) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Sentinel on port " + port + " not ready: " + problem + "\n" + logs());
                }
                RedisServer.sleep(50);
            }
        }
    }

    private String notReady(int port) {
        try {
            Object quorum = RedisServer.command(port, "SENTINEL", "CKQUORUM", PRIMARY_NAME);
            if (!String.valueOf(quorum).startsWith("OK " + SENTINELS)) {
                return String.valueOf(quorum);
            }
            List<?> replicas = (List<?>) RedisServer.command(port, "SENTINEL", "REPLICAS", PRIMARY_NAME);
            if (replicas.size() != 1) {
                return replicas.size() + " replicas known";
            }
            List<?> fields = (List<?>) replicas.get(0);
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("flags".equals(fields.get(i)) && !"slave".equals(fields.get(i + 1))) {
                    return "replica flags " + fields.get(i + 1);
                }
            }
            return null;
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The URI the gateway is given: every Sentinel, and the primary's name. */
    String uri() {
        StringBuilder sb = new StringBuilder("redis-sentinel://");
        for (int i = 0; i < sentinelPorts.size(); i++) {
            sb.append(i == 0 ? "" : ",").append("127.0.0.1:").append(sentinelPorts.get(i));
        }
        return sb.append("/0#").append(PRIMARY_NAME).toString();
    }

    /** The server the Sentinels currently name as primary, as the first Sentinel answers. */
    RedisServer primary() {
        int port = primaryPort();
        for (RedisServer s : servers) {
            if (s.port() == port) {
                return s;
            }
        }
        throw new AssertionError("Sentinel names an unknown primary on port " + port);
    }

    /** The other server. */
    RedisServer replica() {
        RedisServer p = primary();
        return servers.get(0) == p ? servers.get(1) : servers.get(0);
    }

    int primaryPort() {
        try {
            List<?> addr = (List<?>) RedisServer.command(sentinelPorts.get(0), "SENTINEL",
                    "GET-MASTER-ADDR-BY-NAME", PRIMARY_NAME);
            return Integer.parseInt(String.valueOf(addr.get(1)));
        } catch (IOException e) {
            throw new AssertionError("cannot ask Sentinel for the primary", e);
        }
    }

    /** The Sentinels' logs, for failure messages. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        for (int port : sentinelPorts) {
            Path log = dir.resolve("sentinel-" + port + ".log");
            try {
                sb.append("--- sentinel ").append(port).append('\n');
                if (Files.exists(log)) {
                    sb.append(Files.readString(log));
                }
            } catch (IOException e) {
                sb.append(e).append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Process p : sentinels) {
            p.destroyForcibly();
        }
        for (Process p : sentinels) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (RedisServer s : servers) {
            s.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory
        }
    }
}
