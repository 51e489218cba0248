package io.chatgateway;

import io.chatgateway.policy.OriginPolicy;
import io.chatgateway.policy.RoomAccess;
import io.chatgateway.session.SessionMode;

import java.time.Duration;
import java.util.List;
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
    /** Off: writes are flushed at the end of the event-loop iteration after the one that made them (see LoopFlusher). */
    public static final Duration DEFAULT_WRITE_DELAY = Duration.ZERO;
    /** The most {@code writeDelay} may be: a bound on the latency it adds. */
    public static final Duration MAX_WRITE_DELAY = Duration.ofMillis(100);
    public static final String DEFAULT_WEBSOCKET_PATH = "/ws";
    public static final int DEFAULT_MAX_JSON_DEPTH = 32;
    public static final int DEFAULT_ROOM_EVENTS_MAX_MEMBERS = 1000;
    public static final int DEFAULT_HISTORY_SIZE = 100;
    public static final Duration DEFAULT_HISTORY_TTL = Duration.ofSeconds(300);
    public static final int DEFAULT_INBOX_SIZE = 100;
    public static final Duration DEFAULT_INBOX_TTL = Duration.ofSeconds(120);
    /** Node-wide memory budget of room histories and inboxes: 64 MiB, about 250,000 messages of 200 bytes. */
    public static final long DEFAULT_HISTORY_MAX_BYTES = 64L << 20;

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
    private final Duration writeDelay;
    private final String webSocketPath;
    private final int maxJsonDepth;
    private final RoomAccess roomAccess;
    private final Boolean globalPresence;
    private final int roomEventsMaxMembers;
    private final int historySize;
    private final Duration historyTtl;
    private final int inboxSize;
    private final Duration inboxTtl;
    private final long historyMaxBytes;
    private final List<String> allowedOrigins;
    private final int maxConnectionsPerIp;
    private final double connectRatePerIp;
    private final int maxUnauthenticatedConnections;
    private final boolean proxyProtocol;

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
        this.writeDelay = b.writeDelay;
        this.webSocketPath = b.webSocketPath;
        this.maxJsonDepth = b.maxJsonDepth;
        this.roomAccess = b.roomAccess;
        this.globalPresence = b.globalPresence;
        this.roomEventsMaxMembers = b.roomEventsMaxMembers;
        this.historySize = b.historySize;
        this.historyTtl = b.historyTtl;
        this.inboxSize = b.inboxSize;
        this.inboxTtl = b.inboxTtl;
        this.historyMaxBytes = b.historyMaxBytes;
        this.allowedOrigins = b.allowedOrigins == null ? null : List.copyOf(b.allowedOrigins);
        this.maxConnectionsPerIp = b.maxConnectionsPerIp;
        this.connectRatePerIp = b.connectRatePerIp;
        this.maxUnauthenticatedConnections = b.maxUnauthenticatedConnections;
        this.proxyProtocol = b.proxyProtocol;
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
        b.writeDelay = writeDelay;
        b.webSocketPath = webSocketPath;
        b.maxJsonDepth = maxJsonDepth;
        b.roomAccess = roomAccess;
        b.globalPresence = globalPresence;
        b.roomEventsMaxMembers = roomEventsMaxMembers;
        b.historySize = historySize;
        b.historyTtl = historyTtl;
        b.inboxSize = inboxSize;
        b.inboxTtl = inboxTtl;
        b.historyMaxBytes = historyMaxBytes;
        b.allowedOrigins = allowedOrigins;
        b.maxConnectionsPerIp = maxConnectionsPerIp;
        b.connectRatePerIp = connectRatePerIp;
        b.maxUnauthenticatedConnections = maxUnauthenticatedConnections;
        b.proxyProtocol = proxyProtocol;
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

    /**
     * How long a write may wait for others to the same socket before it is flushed: {@link Duration#ZERO} (the
     * default) flushes at the end of the event-loop iteration after the one that wrote it, so that what the next
     * poll brings joins the same socket write; a delay, counted from the end of the iteration that wrote, trades up
     * to that much latency for fewer, larger socket writes. Unwritable channels and closes are flushed at once
     * either way.
     */
    public Duration writeDelay() {
        return writeDelay;
    }

    /** The HTTP path of the WebSocket endpoint. */
    public String webSocketPath() {
        return webSocketPath;
    }

    public int maxJsonDepth() {
        return maxJsonDepth;
    }

    /**
     * Who may join which room, or {@code null} for the mode's default: {@link RoomAccess#GRANTED} in production
     * mode, {@link RoomAccess#OPEN} in development mode.
     */
    public RoomAccess roomAccess() {
        return roomAccess;
    }

    /**
     * Whether {@code presence} without a room lists every online user, or {@code null} for the mode's default: off
     * in production mode, on in development mode.
     */
    public Boolean globalPresence() {
        return globalPresence;
    }

    /** {@code joined} and {@code left} go to a room's other members only while it has at most this many users. */
    public int roomEventsMaxMembers() {
        return roomEventsMaxMembers;
    }

    /** Messages kept per room; {@code 0} turns room history off (no offsets). */
    public int historySize() {
        return historySize;
    }

    /** How long a room message is kept. */
    public Duration historyTtl() {
        return historyTtl;
    }

    /** Direct messages kept per user; {@code 0} turns inboxes off. */
    public int inboxSize() {
        return inboxSize;
    }

    /** How long a direct message is kept, and how long an inbox outlives its user's last connection. */
    public Duration inboxTtl() {
        return inboxTtl;
    }

    /** Node-wide memory budget of all room histories and inboxes; the oldest entries go first beyond it. */
    public long historyMaxBytes() {
        return historyMaxBytes;
    }

    /** {@code true} when rooms keep history. */
    public boolean isHistoryEnabled() {
        return historySize > 0;
    }

    /** {@code true} when users have inboxes. */
    public boolean isInboxEnabled() {
        return inboxSize > 0;
    }

    /**
     * Web origins that may open a WebSocket ({@code "*"} for any, {@code "self"} for the gateway's own), or
     * {@code null} for the mode's default: {@code self} in production mode, {@code *} in development mode.
     */
    public List<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** Most connections one client address may hold at once; {@code 0} for no limit. */
    public int maxConnectionsPerIp() {
        return maxConnectionsPerIp;
    }

    /**
     * New connections one client address may open per second on average (bursts of twice that); {@code 0} for no
     * limit.
     */
    public double connectRatePerIp() {
        return connectRatePerIp;
    }

    /**
     * Most connections that are open but not yet authenticated, across both ports; beyond it new connections are
     * refused at accept. {@code 0} for a quarter of {@link #maxConnections()}.
     */
    public int maxUnauthenticatedConnections() {
        return maxUnauthenticatedConnections;
    }

    /** {@link #maxUnauthenticatedConnections()} with its default resolved: never above the connection limit. */
    public int effectiveMaxUnauthenticatedConnections() {
        return maxUnauthenticatedConnections > 0 ? Math.min(maxUnauthenticatedConnections, maxConnections)
                : Math.max(1, maxConnections / 4);
    }

    /** {@code true} when every connection starts with a PROXY protocol (v1 or v2) header naming the client. */
    public boolean proxyProtocol() {
        return proxyProtocol;
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
                + ", writeDelay=" + (writeDelay.isZero() ? "off" : writeDelay.toMillis() + "ms")
                + ", webSocketPath=" + webSocketPath
                + ", roomAccess=" + (roomAccess == null ? "by mode" : roomAccess.label())
                + ", globalPresence=" + (globalPresence == null ? "by mode" : globalPresence ? "on" : "off")
                + ", roomEventsMaxMembers=" + roomEventsMaxMembers
                + ", history=" + (historySize == 0 ? "off" : historySize + " per room for " + historyTtl.toSeconds() + "s")
                + ", inbox=" + (inboxSize == 0 ? "off" : inboxSize + " per user for " + inboxTtl.toSeconds() + "s")
                + ", historyMaxBytes=" + historyMaxBytes
                + ", allowedOrigins=" + (allowedOrigins == null ? "by mode" : String.join(",", allowedOrigins))
                + ", maxConnectionsPerIp=" + (maxConnectionsPerIp == 0 ? "off" : maxConnectionsPerIp)
                + ", connectRatePerIp=" + (connectRatePerIp == 0 ? "off" : connectRatePerIp + "/s")
                + ", maxUnauthenticatedConnections=" + effectiveMaxUnauthenticatedConnections()
                + ", proxyProtocol=" + (proxyProtocol ? "on" : "off")
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
        private Duration writeDelay = DEFAULT_WRITE_DELAY;
        private String webSocketPath = DEFAULT_WEBSOCKET_PATH;
        private int maxJsonDepth = DEFAULT_MAX_JSON_DEPTH;
        private RoomAccess roomAccess;
        private Boolean globalPresence;
        private int roomEventsMaxMembers = DEFAULT_ROOM_EVENTS_MAX_MEMBERS;
        private int historySize = DEFAULT_HISTORY_SIZE;
        private Duration historyTtl = DEFAULT_HISTORY_TTL;
        private int inboxSize = DEFAULT_INBOX_SIZE;
        private Duration inboxTtl = DEFAULT_INBOX_TTL;
        private long historyMaxBytes = DEFAULT_HISTORY_MAX_BYTES;
        private List<String> allowedOrigins;
        private int maxConnectionsPerIp;
        private double connectRatePerIp;
        private int maxUnauthenticatedConnections;
        private boolean proxyProtocol;

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

        /** See {@link GatewayConfig#writeDelay()}; at most {@link #MAX_WRITE_DELAY}. */
        public Builder writeDelay(Duration writeDelay) {
            this.writeDelay = writeDelay;
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

        /** {@code null} for the mode's default (granted in production, open in development). */
        public Builder roomAccess(RoomAccess roomAccess) {
            this.roomAccess = roomAccess;
            return this;
        }

        /** {@code null} for the mode's default (off in production, on in development). */
        public Builder globalPresence(Boolean globalPresence) {
            this.globalPresence = globalPresence;
            return this;
        }

        public Builder roomEventsMaxMembers(int roomEventsMaxMembers) {
            this.roomEventsMaxMembers = roomEventsMaxMembers;
            return this;
        }

        /** Room history: messages per room ({@code 0} = off) and how long each is kept. */
        public Builder history(int size, Duration ttl) {
            this.historySize = size;
            this.historyTtl = ttl;
            return this;
        }

        /** Inboxes: direct messages per user ({@code 0} = off) and how long each is kept. */
        public Builder inbox(int size, Duration ttl) {
            this.inboxSize = size;
            this.inboxTtl = ttl;
            return this;
        }

        public Builder historyMaxBytes(long historyMaxBytes) {
            this.historyMaxBytes = historyMaxBytes;
            return this;
        }

        /** {@code null} for the mode's default; {@code "*"} for any origin, {@code "self"} for the gateway's own. */
        public Builder allowedOrigins(List<String> allowedOrigins) {
            this.allowedOrigins = allowedOrigins;
            return this;
        }

        public Builder maxConnectionsPerIp(int maxConnectionsPerIp) {
            this.maxConnectionsPerIp = maxConnectionsPerIp;
            return this;
        }

        public Builder connectRatePerIp(double connectRatePerIp) {
            this.connectRatePerIp = connectRatePerIp;
            return this;
        }

        public Builder maxUnauthenticatedConnections(int maxUnauthenticatedConnections) {
            this.maxUnauthenticatedConnections = maxUnauthenticatedConnections;
            return this;
        }

        public Builder proxyProtocol(boolean proxyProtocol) {
            this.proxyProtocol = proxyProtocol;
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
            Objects.requireNonNull(writeDelay, "writeDelay");
            if (writeDelay.isNegative() || writeDelay.compareTo(MAX_WRITE_DELAY) > 0) {
                throw new IllegalArgumentException("writeDelay: " + writeDelay.toMillis() + "ms (expected: 0 to "
                        + MAX_WRITE_DELAY.toMillis() + "ms)");
            }
            if (webSocketPath == null || !webSocketPath.startsWith("/") || webSocketPath.contains("?")) {
                throw new IllegalArgumentException(
                        "webSocketPath: " + webSocketPath + " (expected: a path starting with '/')");
            }
            positive("maxJsonDepth", maxJsonDepth);
            positive("roomEventsMaxMembers", roomEventsMaxMembers);
            notNegative("historySize", historySize);
            notNegative("inboxSize", inboxSize);
            positive(historyTtl, "historyTtl");
            positive(inboxTtl, "inboxTtl");
            if ((historySize > 0 || inboxSize > 0) && historyMaxBytes < 1024) {
                throw new IllegalArgumentException("historyMaxBytes: " + historyMaxBytes + " (expected: >= 1024)");
            }
            if (allowedOrigins != null) {
                for (String o : allowedOrigins) {
                    if (o == null || o.isBlank()) {
                        throw new IllegalArgumentException("allowedOrigins: an empty entry (expected: origins, self or *)");
                    }
                }
                OriginPolicy.of(allowedOrigins); // names the first entry that is not an origin, self, null or *
            }
            notNegative("maxConnectionsPerIp", maxConnectionsPerIp);
            if (!(connectRatePerIp >= 0) || Double.isInfinite(connectRatePerIp)) {
                throw new IllegalArgumentException(
                        "connectRatePerIp: " + connectRatePerIp + " (expected: >= 0, 0 for no limit)");
            }
            notNegative("maxUnauthenticatedConnections", maxUnauthenticatedConnections);
            return new GatewayConfig(this);
        }

        private static void positive(String name, long value) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
        }

        private static void notNegative(String name, long value) {
            if (value < 0) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
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
