package io.chatgateway.server.config;

import io.chatgateway.GatewayConfig;
import io.chatgateway.policy.RoomAccess;
import io.chatgateway.session.SessionMode;

import io.lettuce.core.RedisURI;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server's effective configuration: every {@link Setting} resolved through the layers and validated.
 * Immutable. {@link #toString()} lists every value with where it came from, the secret masked.
 */
public final class ServerConfig {
    /** Where a value came from. */
    public enum Source { DEFAULT, FILE, ENV, FLAG }

    private final Map<Setting, String> raw;
    private final Map<Setting, Source> sources;

    private final int httpPort;
    private final int tcpPort;
    private final String bind;
    private final String jwtSecret;
    private final Duration jwtLeeway;
    private final String jwtPublicKeyFile;
    private final String jwtJwksFile;
    private final String jwtJwksUrl;
    private final Duration jwtJwksRefresh;
    private final String jwtIssuer;
    private final String jwtAudience;
    private final Duration jwtMaxLifetime;
    private final String tlsCertFile;
    private final String tlsKeyFile;
    private final int ioThreads;
    private final String transport;
    private final Duration shutdownTimeout;
    private final String logLevel;
    private final String redisUri;
    private final String clusterName;
    private final Duration clusterLease;
    private final Duration clusterTimeout;
    private final GatewayConfig gateway;

    ServerConfig(Map<Setting, String> raw, Map<Setting, Source> sources) throws ConfigException {
        this.raw = Collections.unmodifiableMap(new EnumMap<>(raw));
        this.sources = Collections.unmodifiableMap(new EnumMap<>(sources));
        List<String> problems = new ArrayList<>();
        this.httpPort = port(Setting.HTTP_PORT, problems);
        this.tcpPort = port(Setting.TCP_PORT, problems);
        this.bind = nonEmpty(Setting.BIND, problems);
        this.jwtSecret = secret(problems);
        this.jwtLeeway = Duration.ofSeconds(integer(Setting.JWT_LEEWAY_SECONDS, 0, 3600, problems));
        this.jwtPublicKeyFile = optional(Setting.JWT_PUBLIC_KEY_FILE);
        this.jwtJwksFile = optional(Setting.JWT_JWKS_FILE);
        this.jwtJwksUrl = jwksUrl(problems);
        this.jwtJwksRefresh = Duration.ofSeconds(integer(Setting.JWT_JWKS_REFRESH_SECONDS, 10, 86_400, problems));
        this.jwtIssuer = optional(Setting.JWT_ISSUER);
        this.jwtAudience = optional(Setting.JWT_AUDIENCE);
        this.jwtMaxLifetime = Duration.ofSeconds(integer(Setting.JWT_MAX_LIFETIME_SECONDS, 0, 365 * 86_400, problems));
        this.tlsCertFile = optional(Setting.TLS_CERT_FILE);
        this.tlsKeyFile = optional(Setting.TLS_KEY_FILE);
        if ((tlsCertFile == null) != (tlsKeyFile == null)) {
            problems.add((tlsCertFile == null ? where(Setting.TLS_KEY_FILE) : where(Setting.TLS_CERT_FILE))
                    + " is set without " + (tlsCertFile == null ? Setting.TLS_CERT_FILE : Setting.TLS_KEY_FILE).key()
                    + " (expected: both or neither)");
        }
        boolean production = !isDevelopmentMode();
        this.ioThreads = integer(Setting.IO_THREADS, 0, 1024, problems);
        this.transport = oneOf(Setting.TRANSPORT, problems, "auto", "io_uring", "epoll", "nio");
        this.shutdownTimeout = Duration.ofSeconds(integer(Setting.SHUTDOWN_TIMEOUT_SECONDS, 1, 3600, problems));
        this.logLevel = oneOf(Setting.LOG_LEVEL, problems, "trace", "debug", "info", "warn", "error")
                .toUpperCase(Locale.ROOT);
        this.redisUri = redisUri(problems);
        this.clusterName = clusterName(problems);
        this.clusterLease = Duration.ofMillis(integer(Setting.CLUSTER_LEASE_MS, 300, 3_600_000, problems));
        this.clusterTimeout = Duration.ofMillis(integer(Setting.CLUSTER_TIMEOUT_MS, 50, 60_000, problems));
        GatewayConfig g = null;
        try {
            GatewayConfig.Builder b = GatewayConfig.builder()
                    .maxConnections(integer(Setting.MAX_CONNECTIONS, 1, Integer.MAX_VALUE, problems))
                    .maxFrameBytes(integer(Setting.MAX_FRAME_BYTES, 1, 64 * 1024 * 1024, problems))
                    .heartbeat(Duration.ofSeconds(integer(Setting.HEARTBEAT_SECONDS, 1, 86_400, problems)))
                    .authTimeout(Duration.ofSeconds(integer(Setting.AUTH_TIMEOUT_SECONDS, 1, 3600, problems)))
                    .sessionMode(sessionMode(problems))
                    .maxSessionsPerUser(integer(Setting.MAX_SESSIONS_PER_USER, 1, 1000, problems))
                    .rateLimit(decimal(Setting.RATE_LIMIT_PER_SECOND, problems),
                            integer(Setting.RATE_LIMIT_BURST, 1, 1_000_000, problems))
                    .maxMalformedFrames(integer(Setting.MAX_MALFORMED_FRAMES, 1, 1_000_000, problems))
                    .maxRoomsPerConnection(integer(Setting.MAX_ROOMS_PER_CONNECTION, 1, 100_000, problems))
                    .maxPresenceUsers(integer(Setting.MAX_PRESENCE_USERS, 1, 1_000_000, problems))
                    .outboundBufferBytes(integer(Setting.OUTBOUND_BUFFER_BYTES, 1024, 1 << 30, problems))
                    .slowConsumerGrace(Duration.ofMillis(integer(Setting.SLOW_CONSUMER_GRACE_MS, 0, 3_600_000, problems)))
                    .writeDelay(Duration.ofMillis(integer(Setting.WRITE_DELAY_MS, 0, 100, problems)))
                    .webSocketPath(get(Setting.WS_PATH))
                    .roomAccess(roomAccess(production, problems))
                    .globalPresence(onOff(Setting.GLOBAL_PRESENCE, !production, problems))
                    .roomEventsMaxMembers(integer(Setting.ROOM_EVENTS_MAX_MEMBERS, 1, 10_000_000, problems))
                    .history(integer(Setting.HISTORY_SIZE, 0, 100_000, problems),
                            Duration.ofSeconds(integer(Setting.HISTORY_TTL_SECONDS, 1, 30 * 86_400, problems)))
                    .inbox(integer(Setting.INBOX_SIZE, 0, 100_000, problems),
                            Duration.ofSeconds(integer(Setting.INBOX_TTL_SECONDS, 1, 30 * 86_400, problems)))
                    .historyMaxBytes(longInteger(Setting.HISTORY_MAX_BYTES, 1024, 1L << 40, problems))
                    .allowedOrigins(origins(production))
                    .maxConnectionsPerIp(get(Setting.MAX_CONNECTIONS_PER_IP) == null ? (production ? 1000 : 0)
                            : integer(Setting.MAX_CONNECTIONS_PER_IP, 0, Integer.MAX_VALUE, problems))
                    .connectRatePerIp(get(Setting.CONNECT_RATE_PER_IP) == null ? (production ? 50 : 0)
                            : decimal(Setting.CONNECT_RATE_PER_IP, problems))
                    .maxUnauthenticatedConnections(
                            integer(Setting.MAX_UNAUTHENTICATED_CONNECTIONS, 0, Integer.MAX_VALUE, problems))
                    .proxyProtocol(onOff(Setting.PROXY_PROTOCOL, false, problems));
            if (get(Setting.NODE_ID) != null) {
                b.nodeId(get(Setting.NODE_ID));
            }
            if (problems.isEmpty()) {
                g = b.build();
            }
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        this.gateway = g;
    }

    /** The defaults alone, with {@code overrides} (setting to value) applied as flags; for tests and embedding. */
    public static ServerConfig of(Map<Setting, String> overrides) throws ConfigException {
        Map<Setting, String> raw = new EnumMap<>(Setting.class);
        Map<Setting, Source> sources = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            if (s.defaultValue() != null) {
                raw.put(s, s.defaultValue());
                sources.put(s, Source.DEFAULT);
            }
        }
        overrides.forEach((s, v) -> {
            raw.put(s, v);
            sources.put(s, Source.FLAG);
        });
        return new ServerConfig(raw, sources);
    }

    public int httpPort() {
        return httpPort;
    }

    public int tcpPort() {
        return tcpPort;
    }

    public String bind() {
        return bind;
    }

    /** The HS256 secret, or {@code null} in development mode. */
    public String jwtSecret() {
        return jwtSecret;
    }

    /** Development mode: no JWT key configured (secret, public key, JWKS), tokens are taken as user ids. */
    public boolean isDevelopmentMode() {
        return jwtSecret == null && jwtPublicKeyFile == null && jwtJwksFile == null && jwtJwksUrl == null;
    }

    /** PEM public key file(s) as configured ({@code [kid=]path, ...}), or {@code null}. */
    public String jwtPublicKeyFile() {
        return jwtPublicKeyFile;
    }

    /** A JWKS file, or {@code null}. */
    public String jwtJwksFile() {
        return jwtJwksFile;
    }

    /** A JWKS URL (http or https), or {@code null}. */
    public String jwtJwksUrl() {
        return jwtJwksUrl;
    }

    /** How often the JWKS URL is fetched again, and the least time between two fetches for an unknown kid. */
    public Duration jwtJwksRefresh() {
        return jwtJwksRefresh;
    }

    /** The required {@code iss}, or {@code null}. */
    public String jwtIssuer() {
        return jwtIssuer;
    }

    /** The required {@code aud} member, or {@code null}. */
    public String jwtAudience() {
        return jwtAudience;
    }

    /** The longest token lifetime accepted; {@link Duration#ZERO} for no limit. */
    public Duration jwtMaxLifetime() {
        return jwtMaxLifetime;
    }

    /** The PEM certificate chain for TLS, or {@code null} for plain connections. */
    public String tlsCertFile() {
        return tlsCertFile;
    }

    /** The PEM private key for TLS, or {@code null}. */
    public String tlsKeyFile() {
        return tlsKeyFile;
    }

    /** {@code true} when both ports speak TLS. */
    public boolean isTls() {
        return tlsCertFile != null;
    }

    public Duration jwtLeeway() {
        return jwtLeeway;
    }

    /**
     * Event-loop threads: as configured, or one per core for 0. Not Netty's default of twice the cores: with one
     * loop per core a loop is rarely descheduled with work queued, which on the 2-core bench machine cut direct
     * latency p50 from 0.8-2 s to 9-84 ms at 20,000 msg/s and CPU per message by 7-10 % (docs/benchmarks.md).
     */
    public int ioThreads() {
        return ioThreads == 0 ? Runtime.getRuntime().availableProcessors() : ioThreads;
    }

    /** {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}. */
    public String transport() {
        return transport;
    }

    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /** Level of the gateway's own loggers ({@code io.chatgateway}), upper case, e.g. {@code INFO}. */
    public String logLevel() {
        return logLevel;
    }

    /** The Redis URI of cluster mode, or {@code null} for a single node. */
    public String redisUri() {
        return redisUri;
    }

    /** {@code true} when {@link #redisUri()} is set. */
    public boolean isClusterMode() {
        return redisUri != null;
    }

    /** Prefix of the cluster's Redis keys and channels. */
    public String clusterName() {
        return clusterName;
    }

    /** How long a node stays alive in Redis without refreshing its lease. */
    public Duration clusterLease() {
        return clusterLease;
    }

    /** The most a Redis call may take before the operation answers {@code unavailable}. */
    public Duration clusterTimeout() {
        return clusterTimeout;
    }

    /** The engine's part of the configuration. */
    public GatewayConfig gateway() {
        return gateway;
    }

    /** The raw value of a setting, or {@code null} when unset. For settings the typed accessors do not cover. */
    public String get(Setting s) {
        return raw.get(s);
    }

    public Source source(Setting s) {
        Source src = sources.get(s);
        return src == null ? Source.DEFAULT : src;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("effective configuration:");
        for (Setting s : Setting.values()) {
            String v = raw.get(s);
            if (v == null && s != Setting.JWT_SECRET) {
                continue;
            }
            String shown = v;
            if (s == Setting.JWT_SECRET) {
                shown = jwtSecret != null ? "****** (set)" : isDevelopmentMode() ? "(unset: DEVELOPMENT MODE)" : "(unset)";
            } else if (s.isSecret()) {
                shown = v.isEmpty() ? "(empty)" : "****** (set)";
            } else if (s == Setting.REDIS_URI) {
                shown = maskPassword(v);
            } else if (s == Setting.JWT_JWKS_URL) {
                shown = maskQuery(maskPassword(v));
            }
            sb.append("\n  ").append(s.key()).append(" = ").append(shown);
            Source src = source(s);
            if (src != Source.DEFAULT) {
                sb.append("  [").append(src.name().toLowerCase(Locale.ROOT)).append(']');
            }
        }
        return sb.toString();
    }

    /**
     * Hides the password of a URI for logs: {@code redis://user:secret@host} becomes
     * {@code redis://user:******@host}.
     */
    public static String maskPassword(String uri) {
        int scheme = uri.indexOf("://");
        int at = uri.indexOf('@', scheme < 0 ? 0 : scheme + 3);
        if (scheme < 0 || at < 0) {
            return uri;
        }
        String userInfo = uri.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? "" : userInfo.substring(0, colon);
        return uri.substring(0, scheme + 3) + user + ":******" + uri.substring(at);
    }

    /** Hides a URL's query for logs (identity providers' URLs sometimes carry keys there). */
    static String maskQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?******";
    }

    // ---- typed parsing; every problem names the setting, its source and what was expected

    private String optional(Setting s) {
        String v = raw.get(s);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private String jwksUrl(List<String> problems) {
        String v = optional(Setting.JWT_JWKS_URL);
        if (v == null) {
            return null;
        }
        String lower = v.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("https://") && !lower.startsWith("http://")) {
            problems.add(where(Setting.JWT_JWKS_URL) + ": " + v + " (expected: an https:// or http:// URL)");
            return null;
        }
        return v;
    }

    private RoomAccess roomAccess(boolean production, List<String> problems) {
        String v = optional(Setting.ROOM_ACCESS);
        if (v == null) {
            return production ? RoomAccess.GRANTED : RoomAccess.OPEN;
        }
        try {
            return RoomAccess.parse(v);
        } catch (IllegalArgumentException e) {
            problems.add(where(Setting.ROOM_ACCESS) + ": " + v + " (expected: granted or open)");
            return RoomAccess.GRANTED;
        }
    }

    /** {@code on}/{@code off} (also true/false, yes/no); unset gives {@code unset}. */
    private boolean onOff(Setting s, boolean unset, List<String> problems) {
        String v = optional(s);
        if (v == null) {
            return unset;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "on": case "true": case "yes": return true;
            case "off": case "false": case "no": return false;
            default:
                problems.add(where(s) + ": " + v + " (expected: on or off)");
                return unset;
        }
    }

    private List<String> origins(boolean production) {
        String v = optional(Setting.ALLOWED_ORIGINS);
        if (v == null) {
            return List.of(production ? "self" : "*");
        }
        List<String> out = new ArrayList<>();
        for (String o : v.split(",")) {
            if (!o.isBlank()) {
                out.add(o.trim());
            }
        }
        return out.isEmpty() ? List.of("self") : out;
    }

    private long longInteger(Setting s, long min, long max, List<String> problems) {
        String v = raw.get(s);
        try {
            long n = Long.parseLong(v.trim());
            if (n < min || n > max) {
                problems.add(where(s) + ": " + v + " (expected: " + min + " to " + max + ")");
                return min;
            }
            return n;
        } catch (NumberFormatException | NullPointerException e) {
            problems.add(where(s) + ": " + v + " (expected: an integer from " + min + " to " + max + ")");
            return min;
        }
    }

    private String redisUri(List<String> problems) {
        String v = raw.get(Setting.REDIS_URI);
        if (v == null || v.isBlank()) {
            return null;
        }
        v = v.trim();
        String lower = v.toLowerCase(Locale.ROOT);
        boolean sentinel = lower.startsWith("redis-sentinel://") || lower.startsWith("rediss-sentinel://");
        boolean cluster = lower.startsWith("redis-cluster://") || lower.startsWith("rediss-cluster://");
        if (!(lower.startsWith("redis://") || lower.startsWith("rediss://") || sentinel || cluster)
                || v.length() <= lower.indexOf("://") + 3) {
            problems.add(where(Setting.REDIS_URI) + ": " + maskPassword(v)
                    + " (expected: redis://[user:password@]host[:port][/db], rediss://... (TLS), "
                    + SENTINEL_FORM + " or a Redis Cluster: redis-cluster://[user:password@]host:port[,host:port...])");
            return null;
        }
        if (sentinel) {
            String problem = sentinelProblem(v);
            if (problem != null) {
                problems.add(where(Setting.REDIS_URI) + ": " + maskPassword(v) + " (" + problem + "; expected: "
                        + SENTINEL_FORM + ")");
                return null;
            }
        }
        if (cluster) {
            String problem = clusterProblem(v);
            if (problem != null) {
                problems.add(where(Setting.REDIS_URI) + ": " + maskPassword(v) + " (" + problem + "; expected: "
                        + CLUSTER_FORM + ")");
                return null;
            }
        }
        return v;
    }

    private static final String CLUSTER_FORM = "redis-cluster://[user:password@]host:port[,host:port...] (Redis "
            + "Cluster seed nodes)";

    /**
     * What is wrong with a Redis Cluster URI's seed list, or {@code null}: at least one seed, each a host and a port
     * (1-65535; an IPv6 address in brackets), so that a typo is a configuration error at start and not an exception
     * from the client (the seeds are read the same way by {@code ClusterConfig.clusterSeeds}).
     */
    private static String clusterProblem(String uri) {
        String rest = uri.substring(uri.indexOf("://") + 3);
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            rest = rest.substring(at + 1);
        }
        int seeds = 0;
        for (String part : rest.split(",", -1)) {
            String seed = part.trim();
            if (seed.isEmpty()) {
                continue;
            }
            seeds++;
            int colon = seed.lastIndexOf(':');
            String host = colon > 0 ? seed.substring(0, colon) : "";
            String port = colon > 0 ? seed.substring(colon + 1) : "";
            boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
            if (host.isEmpty() || (!bracketed && !host.matches("[A-Za-z0-9._-]+")) || !port.matches("[0-9]{1,5}")
                    || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                return "not a host:port: '" + seed + "'";
            }
            try {
                RedisURI.create("redis://" + seed);
            } catch (RuntimeException e) {
                return "not a seed Lettuce can read: '" + seed + "' (" + e.getMessage() + ")";
            }
        }
        return seeds == 0 ? "no seed node" : null;
    }

    private static final String SENTINEL_FORM = "redis-sentinel://[user:password@]host[:port][,host[:port]...][/db]"
            + "#primary-name (Sentinel)";

    /** What is wrong with a Sentinel URI, as Lettuce reads it, or {@code null}. */
    private static String sentinelProblem(String uri) {
        if (!uri.contains("#") && !uri.contains(RedisURI.PARAMETER_NAME_SENTINEL_MASTER_ID + "=")) {
            return "no primary name: the name Sentinel monitors goes after #";
        }
        RedisURI parsed;
        try {
            parsed = RedisURI.create(uri);
        } catch (RuntimeException e) {
            return "not a URI Lettuce can read: " + e.getMessage();
        }
        if (parsed.getSentinels().isEmpty()) {
            return "no Sentinel host";
        }
        for (RedisURI s : parsed.getSentinels()) {
            if (s.getHost() == null || s.getHost().isEmpty()) {
                return "a Sentinel without a host";
            }
        }
        String primary = parsed.getSentinelMasterId();
        if (primary == null || primary.isEmpty()) {
            return "no primary name: the name Sentinel monitors goes after #";
        }
        return null;
    }

    private String clusterName(List<String> problems) {
        String v = raw.get(Setting.CLUSTER_NAME);
        if (v == null || !v.trim().matches("[A-Za-z0-9_-]{1,32}")) {
            problems.add(where(Setting.CLUSTER_NAME) + ": " + v + " (expected: 1-32 of [A-Za-z0-9_-])");
            return "gw";
        }
        return v.trim();
    }

    private String where(Setting s) {
        Source src = source(s);
        switch (src) {
            case ENV: return s.env();
            case FLAG: return s.flag();
            case FILE: return s.key() + " (config file)";
            default: return s.key();
        }
    }

    private int port(Setting s, List<String> problems) {
        return integer(s, 0, 65535, problems);
    }

    private int integer(Setting s, int min, int max, List<String> problems) {
        return (int) longInteger(s, min, max, problems);
    }

    private double decimal(Setting s, List<String> problems) {
        String v = raw.get(s);
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d >= 0) || Double.isInfinite(d)) {
                problems.add(where(s) + ": " + v + " (expected: a number >= 0)");
                return 0;
            }
            return d;
        } catch (NumberFormatException | NullPointerException e) {
            problems.add(where(s) + ": " + v + " (expected: a number >= 0)");
            return 0;
        }
    }

    private String nonEmpty(Setting s, List<String> problems) {
        String v = raw.get(s);
        if (v == null || v.isBlank()) {
            problems.add(where(s) + ": empty (expected: a value)");
            return "";
        }
        return v.trim();
    }

    private String oneOf(Setting s, List<String> problems, String... allowed) {
        String v = raw.get(s) == null ? "" : raw.get(s).trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        problems.add(where(s) + ": " + raw.get(s) + " (expected: one of " + String.join(", ", allowed) + ")");
        return allowed[0];
    }

    private SessionMode sessionMode(List<String> problems) {
        try {
            return SessionMode.parse(String.valueOf(raw.get(Setting.SESSIONS)));
        } catch (IllegalArgumentException e) {
            problems.add(where(Setting.SESSIONS) + ": " + raw.get(Setting.SESSIONS) + " (expected: single or multi)");
            return SessionMode.SINGLE;
        }
    }

    private String secret(List<String> problems) {
        String file = raw.get(Setting.JWT_SECRET_FILE);
        String secret = raw.get(Setting.JWT_SECRET);
        if (file != null && !file.isBlank()) {
            try {
                secret = Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                problems.add(where(Setting.JWT_SECRET_FILE) + ": " + file + " cannot be read (" + e + ")");
                return null;
            }
            if (secret.isEmpty()) {
                problems.add(where(Setting.JWT_SECRET_FILE) + ": " + file + " is empty (expected: the secret)");
                return null;
            }
        }
        if (secret == null) {
            return null;
        }
        if (secret.isEmpty()) {
            // An empty secret is a mistake, not a request for development mode: refuse rather than guess.
            problems.add(where(Setting.JWT_SECRET) + ": empty (expected: a secret; unset it for development mode)");
            return null;
        }
        return secret;
    }
}
