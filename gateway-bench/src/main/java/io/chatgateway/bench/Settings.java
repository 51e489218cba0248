package io.chatgateway.bench;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * The options every scenario shares, parsed and checked once.
 */
record Settings(Target target, Duration duration, Duration warmup, double rate, int connections, double connectRate,
                int maxInFlight, String out, long serverPid, List<InetAddress> sources, int processes, int threads,
                boolean authByFrame, String jwtSecret, String userPrefix, int size, Duration drain,
                Duration connectTimeout, boolean quiet, int connectionsPerUser, int tickMicros) {

    static Settings from(Options o, int connections) throws Options.UsageException {
        Target target = Target.parse(o.string("target"), o.get("transport"));
        String auth = o.string("auth");
        if (!auth.equals("frame") && !auth.equals("handshake")) {
            throw new Options.UsageException("--auth: " + auth + " (expected: frame or handshake)");
        }
        if (auth.equals("handshake") && !target.isWebSocket()) {
            throw new Options.UsageException("--auth handshake needs a WebSocket target");
        }
        String prefix = o.get("user-prefix");
        if (prefix == null || prefix.isEmpty()) {
            prefix = "b" + Long.toString(System.nanoTime() % (36L * 36 * 36 * 36), 36);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int perProcess = Limits.connectionsPerProcess();
        int processes;
        if (o.isGiven("processes")) {
            processes = o.intValue("processes", 1, 64);
            if ((connections + processes - 1) / processes > perProcess) {
                throw new Options.UsageException(connections + " connections over " + processes
                        + " processes need " + (connections + processes - 1) / processes
                        + " file descriptors each, but one process may open " + Limits.maxFileDescriptors()
                        + " (ulimit -n) and keeps " + Limits.RESERVED_FDS + " for itself: use --processes "
                        + ((connections + perProcess - 1) / perProcess) + " or more, or raise the limit");
            }
        } else {
            processes = Math.max(1, (connections + perProcess - 1) / perProcess);
        }
        int threads = o.isGiven("threads") ? o.intValue("threads", 1, 256) : Math.max(1, cores / processes);
        List<InetAddress> sources = ClientFactory.parseSources(o.get("source-addresses"), target);
        int perSource = Limits.ephemeralPortCount();
        if (target.isLoopback() && connections > perSource * Math.max(1, sources.size())) {
            throw new Options.UsageException(connections + " connections to one port need more than the "
                    + perSource + " ephemeral ports (" + Limits.ephemeralPorts() + ") of "
                    + Math.max(1, sources.size()) + " source address(es): use --source-addresses "
                    + ((connections + perSource - 1) / perSource + 1));
        }
        return new Settings(target,
                o.duration("duration", Duration.ZERO),
                o.duration("warmup", Duration.ZERO),
                o.decimal("rate", 0),
                connections,
                o.decimal("connect-rate", 0),
                o.intValue("max-in-flight", 1, 1_000_000),
                o.get("out"),
                o.get("server-pid") == null ? 0 : o.count("server-pid", 1, Long.MAX_VALUE),
                sources,
                processes,
                threads,
                auth.equals("frame"),
                o.get("jwt-secret"),
                prefix,
                o.intValue("size", 0, 1 << 20),
                o.duration("drain", Duration.ZERO),
                o.duration("connect-timeout", Duration.ofMillis(100)),
                o.flag("quiet"),
                o.intValue("connections-per-user", 1, 1_000_000),
                o.intValue("tick-us", 100, 1_000_000));
    }
}
