package io.chatgateway.server.config;

import java.util.Locale;

/**
 * Every setting of the server, with its default and description. One name per setting, spelt three ways:
 * {@code max-frame-bytes} in the config file, {@code GATEWAY_MAX_FRAME_BYTES} in the environment and
 * {@code --max-frame-bytes} on the command line. Later layers win: defaults &lt; file &lt; environment &lt; flags.
 */
public enum Setting {
    CONFIG("config", null, "Path of a properties file with settings (keys as in this table)."),
    HTTP_PORT("http-port", "8080", "Port of the WebSocket endpoint and the HTTP surface."),
    TCP_PORT("tcp-port", "9090", "Port of the length-prefixed TCP transport."),
    BIND("bind", "0.0.0.0", "Address to listen on."),
    WS_PATH("ws-path", "/ws", "HTTP path of the WebSocket endpoint."),
    MAX_CONNECTIONS("max-connections", "100000",
            "Most connections held at once; the next one gets server_busy and is closed."),
    MAX_FRAME_BYTES("max-frame-bytes", "65536", "Largest frame payload accepted, in bytes (this size is accepted)."),
    HEARTBEAT_SECONDS("heartbeat-seconds", "60", "A connection silent this long is kicked with idle."),
    AUTH_TIMEOUT_SECONDS("auth-timeout-seconds", "10", "A connection not authenticated within this time is closed."),
    SESSIONS("sessions", "single", "single: a new login replaces the old one; multi: several connections per user."),
    MAX_SESSIONS_PER_USER("max-sessions-per-user", "5",
            "With sessions=multi, most connections per user; one more replaces the oldest."),
    JWT_SECRET("jwt-secret", null,
            "HS256 secret for tokens. Unset: development mode (token = user id, NOT for production)."),
    JWT_SECRET_FILE("jwt-secret-file", null, "File holding the JWT secret (e.g. a Docker secret); wins over jwt-secret."),
    JWT_LEEWAY_SECONDS("jwt-leeway-seconds", "5", "Clock-skew allowance for exp, nbf and iat."),
    NODE_ID("node-id", null, "This node's id, prefix of connection and message ids. Unset: random per start."),
    RATE_LIMIT_PER_SECOND("rate-limit-per-second", "200", "Frames per second one connection may send; 0 = no limit."),
    RATE_LIMIT_BURST("rate-limit-burst", "400", "Frames one connection may send at once after a quiet period."),
    MAX_MALFORMED_FRAMES("max-malformed-frames", "10", "Malformed frames tolerated before the connection is closed."),
    MAX_ROOMS_PER_CONNECTION("max-rooms-per-connection", "128", "Most rooms one connection may join."),
    MAX_PRESENCE_USERS("max-presence-users", "1000", "Most users listed in a presence answer (then truncated)."),
    OUTBOUND_BUFFER_BYTES("outbound-buffer-bytes", "1048576",
            "Outbound buffer per connection above which it is a slow consumer."),
    SLOW_CONSUMER_GRACE_MS("slow-consumer-grace-ms", "5000",
            "How long a connection may stay above outbound-buffer-bytes before slow_consumer."),
    IO_THREADS("io-threads", "0", "Event-loop threads; 0 = one per core."),
    TRANSPORT("transport", "auto", "auto (native epoll when available, else NIO), epoll or nio."),
    SHUTDOWN_TIMEOUT_SECONDS("shutdown-timeout-seconds", "10",
            "On SIGTERM, how long connections get to close after kicked shutdown."),
    LOG_LEVEL("log-level", "INFO", "Level of the gateway's own loggers: TRACE, DEBUG, INFO, WARN or ERROR (Netty stays at WARN)."),
    ADMIN_TOKEN("admin-token", null,
            "Bearer token of the admin API under /api/ (use 32+ random characters). Unset or empty: the API is off."),

    REDIS_URI("redis-uri", null,
            "Cluster mode: Redis to share users and rooms with other nodes, e.g. redis://redis:6379. Unset: one node."),
    CLUSTER_NAME("cluster-name", "gw", "Cluster mode: prefix of every Redis key and channel; one name = one cluster."),
    CLUSTER_LEASE_MS("cluster-lease-ms", "10000",
            "Cluster mode: node lease; a node silent this long is dead and its users and rooms are dropped."),
    CLUSTER_TIMEOUT_MS("cluster-timeout-ms", "1500",
            "Cluster mode: how long a Redis call may take before the client gets error unavailable.");

    private final String key;
    private final String defaultValue;
    private final String description;

    Setting(String key, String defaultValue, String description) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** Name in the config file, e.g. {@code max-frame-bytes}. */
    public String key() {
        return key;
    }

    /** Name in the environment, e.g. {@code GATEWAY_MAX_FRAME_BYTES}. */
    public String env() {
        return "GATEWAY_" + key.replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** Command-line flag, e.g. {@code --max-frame-bytes}. */
    public String flag() {
        return "--" + key;
    }

    /** The default, or {@code null} for "unset". */
    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /** {@code true} for values that must never be logged. */
    public boolean isSecret() {
        return this == JWT_SECRET || this == ADMIN_TOKEN;
    }

    /** The setting with this file key, or {@code null}. */
    public static Setting byKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        return null;
    }

    /** The setting with this environment name, or {@code null}. */
    public static Setting byEnv(String env) {
        for (Setting s : values()) {
            if (s.env().equals(env)) {
                return s;
            }
        }
        return null;
    }
}
