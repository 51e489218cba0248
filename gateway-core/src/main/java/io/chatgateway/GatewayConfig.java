package io.chatgateway;

import io.chatgateway.session.SessionMode;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The engine's settings: immutable, validated when built, with a {@link #toString()} fit for the start-up log.
 *
 * <pre>{@code
 * GatewayConfig config = GatewayConfig.builder()
 *         .maxConnections(50_000)
 *         .heartbeat(Duration.ofSeconds(30))
 *         .sessionMode(SessionMode.MULTI)
 *         .build();
 * }</pre>
 */
public final class GatewayConfig {
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    public static final int DEFAULT_MAX_FRAME_BYTES = 65_536;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_AUTH_TIMEOUT = Duration.ofSeconds(10);
    public static final SessionMode DEFAULT_SESSION_MODE = SessionMode.SINGLE;
    public static final int DEFAULT_MAX_SESSIONS_PER_USER = 5;
    public static final double DEFAULT_RATE_LIMIT_PER_SECOND = 200;
    public static final int DEFAULT_RATE_LIMIT_BURST = 400;
    public static final int DEFAULT_MAX_MALFORMED_FRAMES = 10;
    public static final int DEFAULT_MAX_ROOMS_PER_CONNECTION = 128;
    public static final int DEFAULT_MAX_PRESENCE_USERS = 1000;
    public static final int DEFAULT_OUTBOUND_BUFFER_BYTES = 1 << 20;
    public static final Duration DEFAULT_SLOW_CONSUMER_GRACE = Duration.ofSeconds(5);
    public static final String DEFAULT_WEBSOCKET_PATH = "/ws";
    public static final int DEFAULT_MAX_JSON_DEPTH = 32;
    /** Longest room name, in UTF-16 characters. */
    public static final int MAX_ROOM_NAME_LENGTH = 128;

    private final String nodeId;
    private final int maxConnections;
    private final int maxFrameBytes;
    private final Duration heartbeat;
    private final Duration authTimeout;
    private final SessionMode sessionMode;
    private final int maxSessionsPerUser;
    private final double rateLimitPerSecond;
    private final int rateLimitBurst;
    private final int maxMalformedFrames;
    private final int maxRoomsPerConnection;
    private final int maxPresenceUsers;
    private final int outboundBufferBytes;
    private final Duration slowConsumerGrace;
    private final String webSocketPath;
    private final int maxJsonDepth;

    private GatewayConfig(Builder b) {
        this.nodeId = b.nodeId != null ? b.nodeId : randomNodeId();
        this.maxConnections = b.maxConnections;
        this.maxFrameBytes = b.maxFrameBytes;
        this.heartbeat = b.heartbeat;
        this.authTimeout = b.authTimeout;
        this.sessionMode = b.sessionMode;
        this.maxSessionsPerUser = b.maxSessionsPerUser;
        this.rateLimitPerSecond = b.rateLimitPerSecond;
        this.rateLimitBurst = b.rateLimitBurst;
        this.maxMalformedFrames = b.maxMalformedFrames;
        this.maxRoomsPerConnection = b.maxRoomsPerConnection;
        this.maxPresenceUsers = b.maxPresenceUsers;
        this.outboundBufferBytes = b.outboundBufferBytes;
        this.slowConsumerGrace = b.slowConsumerGrace;
        this.webSocketPath = b.webSocketPath;
        this.maxJsonDepth = b.maxJsonDepth;
    }

    /** A random node id: 6 base-36 characters, e.g. {@code k3x9qa}. */
    public static String randomNodeId() {
        long v = ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36);
        return Long.toString(v, 36);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.nodeId = nodeId;
        b.maxConnections = maxConnections;
        b.maxFrameBytes = maxFrameBytes;
        b.heartbeat = heartbeat;
        b.authTimeout = authTimeout;
        b.sessionMode = sessionMode;
        b.maxSessionsPerUser = maxSessionsPerUser;
        b.rateLimitPerSecond = rateLimitPerSecond;
        b.rateLimitBurst = rateLimitBurst;
        b.maxMalformedFrames = maxMalformedFrames;
        b.maxRoomsPerConnection = maxRoomsPerConnection;
        b.maxPresenceUsers = maxPresenceUsers;
        b.outboundBufferBytes = outboundBufferBytes;
        b.slowConsumerGrace = slowConsumerGrace;
        b.webSocketPath = webSocketPath;
        b.maxJsonDepth = maxJsonDepth;
        return b;
    }

    /** This node's id: prefix of connection ids and message ids, unique in a cluster. */
    public String nodeId() {
        return nodeId;
    }

    /** The most connections held at once; the next one gets {@code server_busy}. */
    public int maxConnections() {
        return maxConnections;
    }

    /** The largest frame payload accepted, in bytes (a frame of exactly this size is accepted). */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /** A connection silent for this long is kicked with {@code idle}. */
    public Duration heartbeat() {
        return heartbeat;
    }

    /** A connection not authenticated within this time is closed. */
    public Duration authTimeout() {
        return authTimeout;
    }

    public SessionMode sessionMode() {
        return sessionMode;
    }

    /** In {@link SessionMode#MULTI}, the most connections of one user. */
    public int maxSessionsPerUser() {
        return maxSessionsPerUser;
    }

    /** Frames per second one connection may send on average; {@code 0} for no limit. */
    public double rateLimitPerSecond() {
        return rateLimitPerSecond;
    }

    /** Frames one connection may send at once after a quiet period. */
    public int rateLimitBurst() {
        return rateLimitBurst;
    }

    /** Malformed frames (bad JSON, wrong fields, unknown type) tolerated before the connection is closed. */
    public int maxMalformedFrames() {
        return maxMalformedFrames;
    }

    public int maxRoomsPerConnection() {
        return maxRoomsPerConnection;
    }

    /** The most users listed in a {@code presence} answer; beyond it the answer says {@code truncated}. */
    public int maxPresenceUsers() {
        return maxPresenceUsers;
    }

    /** Outbound buffer per connection above which it counts as a slow consumer (high water mark). */
    public int outboundBufferBytes() {
        return outboundBufferBytes;
    }

    /** How long a connection may stay above {@link #outboundBufferBytes()} before it is kicked. */
    public Duration slowConsumerGrace() {
        return slowConsumerGrace;
    }

    /** The HTTP path of the WebSocket endpoint. */
    public String webSocketPath() {
        return webSocketPath;
    }

    public int maxJsonDepth() {
        return maxJsonDepth;
    }

    @Override
    public String toString() {
        return "GatewayConfig{nodeId=" + nodeId
                + ", maxConnections=" + maxConnections
                + ", maxFrameBytes=" + maxFrameBytes
                + ", heartbeat=" + heartbeat.toSeconds() + "s"
                + ", authTimeout=" + authTimeout.toMillis() + "ms"
                + ", sessions=" + sessionMode.name().toLowerCase(java.util.Locale.ROOT)
                + (sessionMode == SessionMode.MULTI ? ", maxSessionsPerUser=" + maxSessionsPerUser : "")
                + ", rateLimit=" + (rateLimitPerSecond == 0 ? "off" : rateLimitPerSecond + "/s burst " + rateLimitBurst)
                + ", maxMalformedFrames=" + maxMalformedFrames
                + ", maxRoomsPerConnection=" + maxRoomsPerConnection
                + ", maxPresenceUsers=" + maxPresenceUsers
                + ", outboundBufferBytes=" + outboundBufferBytes
                + ", slowConsumerGrace=" + slowConsumerGrace.toMillis() + "ms"
                + ", webSocketPath=" + webSocketPath
                + "}";
    }

    /** Builds a {@link GatewayConfig}; every value starts at its {@code DEFAULT_*}. */
    public static final class Builder {
        private String nodeId;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
        private Duration heartbeat = DEFAULT_HEARTBEAT;
        private Duration authTimeout = DEFAULT_AUTH_TIMEOUT;
        private SessionMode sessionMode = DEFAULT_SESSION_MODE;
        private int maxSessionsPerUser = DEFAULT_MAX_SESSIONS_PER_USER;
        private double rateLimitPerSecond = DEFAULT_RATE_LIMIT_PER_SECOND;
        private int rateLimitBurst = DEFAULT_RATE_LIMIT_BURST;
        private int maxMalformedFrames = DEFAULT_MAX_MALFORMED_FRAMES;
        private int maxRoomsPerConnection = DEFAULT_MAX_ROOMS_PER_CONNECTION;
        private int maxPresenceUsers = DEFAULT_MAX_PRESENCE_USERS;
        private int outboundBufferBytes = DEFAULT_OUTBOUND_BUFFER_BYTES;
        private Duration slowConsumerGrace = DEFAULT_SLOW_CONSUMER_GRACE;
        private String webSocketPath = DEFAULT_WEBSOCKET_PATH;
        private int maxJsonDepth = DEFAULT_MAX_JSON_DEPTH;

        private Builder() {
        }

        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = maxFrameBytes;
            return this;
        }

        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        public Builder authTimeout(Duration authTimeout) {
            this.authTimeout = authTimeout;
            return this;
        }

        public Builder sessionMode(SessionMode sessionMode) {
            this.sessionMode = sessionMode;
            return this;
        }

        public Builder maxSessionsPerUser(int maxSessionsPerUser) {
            this.maxSessionsPerUser = maxSessionsPerUser;
            return this;
        }

        public Builder rateLimit(double perSecond, int burst) {
            this.rateLimitPerSecond = perSecond;
            this.rateLimitBurst = burst;
            return this;
        }

        public Builder maxMalformedFrames(int maxMalformedFrames) {
            this.maxMalformedFrames = maxMalformedFrames;
            return this;
        }

        public Builder maxRoomsPerConnection(int maxRoomsPerConnection) {
            this.maxRoomsPerConnection = maxRoomsPerConnection;
            return this;
        }

        public Builder maxPresenceUsers(int maxPresenceUsers) {
            this.maxPresenceUsers = maxPresenceUsers;
            return this;
        }

        public Builder outboundBufferBytes(int outboundBufferBytes) {
            this.outboundBufferBytes = outboundBufferBytes;
            return this;
        }

        public Builder slowConsumerGrace(Duration slowConsumerGrace) {
            this.slowConsumerGrace = slowConsumerGrace;
            return this;
        }

        public Builder webSocketPath(String webSocketPath) {
            this.webSocketPath = webSocketPath;
            return this;
        }

        public Builder maxJsonDepth(int maxJsonDepth) {
            this.maxJsonDepth = maxJsonDepth;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid value and what was expected */
        public GatewayConfig build() {
            if (nodeId != null && !nodeId.matches("[A-Za-z0-9_]{1,32}")) {
                throw new IllegalArgumentException("nodeId: " + nodeId + " (expected: 1-32 of [A-Za-z0-9_])");
            }
            positive("maxConnections", maxConnections);
            positive("maxFrameBytes", maxFrameBytes);
            positive(heartbeat, "heartbeat");
            positive(authTimeout, "authTimeout");
            Objects.requireNonNull(sessionMode, "sessionMode");
            positive("maxSessionsPerUser", maxSessionsPerUser);
            if (!(rateLimitPerSecond >= 0) || Double.isInfinite(rateLimitPerSecond)) {
                throw new IllegalArgumentException(
                        "rateLimitPerSecond: " + rateLimitPerSecond + " (expected: >= 0, 0 for no limit)");
            }
            if (rateLimitPerSecond > 0) {
                positive("rateLimitBurst", rateLimitBurst);
            }
            positive("maxMalformedFrames", maxMalformedFrames);
            positive("maxRoomsPerConnection", maxRoomsPerConnection);
            positive("maxPresenceUsers", maxPresenceUsers);
            if (outboundBufferBytes < 1024) {
                throw new IllegalArgumentException(
                        "outboundBufferBytes: " + outboundBufferBytes + " (expected: >= 1024)");
            }
            Objects.requireNonNull(slowConsumerGrace, "slowConsumerGrace");
            if (slowConsumerGrace.isNegative()) {
                throw new IllegalArgumentException("slowConsumerGrace: " + slowConsumerGrace + " (expected: >= 0)");
            }
            if (webSocketPath == null || !webSocketPath.startsWith("/") || webSocketPath.contains("?")) {
                throw new IllegalArgumentException(
                        "webSocketPath: " + webSocketPath + " (expected: a path starting with '/')");
            }
            positive("maxJsonDepth", maxJsonDepth);
            return new GatewayConfig(this);
        }

        private static void positive(String name, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
        }

        private static void positive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
        }
    }
}
