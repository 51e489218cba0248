package io.chatgateway.server.cluster;

import io.chatgateway.Gateway;
import io.chatgateway.routing.UnavailableException;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.netty.util.concurrent.EventExecutor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster ({@code redis-cluster://host:port,host:port}): every key is hash-tagged by what one script must
 * change atomically (a user's registry and inbox under {@code {U}}, a room's membership, counts and history under
 * {@code {R}}, a node's index under {@code {N}}, the lease table under {@code {P}}), and every channel is a sharded
 * one ({@code SSUBSCRIBE} / {@code SPUBLISH}) in the slot of the keys whose script publishes on it, so a room message
 * is one script and one publish on the room's shard only.
 *
 * <p>A batch from the {@link OpBatcher} is split into one {@code sops.lua} call per slot (each operation goes to the
 * slot of what it touches; a registration or join also records itself in this node's index), sent pipelined to the
 * slots' shards. Calls of one slot keep the batcher's order: they travel one shard connection in order, and a call
 * that must wait (a registration waits until this node is subscribed to the user's channel) holds back the later
 * calls of its slot.
 *
 * <p>Entries carry their node (connection ids start with it), and scripts count only nodes of the live set this node
 * read at its last lease refresh (each with its deadline, compared with the shard's clock): a dead node's entries stop
 * counting when its lease runs out, and the node that claims it (one, through {@code {P}:nodes}) walks the dead node's
 * index slot by slot to drop them and announce {@code left}.
 *
 * <p>Direct messages, kicks and server-side membership travel on the user's channel, to which every node serving the
 * user subscribes while it has one of the user's connections; so one script assigns an inbox offset and publishes
 * the message to all of the user's nodes in that order, as on one Redis. Broadcasts and the lag probe use the
 * node's inbox channel, {@code P:n:{N}:in}.
 */
final class ShardedRedisBroker implements RedisBroker {
    /** How long a claim to reap a dead node holds before another node may take it over. */
    static final long REAP_HOLD_MILLIS = 30_000;
    private static final int WALK_CHUNK = OpBatcher.MAX_OPS;

    private final ClusterConfig config;
    private final String nodeId;
    private final String prefix;
    private final RedisCluster cluster;
    private final EventExecutor control;
    private final RedisClusterClient client;
    private final String inbox;
    private final Map<Integer, CompletableFuture<?>> tails = new HashMap<>();
    private final ConcurrentHashMap<String, UserChannel> users = new ConcurrentHashMap<>();
    private final Set<String> reaping = ConcurrentHashMap.newKeySet();
    private volatile StatefulRedisClusterConnection<String, byte[]> commands;
    private volatile StatefulRedisClusterPubSubConnection<String, byte[]> pubsub;
    /** The live nodes and their deadlines as last read: "node deadline node deadline". */
    private volatile byte[] liveArg = new byte[0];
    private volatile List<String[]> live = List.of();
    private boolean ticked;
    /** Where the renewal of online users' inbox records and served rooms' history records goes on. */
    private List<String> renewUsers = List.of();
    private List<String> renewRooms = List.of();
    private int renewUser;
    private int renewRoom;
    /** Renewals per lease refresh, of users and of rooms each: a pass over 100,000 takes under seven minutes. */
    static final int RENEW_SLICE = 256;

    private static final class UserChannel {
        final Set<String> connections = new HashSet<>();
        CompletableFuture<Void> subscribed;
    }

    /** A part of an operation: what it does in one slot. */
    private record Part(String key, String code, byte[] a, byte[] b, byte[] c) {
        int slot() {
            return SlotHash.getSlot(key);
        }
    }

    ShardedRedisBroker(ClusterConfig config, String nodeId, ClientResources resources,
                       RedisConnectionStateListener events, RedisCluster cluster, EventExecutor control) {
        this.config = config;
        this.nodeId = nodeId;
        this.prefix = config.name();
        this.cluster = cluster;
        this.control = control;
        this.inbox = nodeKey(nodeId) + ":in";
        List<RedisURI> seeds = new ArrayList<>();
        for (String seed : config.clusterSeeds()) {
            RedisURI uri = RedisURI.create(seed);
            uri.setTimeout(config.timeout());
            seeds.add(uri);
        }
        this.client = RedisClusterClient.create(resources, seeds);
        client.setOptions(ClusterClientOptions.builder()
                .autoReconnect(true)
                // Connections to the shards open lazily, on the first command for one of their slots: rejecting
                // commands while one connects would fail them for nothing. A command queued while its shard is
                // down still fails after the timeout, and a delivery that reaches Redis after its batch's
                // deadline is dropped by the script, so nothing answered "unavailable" is delivered late.
                .disconnectedBehavior(ClusterClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(config.timeout()).keepAlive(true).build())
                // A failover or resharding moves slots: follow MOVED / ASK and refresh the slot map at once.
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .enablePeriodicRefresh(Duration.ofSeconds(30))
                        .build())
                .build());
        client.addListener(events);
    }

    // ---- names: a name with a brace (or empty, or starting with '~') is tagged by its hex form, as in sharded.lua

    static String tag(String name) {
        if (!name.isEmpty() && name.indexOf('{') < 0 && name.indexOf('}') < 0 && !name.startsWith("~")) {
            return name;
        }
        StringBuilder sb = new StringBuilder("~");
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    String userKey(String user) {
        return prefix + ":u:{" + tag(user) + "}";
    }

    String roomKey(String room) {
        return prefix + ":r:{" + tag(room) + "}";
    }

    String nodeKey(String node) {
        return prefix + ":n:{" + node + "}";
    }

    private String clusterKey(String suffix) {
        return "{" + prefix + "}:" + suffix;
    }

    @Override
    public String inboxChannel() {
        return inbox;
    }

    @Override
    public String roomChannel(String room) {
        return roomKey(room) + ":ch";
    }

    String userChannel(String user) {
        return userKey(user) + ":ch";
    }

    // ---- connections

    @Override
    public CompletableFuture<Void> connect(RedisPubSubListener<String, byte[]> listener) {
        // The asynchronous connects need the slot map first (the synchronous ones would load it by blocking).
        CompletableFuture<Void> slots = client.refreshPartitionsAsync().toCompletableFuture();
        CompletableFuture<?> c = commands != null ? CompletableFuture.completedFuture(null)
                : slots.thenCompose(v -> client.connectAsync(SingleRedisBroker.CODEC)).thenAccept(conn -> commands = conn);
        CompletableFuture<?> p = pubsub != null ? CompletableFuture.completedFuture(null)
                : slots.thenCompose(v -> client.connectPubSubAsync(SingleRedisBroker.CODEC)).thenAccept(conn -> {
                    // Sharded subscriptions live on the connection to each channel's shard; their messages reach
                    // this connection's listeners only with propagation on.
                    conn.setNodeMessagePropagation(true);
                    conn.addListener(new OwnEchoFilter(listener));
                    pubsub = conn;
                });
        return CompletableFuture.allOf(c, p);
    }

    @Override
    public boolean connected() {
        return commands != null && pubsub != null;
    }

    @Override
    public boolean isOpen() {
        StatefulRedisClusterConnection<String, byte[]> c = commands;
        StatefulRedisClusterPubSubConnection<String, byte[]> p = pubsub;
        return c != null && p != null && c.isOpen() && p.isOpen();
    }

    @Override
    public boolean owns(RedisChannelHandler<?, ?> connection) {
        // The pub/sub connections to each shard count: a shard that dropped one may have lost this node's
        // subscriptions (Lettuce's own re-subscription sends all sharded channels in one SSUBSCRIBE, which fails
        // with CROSSSLOT), so the node resyncs and subscribes one by one. Command connections to the shards and the
        // short-lived ones of topology refreshes come and go: a failing shard shows as failing commands instead.
        return connection == commands || connection == pubsub || connection instanceof StatefulRedisPubSubConnection;
    }

    @Override
    public void close(Duration timeout) {
        SingleRedisBroker.closeQuietly(pubsub);
        SingleRedisBroker.closeQuietly(commands);
        try {
            client.shutdown(Duration.ZERO, timeout);
        } catch (RuntimeException e) {
            // closing anyway
        }
    }

    /**
     * The run ids of every primary, sorted and joined: a shard restarted (empty, or from an old snapshot) or failed
     * over has another one, which makes the node register everything again; an outage that lost nothing (a
     * timeout, a dropped connection) only resubscribes, as on one Redis.
     */
    @Override
    public CompletableFuture<String> serverRunId() {
        return commands.async().upstream().commands().info("server").toCompletableFuture().thenApply(infos -> {
            List<String> ids = new ArrayList<>(infos.size());
            for (String info : infos) {
                for (String line : info.split("\\r?\\n")) {
                    if (line.startsWith("run_id:")) {
                        ids.add(line.substring("run_id:".length()).trim());
                    }
                }
            }
            if (ids.isEmpty()) {
                return null;
            }
            ids.sort(null);
            return String.join(",", ids);
        });
    }

    // ---- batches

    @Override
    public CompletableFuture<List<Object>> runBatch(List<Op> batch, byte[][] common, long deadline) {
        StatefulRedisClusterConnection<String, byte[]> c = commands;
        if (c == null) {
            return CompletableFuture.failedFuture(new UnavailableException("not connected to Redis"));
        }
        List<List<Part>> parts = new ArrayList<>(batch.size());
        Map<Integer, List<int[]>> groups = new LinkedHashMap<>();
        Map<Integer, List<CompletableFuture<Void>>> waits = new HashMap<>();
        for (int k = 0; k < batch.size(); k++) {
            Op op = batch.get(k);
            List<Part> ps = parts(op);
            parts.add(ps);
            for (int j = 0; j < ps.size(); j++) {
                Part p = ps.get(j);
                int slot = p.slot();
                groups.computeIfAbsent(slot, s -> new ArrayList<>()).add(new int[] {k, j});
                if (p.code().equals("REG")) {
                    String user = RedisCluster.string(p.a());
                    waits.computeIfAbsent(slot, s -> new ArrayList<>())
                            .add(acquireUser(user, RedisCluster.string(p.b())));
                }
            }
        }
        Object[][] results = new Object[batch.size()][];
        for (int k = 0; k < batch.size(); k++) {
            results[k] = new Object[parts.get(k).size()];
        }
        byte[] deadlineArg = RedisCluster.utf8(Long.toString(deadline));
        byte[] liveNow = liveArg;
        List<CompletableFuture<?>> sent = new ArrayList<>(groups.size());
        for (Map.Entry<Integer, List<int[]>> g : groups.entrySet()) {
            List<int[]> members = g.getValue();
            byte[][] a = new byte[common.length + 2 + members.size() * 4][];
            System.arraycopy(common, 0, a, 0, common.length);
            int i = common.length;
            a[i++] = liveNow;
            a[i++] = deadlineArg;
            for (int[] m : members) {
                Part p = parts.get(m[0]).get(m[1]);
                a[i++] = RedisCluster.utf8(p.code());
                a[i++] = p.a();
                a[i++] = p.b();
                a[i++] = p.c();
            }
            String key = parts.get(members.get(0)[0]).get(members.get(0)[1]).key();
            List<CompletableFuture<Void>> w = waits.get(g.getKey());
            CompletableFuture<Void> pre = w == null ? null : CompletableFuture.allOf(w.toArray(new CompletableFuture<?>[0]));
            sent.add(inSlotOrder(g.getKey(), pre, () -> eval(c.async(), Scripts.SHARD_OPS, key, a))
                    .handle((reply, error) -> {
                        for (int n = 0; n < members.size(); n++) {
                            int[] m = members.get(n);
                            Object r;
                            if (error != null) {
                                r = RedisCluster.rootCause(error);
                            } else if (reply.size() != members.size()) {
                                r = new IllegalStateException("sops.lua answered " + reply.size() + " of "
                                        + members.size());
                            } else {
                                r = reply.get(n);
                            }
                            synchronized (results) {
                                results[m[0]][m[1]] = r;
                            }
                        }
                        return null;
                    }));
        }
        return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<Object> out = new ArrayList<>(batch.size());
            synchronized (results) {
                for (int k = 0; k < batch.size(); k++) {
                    out.add(combine(batch.get(k), results[k]));
                }
            }
            return out;
        });
    }

    /**
     * Sends a slot's call after the calls of that slot that are still held back, and after {@code pre}; with
     * nothing to wait for, at once (the shard connection keeps the order).
     */
    private CompletableFuture<List<Object>> inSlotOrder(int slot, CompletableFuture<Void> pre,
                                                        java.util.function.Supplier<CompletableFuture<List<Object>>> call) {
        synchronized (tails) {
            CompletableFuture<?> prev = tails.get(slot);
            if (prev == null && (pre == null || pre.isDone() && !pre.isCompletedExceptionally())) {
                return call.get();
            }
            CompletableFuture<?> after = prev == null ? CompletableFuture.completedFuture(null)
                    : prev.handle((r, e) -> null);
            CompletableFuture<List<Object>> f = after
                    .thenCompose(v -> pre == null ? CompletableFuture.completedFuture(null) : pre)
                    .thenCompose(v -> call.get());
            tails.put(slot, f);
            f.whenComplete((r, e) -> {
                synchronized (tails) {
                    tails.remove(slot, f);
                }
            });
            return f;
        }
    }

    /** What an operation does, slot by slot; the first part's result is the operation's unless combined below. */
    private List<Part> parts(Op op) {
        String a = RedisCluster.string(op.a);
        switch (op.code) {
            case "REG":
                return List.of(new Part(userKey(a), op.code, op.a, op.b, op.c),
                        new Part(nodeKey(nodeId), "IDX", utf8("u"), op.a, utf8("+")));
            case "JOIN":
            case "JOINQ":
                return List.of(new Part(roomKey(a), op.code, op.a, op.b, op.c),
                        new Part(nodeKey(nodeId), "IDX", utf8("r"), op.a, utf8("+")));
            case "UNREG":
            case "SEND":
            case "DISC":
            case "ISEND":
            case "IREAD":
            case "MEMB":
            case "DROPU":
            case "UCNT":
                return List.of(new Part(userKey(a), op.code, op.a, op.b, op.c));
            case "LEAVE":
            case "PUB":
            case "HPUB":
            case "HREAD":
            case "DROPR":
            case "RPRES":
                return List.of(new Part(roomKey(a), op.code, op.a, op.b, op.c));
            case "IDX":
                return List.of(new Part(nodeKey(nodeId), op.code, op.a, op.b, op.c));
            case "NPRES":
                return List.of(new Part(nodeKey(a), op.code, op.a, op.b, op.c));
            case "ALL": {
                // One publish per other live node on its inbox, less the excluded user's connections there.
                List<Part> ps = new ArrayList<>();
                for (String[] n : live) {
                    if (!n[0].equals(nodeId)) {
                        ps.add(new Part(nodeKey(n[0]), "NALL", utf8(n[0]), op.b, new byte[0]));
                    }
                }
                if (op.a.length > 0) {
                    ps.add(new Part(userKey(a), "UCNT", op.a, new byte[0], new byte[0]));
                }
                return ps;
            }
            default:
                throw new IllegalArgumentException("unknown cluster operation " + op.code);
        }
    }

    private Object combine(Op op, Object[] results) {
        for (Object r : results) {
            if (r instanceof Throwable) {
                return r;
            }
        }
        switch (op.code) {
            case "ALL": {
                long sum = 0;
                for (int j = 0; j < results.length; j++) {
                    long v = (Long) results[j];
                    boolean exclusion = op.a.length > 0 && j == results.length - 1;
                    if (v < 0 && !exclusion) {
                        return -1L;
                    }
                    sum += exclusion ? -v : v;
                }
                return Math.max(0L, sum);
            }
            case "UNREG":
                afterUnregister(RedisCluster.string(op.a), RedisCluster.string(op.b));
                return results[0];
            case "LEAVE":
                afterLeave(RedisCluster.string(op.a));
                return results[0];
            default:
                return results.length == 0 ? 0L : results[0];
        }
    }

    private void afterUnregister(String user, String connection) {
        releaseUser(user, connection);
        Gateway g = cluster.gateway();
        if (g != null && g.connections().connectionsOf(user).isEmpty()) {
            // Submitted behind any registration of the user that follows (same queue, same slot): never lost.
            cluster.submitDurable(Op.internal("IDX", "u", user, "-", true));
        }
    }

    private void afterLeave(String room) {
        if (!cluster.subscriptions().contains(room)) {
            cluster.submitDurable(Op.internal("IDX", "r", room, "-", true));
        }
    }

    // ---- the users' channels

    private CompletableFuture<Void> acquireUser(String user, String connection) {
        UserChannel ch = users.compute(user, (u, cur) -> {
            UserChannel c = cur;
            if (c == null) {
                c = new UserChannel();
                c.subscribed = subscribe(userChannel(u));
            }
            c.connections.add(connection);
            return c;
        });
        return ch.subscribed;
    }

    private void releaseUser(String user, String connection) {
        users.computeIfPresent(user, (u, c) -> {
            c.connections.remove(connection);
            if (!c.connections.isEmpty()) {
                return c;
            }
            unsubscribe(userChannel(u));
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> resubscribeOwn() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (String user : users.keySet()) {
            users.computeIfPresent(user, (u, c) -> {
                c.subscribed = subscribe(userChannel(u));
                all.add(c.subscribed);
                return c;
            });
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public CompletableFuture<Void> subscribe(String channel) {
        StatefulRedisClusterPubSubConnection<String, byte[]> p = pubsub;
        if (p == null) {
            return CompletableFuture.failedFuture(new UnavailableException("not connected to Redis"));
        }
        return p.async().ssubscribe(channel).toCompletableFuture();
    }

    @Override
    public void unsubscribe(String channel) {
        StatefulRedisClusterPubSubConnection<String, byte[]> p = pubsub;
        if (p != null) {
            p.async().sunsubscribe(channel);
        }
    }

    @Override
    public void publishToInbox(byte[] payload) {
        commands.async().spublish(inbox, payload);
    }

    /**
     * Drops what this node published on a user's channel for the other nodes (direct messages without an inbox,
     * disconnects, membership, kicks): on one Redis those went to the other nodes' inboxes only.
     */
    private final class OwnEchoFilter extends RedisPubSubAdapter<String, byte[]> {
        private final RedisPubSubListener<String, byte[]> delegate;

        OwnEchoFilter(RedisPubSubListener<String, byte[]> delegate) {
            this.delegate = delegate;
        }

        @Override
        public void smessage(String channel, byte[] message) {
            if (message.length > 2 && message[1] == '\n' && isOwnEcho(message)) {
                return;
            }
            delegate.message(channel, message);
        }

        @Override
        public void message(String channel, byte[] message) {
            delegate.message(channel, message);
        }

        private boolean isOwnEcho(byte[] m) {
            char kind = (char) m[0];
            if (kind != Envelope.USER && kind != Envelope.DISCONNECT && kind != Envelope.MEMBERSHIP
                    && kind != Envelope.KICK) {
                return false;
            }
            int n = nodeId.length();
            if (m.length < 2 + n + 1 || m[2 + n] != '\n') {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (m[2 + i] != nodeId.charAt(i)) {
                    return false;
                }
            }
            return true;
        }
    }

    // ---- lease, reaping, reset

    @Override
    public CompletableFuture<List<Object>> tick(byte[][] common, long leaseMillis, byte[] stats, byte[] run) {
        RedisAdvancedClusterAsyncCommands<String, byte[]> c = commands.async();
        Gateway g = cluster.gateway();
        int conns = g == null ? 0 : g.connections().authenticatedCount();
        CompletableFuture<List<Object>> lease = eval(c, Scripts.SHARD_TICK, clusterKey("nodes"),
                SingleRedisBroker.args(common, liveArg, utf8(Long.toString(leaseMillis)),
                        utf8(Long.toString(REAP_HOLD_MILLIS))));
        CompletableFuture<List<Object>> self = eval(c, Scripts.SHARD_NODE, nodeKey(nodeId) + ":info",
                SingleRedisBroker.args(common, liveArg, stats, run, utf8(Integer.toString(conns))));
        renewSlice(c, g, new String(common[3], StandardCharsets.UTF_8));
        CompletableFuture<List<Object>> reply = lease.thenCombine(self, (l, s) -> {
            List<String[]> nodes = new ArrayList<>();
            StringBuilder arg = new StringBuilder();
            List<?> pairs = (List<?>) l.get(0);
            for (int i = 0; i + 1 < pairs.size(); i += 2) {
                String node = RedisCluster.string(pairs.get(i));
                String deadline = RedisCluster.string(pairs.get(i + 1));
                // WITHSCORES answers the score as a float string ("1.7e12" or "1700000000000")
                long d = (long) Double.parseDouble(deadline);
                nodes.add(new String[] {node, Long.toString(d)});
                arg.append(node).append(' ').append(d).append(' ');
            }
            live = nodes;
            liveArg = utf8(arg.toString());
            List<Object> out = new ArrayList<>();
            out.add(s.get(0));
            out.add(s.get(1));
            out.add((long) nodes.size());
            out.add(s.get(2));
            for (Object dead : (List<?>) l.get(1)) {
                String node = RedisCluster.string(dead);
                out.add(RedisCluster.utf8(node));
                control.execute(() -> reap(node, common));
            }
            return out;
        });
        return reply.thenCompose(out -> {
            boolean first = !ticked || (Long) out.get(1) == 1;
            ticked = true;
            if (!first) {
                return CompletableFuture.completedFuture(out);
            }
            // The other nodes read the live set at their next refresh: until then they would not count this node's
            // users. Only then may it answer welcome (a send from any node must reach a welcomed connection).
            CompletableFuture<List<Object>> later = new CompletableFuture<>();
            control.schedule(() -> later.complete(out), config.tick().toMillis() + 100, TimeUnit.MILLISECONDS);
            return later;
        });
    }

    /**
     * Keeps alive, a slice per refresh, what a node's presence must keep: the inbox records of its online users
     * (about an hour ahead, as on one Redis) and the history records of the rooms it serves (a quiet room with
     * members keeps its epoch and offsets). On one Redis the lease script does this; here they live on every shard.
     */
    private void renewSlice(RedisAdvancedClusterAsyncCommands<String, byte[]> c, Gateway g, String history) {
        if (g == null) {
            return;
        }
        String[] h = history.split(" ");
        long roomSize = Long.parseLong(h[0]);
        long roomTtl = Long.parseLong(h[1]);
        long inboxSize = Long.parseLong(h[2]);
        long onlineInboxTtl = Long.parseLong(h[3]) + 3_600_000L;
        if (inboxSize > 0) {
            if (renewUser >= renewUsers.size()) {
                renewUsers = new ArrayList<>(g.connections().users());
                renewUser = 0;
            }
            for (int n = 0; n < RENEW_SLICE && renewUser < renewUsers.size(); n++) {
                c.pexpire(userKey(renewUsers.get(renewUser++)) + ":i", onlineInboxTtl);
            }
        }
        if (roomSize > 0) {
            if (renewRoom >= renewRooms.size()) {
                renewRooms = new ArrayList<>(g.rooms().names());
                renewRoom = 0;
            }
            for (int n = 0; n < RENEW_SLICE && renewRoom < renewRooms.size(); n++) {
                c.pexpire(roomKey(renewRooms.get(renewRoom++)) + ":h", roomTtl);
            }
        }
    }

    private void reap(String node, byte[][] common) {
        if (!reaping.add(node)) {
            return;
        }
        walk(node, common, true, true)
                .thenCompose(v -> commands.async().hdel(clusterKey("reaping"), node).toCompletableFuture())
                .whenComplete((v, e) -> reaping.remove(node));
    }

    @Override
    public CompletableFuture<?> reset(byte[][] common, String mode) {
        switch (mode) {
            case "depart":
                // The lease goes last: if the walk does not finish, the node is still listed and a peer reaps it.
                return walk(nodeId, common, true, false)
                        .thenCompose(v -> commands.async().zrem(clusterKey("nodes"), utf8(nodeId)).toCompletableFuture());
            case "restart":
                return walk(nodeId, common, true, false);
            default:
                return walk(nodeId, common, false, false);
        }
    }

    /**
     * Drops every entry of a node, slot by slot, from its index: its users' connections and its memberships
     * (announcing {@code left} where it was a user's last), then the node's own keys.
     */
    private CompletableFuture<Void> walk(String node, byte[][] common, boolean announce, boolean tombstone) {
        RedisAdvancedClusterAsyncCommands<String, byte[]> c = commands.async();
        CompletableFuture<Set<byte[]>> usersOf = c.smembers(nodeKey(node) + ":users").toCompletableFuture();
        CompletableFuture<Set<byte[]>> roomsOf = c.smembers(nodeKey(node) + ":rooms").toCompletableFuture();
        return usersOf.thenCombine(roomsOf, (us, rs) -> {
            List<Op> ops = new ArrayList<>(us.size() + rs.size());
            for (byte[] u : us) {
                ops.add(Op.internal("DROPU", RedisCluster.string(u), node, "", false));
            }
            for (byte[] r : rs) {
                ops.add(Op.internal("DROPR", RedisCluster.string(r), node, announce ? "1" : "0", false));
            }
            return ops;
        }).thenCompose(ops -> {
            List<CompletableFuture<List<Object>>> all = new ArrayList<>();
            for (int i = 0; i < ops.size(); i += WALK_CHUNK) {
                all.add(runBatch(ops.subList(i, Math.min(ops.size(), i + WALK_CHUNK)), common, Long.MAX_VALUE)
                        .thenApply(rs -> {
                            for (Object r : rs) {
                                if (r instanceof Throwable) {
                                    throw new CompletionException((Throwable) r);
                                }
                            }
                            return rs;
                        }));
            }
            return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
        }).thenCompose(v -> eval(c, Scripts.SHARD_DROP, nodeKey(node) + ":info",
                SingleRedisBroker.args(common, liveArg, utf8(node), utf8(tombstone ? "1" : "0"))))
                .thenApply(v -> null);
    }

    // ---- presence and statistics

    @Override
    public CompletableFuture<List<Object>> presence(byte[][] common, String room, int limit) {
        if (room != null) {
            return runBatch(List.of(Op.internal("RPRES", room, Integer.toString(limit), "", false)), common,
                    Long.MAX_VALUE).thenApply(rs -> single(rs));
        }
        // Everyone: each other live node's index of its users, read on its shard, merged here.
        List<Op> ops = new ArrayList<>();
        for (String[] n : live) {
            if (!n[0].equals(nodeId)) {
                ops.add(Op.internal("NPRES", n[0], Integer.toString(limit), "", false));
            }
        }
        if (ops.isEmpty()) {
            return CompletableFuture.completedFuture(List.of(List.of(), 0L));
        }
        return runBatch(ops, common, Long.MAX_VALUE).thenApply(rs -> {
            LinkedHashSet<Object> seen = new LinkedHashSet<>();
            Set<String> names = new HashSet<>();
            long more = 0;
            for (Object r : rs) {
                if (r instanceof Throwable) {
                    throw new CompletionException((Throwable) r);
                }
                List<?> reply = (List<?>) r;
                for (Object u : (List<?>) reply.get(0)) {
                    if (names.add(RedisCluster.string(u))) {
                        if (seen.size() >= limit) {
                            more = 1;
                            break;
                        }
                        seen.add(u);
                    }
                }
                more |= (Long) reply.get(1);
            }
            List<Object> out = new ArrayList<>(2);
            out.add(new ArrayList<>(seen));
            out.add(more);
            return out;
        });
    }

    @SuppressWarnings("unchecked")
    private static List<Object> single(List<Object> rs) {
        Object r = rs.get(0);
        if (r instanceof Throwable) {
            throw new CompletionException((Throwable) r);
        }
        return (List<Object>) r;
    }

    @Override
    public CompletableFuture<List<Object>> nodes(byte[][] common) {
        RedisAdvancedClusterAsyncCommands<String, byte[]> c = commands.async();
        List<String[]> nodes = live;
        List<CompletableFuture<List<KeyValue<String, byte[]>>>> infos = new ArrayList<>();
        for (String[] n : nodes) {
            infos.add(c.hmget(nodeKey(n[0]) + ":info", "stats", "conns").toCompletableFuture());
        }
        return CompletableFuture.allOf(infos.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                List<KeyValue<String, byte[]>> kv = infos.get(i).join();
                List<Object> row = new ArrayList<>(4);
                row.add(utf8(nodes.get(i)[0]));
                row.add(Long.parseLong(nodes.get(i)[1]));
                row.add(kv.get(0).getValueOrElse(new byte[0]));
                row.add(kv.get(1).getValueOrElse(utf8("0")));
                out.add(row);
            }
            return out;
        });
    }

    // ---- scripts

    private static CompletableFuture<List<Object>> eval(RedisAdvancedClusterAsyncCommands<String, byte[]> c,
                                                        Scripts.Script script, String key, byte[][] args) {
        String[] keys = {key};
        return c.<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args).toCompletableFuture()
                .handle((reply, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(reply);
                    }
                    Throwable cause = RedisCluster.rootCause(error);
                    if (cause instanceof RedisNoScriptException
                            || cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT")) {
                        // This shard has not seen the script yet (new shard, restart, failover).
                        return c.<List<Object>>eval(script.source(), ScriptOutputType.MULTI, keys, args)
                                .toCompletableFuture();
                    }
                    return CompletableFuture.<List<Object>>failedFuture(cause);
                }).thenCompose(f -> f);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
