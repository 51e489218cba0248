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
            "HS256 secret for tokens. No key of any kind configured: development mode (token = user id, NOT for"
                    + " production)."),
    JWT_SECRET_FILE("jwt-secret-file", null, "File holding the JWT secret (e.g. a Docker secret); wins over jwt-secret."),
    JWT_LEEWAY_SECONDS("jwt-leeway-seconds", "5", "Clock-skew allowance for exp, nbf and iat."),
    JWT_PUBLIC_KEY_FILE("jwt-public-key-file", null,
            "PEM file(s) of RS256/ES256 public keys for tokens, comma-separated, each optionally kid=path."),
    JWT_JWKS_FILE("jwt-jwks-file", null, "JWKS file (JSON Web Key Set) with the public keys for tokens."),
    JWT_JWKS_URL("jwt-jwks-url", null,
            "JWKS URL of an identity provider, fetched in the background, cached and refreshed."),
    JWT_JWKS_REFRESH_SECONDS("jwt-jwks-refresh-seconds", "300",
            "How often the JWKS URL is fetched again; an unknown kid refetches at most once per this interval."),
    JWT_ISSUER("jwt-issuer", null, "When set, a token's iss must equal it."),
    JWT_AUDIENCE("jwt-audience", null, "When set, a token's aud must contain it."),
    JWT_MAX_LIFETIME_SECONDS("jwt-max-lifetime-seconds", "0",
            "When above 0, a token whose exp lies further than this after its iat (or now) is rejected."),
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
    WRITE_DELAY_MS("write-delay-ms", "0",
            "How long a write may wait for more to the same socket before it is flushed (at most 100), counted from"
                    + " the end of the event-loop iteration that wrote it; 0 = off: flushed at the end of the next"
                    + " iteration."),
    IO_THREADS("io-threads", "0", "Event-loop threads; 0 = one per core."),
    TRANSPORT("transport", "auto", "auto (native epoll when available, else NIO), io_uring, epoll or nio."),
    SHUTDOWN_TIMEOUT_SECONDS("shutdown-timeout-seconds", "10",
            "On SIGTERM, how long connections get to close after kicked shutdown."),
    LOG_LEVEL("log-level", "INFO", "Level of the gateway's own loggers: TRACE, DEBUG, INFO, WARN or ERROR (Netty stays at WARN)."),
    ROOM_ACCESS("room-access", null,
            "granted: a connection joins only rooms its token, a room token or an operator grants; open: any room."
                    + " Unset: granted in production mode, open in development mode."),
    GLOBAL_PRESENCE("global-presence", null,
            "on: presence without a room lists every online user; off: forbidden."
                    + " Unset: off in production mode, on in development mode."),
    ROOM_EVENTS_MAX_MEMBERS("room-events-max-members", "1000",
            "joined/left are announced to a room's members only while it has at most this many users."),
    HISTORY_SIZE("history-size", "100", "Messages kept per room for recovery and history; 0 = no room history."),
    HISTORY_TTL_SECONDS("history-ttl-seconds", "300", "How long a room message is kept."),
    INBOX_SIZE("inbox-size", "100", "Direct messages kept per user; 0 = no inboxes."),
    INBOX_TTL_SECONDS("inbox-ttl-seconds", "120",
            "How long a direct message is kept, and how long an inbox outlives its user's last connection."),
    HISTORY_MAX_BYTES("history-max-bytes", "67108864",
            "Memory budget of all room histories and inboxes of a node; the oldest entries go first beyond it."),
    ALLOWED_ORIGINS("allowed-origins", null,
            "Web origins allowed to open a WebSocket, comma-separated; * = any, self = the gateway's own."
                    + " Unset: self in production mode, * in development mode."),
    MAX_CONNECTIONS_PER_IP("max-connections-per-ip", null,
            "Most connections one client address may hold; 0 = no limit. Unset: 1000 in production, 0 in development."),
    CONNECT_RATE_PER_IP("connect-rate-per-ip", null,
            "New connections per second one client address may open (bursts of twice that); 0 = no limit."
                    + " Unset: 50 in production, 0 in development."),
    MAX_UNAUTHENTICATED_CONNECTIONS("max-unauthenticated-connections", "0",
            "Most connections not yet authenticated, both ports together; 0 = a quarter of max-connections."),
    PROXY_PROTOCOL("proxy-protocol", "off",
            "on: every connection on both ports starts with a PROXY protocol v1 or v2 header (from a load balancer)."),
    TLS_CERT_FILE("tls-cert-file", null, "PEM certificate chain: TLS on both ports (reloaded when the file changes)."),
    TLS_KEY_FILE("tls-key-file", null, "PEM private key (PKCS#8) of tls-cert-file."),
    ADMIN_TOKEN("admin-token", null,
            "Bearer token of the admin API under /api/ (use 32+ random characters). Unset or empty: the API is off."),

    REDIS_URI("redis-uri", null,
            "Cluster mode: Redis to share users and rooms with other nodes, e.g. redis://redis:6379, its Sentinels: "
                    + "redis-sentinel://s1:26379,s2:26379/0#mymaster, or a Redis Cluster: "
                    + "redis-cluster://host:port,host:port. Unset: one node."),
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
