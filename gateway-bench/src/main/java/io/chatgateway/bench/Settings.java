package io.chatgateway.bench;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The options every scenario shares, parsed and checked once.
 *
 * @param targets   the gateway addresses; connection {@code i} uses {@code targets[i % n]}
 * @param jwtSecret {@code --jwt-secret}, else the environment's {@value #JWT_SECRET_ENV}, else {@code null}
 *                  (development-mode tokens)
 */
record Settings(List<Target> targets, Duration duration, Duration warmup, double rate, int connections, double connectRate,
                int maxInFlight, String out, long serverPid, List<InetAddress> sources, int processes, int threads,
                boolean authByFrame, String jwtSecret, String userPrefix, int size, Duration drain,
                Duration connectTimeout, boolean quiet, int connectionsPerUser, int tickMicros, List<Long> serverPids,
                long brokerPid) {

    /** The variable the gateway reads its secret from; the bench takes it as the default of {@code --jwt-secret}. */
    static final String JWT_SECRET_ENV = "GATEWAY_JWT_SECRET";

    static Settings from(Options o, int connections) throws Options.UsageException {
        return from(o, connections, System.getenv());
    }

    static Settings from(Options o, int connections, Map<String, String> env) throws Options.UsageException {
        List<Target> targets = Target.parseList(o.string("target"), o.get("transport"));
        Target target = targets.get(0);
        boolean loopback = targets.stream().allMatch(Target::isLoopback);
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
        List<InetAddress> sources = ClientFactory.parseSources(o.get("source-addresses"), loopback);
        int perSource = Limits.ephemeralPortCount();
        // Ephemeral ports are per destination: each target's share counts against them separately.
        int perTarget = (connections + targets.size() - 1) / targets.size();
        if (loopback && perTarget > perSource * Math.max(1, sources.size())) {
            throw new Options.UsageException(perTarget + " connections to one port need more than the "
                    + perSource + " ephemeral ports (" + Limits.ephemeralPorts() + ") of "
                    + Math.max(1, sources.size()) + " source address(es): use --source-addresses "
                    + ((perTarget + perSource - 1) / perSource + 1));
        }
        List<Long> pids = new java.util.ArrayList<>();
        String pidList = o.get("server-pid");
        if (pidList != null && !pidList.isBlank()) {
            for (String p : pidList.split(",")) {
                try {
                    long pid = Long.parseLong(p.trim());
                    if (pid < 1) {
                        throw new NumberFormatException();
                    }
                    pids.add(pid);
                } catch (NumberFormatException e) {
                    throw new Options.UsageException("--server-pid: " + pidList + " (expected: a pid, or pids separated"
                            + " by commas)");
                }
            }
        }
        String jwtSecret = o.get("jwt-secret");
        if (jwtSecret == null || jwtSecret.isEmpty()) {
            String fromEnv = env.get(JWT_SECRET_ENV);
            jwtSecret = fromEnv == null || fromEnv.isEmpty() ? null : fromEnv;
        }
        return new Settings(targets,
                o.duration("duration", Duration.ZERO),
                o.duration("warmup", Duration.ZERO),
                o.decimal("rate", 0),
                connections,
                o.decimal("connect-rate", 0),
                o.intValue("max-in-flight", 1, 1_000_000),
                o.get("out"),
                pids.isEmpty() ? 0 : pids.get(0),
                sources,
                processes,
                threads,
                auth.equals("frame"),
                jwtSecret,
                prefix,
                o.intValue("size", 0, 1 << 20),
                o.duration("drain", Duration.ZERO),
                o.duration("connect-timeout", Duration.ofMillis(100)),
                o.flag("quiet"),
                o.intValue("connections-per-user", 1, 1_000_000),
                o.intValue("tick-us", 100, 1_000_000),
                pids,
                o.get("broker-pid") == null ? 0 : o.count("broker-pid", 1, Long.MAX_VALUE));
    }

    /** The first target (the only one unless {@code --target} lists several). */
    Target target() {
        return targets.get(0);
    }

    /** The targets as given, comma-separated. */
    String targetList() {
        return targets.stream().map(Target::toString).collect(Collectors.joining(","));
    }
}
