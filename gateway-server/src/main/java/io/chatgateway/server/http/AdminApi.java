package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatgateway.Gateway;
import io.chatgateway.GatewayStatistics;
import io.chatgateway.history.HistoryPage;
import io.chatgateway.history.Position;
import io.chatgateway.internal.ThrottledLog;
import io.chatgateway.policy.RoomRight;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.Names;
import io.chatgateway.protocol.RawJson;
import io.chatgateway.room.Room;
import io.chatgateway.routing.Delivery;
import io.chatgateway.routing.Presence;
import io.chatgateway.routing.UnavailableException;
import io.chatgateway.server.cluster.ClusterStatistics;
import io.chatgateway.server.cluster.RedisCluster;
import io.chatgateway.server.health.Readiness;
import io.chatgateway.server.metrics.MessageRates;
import io.chatgateway.server.metrics.ServerMetrics;
import io.chatgateway.session.ClientAddress;
import io.chatgateway.session.Connection;
import io.chatgateway.session.Transport;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The admin API under {@code /api/} (documented in {@code docs/admin-api.md}). Every request needs the bearer
 * token; the operations are the engine's server-side ones on {@link Gateway}, so they reach the whole cluster where
 * the router does, and the listings come from the registries.
 *
 * <p>Nothing here blocks an event loop: an engine operation returns a {@link CompletionStage} and the answer is
 * written when it completes (from whatever thread), or with {@code 503} after {@link #TIMEOUT_MILLIS}.
 */
final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    static final String PREFIX = "/api/";
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    static final int DEFAULT_MEMBERS = 1000;
    static final int MAX_MEMBERS = 10_000;
    /** Upper bound on the users fetched for one page of the online-users listing. */
    static final int MAX_LISTED_USERS = 1_000_000;
    /** Longest wait for an engine operation (in a cluster, the broker) before answering 503. */
    static final long TIMEOUT_MILLIS = 5000;
    /** Room in a request body for the envelope around the message body. */
    static final int ENVELOPE_BYTES = 1024;

    private static final String GET = "GET, HEAD";
    private static final String POST = "POST";
    private static final String PUT_DELETE = "PUT, DELETE";
    /** Wrong tokens are logged at INFO, at most one line per 10 s with the count in between. */
    private static final ThrottledLog wrongTokens = new ThrottledLog(log, ThrottledLog.Level.INFO,
            "wrong admin token");

    private final AdminToken token;
    private final Gateway gateway;
    private final Readiness readiness;
    private final ServerMetrics metrics;
    private final Json json;
    private final int maxBodyBytes;
    private final long startedAtMillis;
    private final RedisCluster cluster;
    private final AdminTarpit tarpit = new AdminTarpit(System::currentTimeMillis);

    AdminApi(String token, Gateway gateway, Readiness readiness, ServerMetrics metrics) {
        this(token, gateway, readiness, metrics, null);
    }

    AdminApi(String token, Gateway gateway, Readiness readiness, ServerMetrics metrics, RedisCluster cluster) {
        this.cluster = cluster;
        this.token = new AdminToken(token);
        this.gateway = gateway;
        this.readiness = readiness;
        this.metrics = metrics;
        this.json = new Json(gateway.config().maxJsonDepth());
        this.maxBodyBytes = gateway.config().maxFrameBytes();
        this.startedAtMillis = System.currentTimeMillis();
    }

    AdminToken token() {
        return token;
    }

    void handle(HttpExchange ex) {
        switch (token.check(ex.headers().get(HttpHeaderNames.AUTHORIZATION))) {
            case MISSING:
                ex.header(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer realm=\"gateway-admin\"");
                ex.error(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                        "the admin API needs 'Authorization: Bearer <admin token>'");
                return;
            case WRONG:
                refuse(ex);
                return;
            default:
                tarpit.success(clientAddress(ex));
                break;
        }
        List<String> seg = ex.rawPath().length() <= PREFIX.length() ? List.of()
                : PathSegments.after(ex.rawPath(), PREFIX);
        route(ex, seg);
    }

    /**
     * Answers a wrong token with 403: counted, logged (summarised), and later the more wrong tokens the address has
     * presented lately (the answer is scheduled, never waited for on a thread).
     */
    private void refuse(HttpExchange ex) {
        String address = clientAddress(ex);
        metrics.adminAuthFailure();
        wrongTokens.log("Admin API: from " + address + ":", null);
        long delay = tarpit.miss(address);
        Runnable answer = () -> ex.error(HttpResponseStatus.FORBIDDEN, "forbidden", "the token is not the admin token");
        if (delay == 0) {
            answer.run();
            return;
        }
        ex.suspendReads();
        ex.ctx().executor().schedule(answer, delay, TimeUnit.MILLISECONDS);
    }

    private static String clientAddress(HttpExchange ex) {
        SocketAddress a = ClientAddress.of(ex.ctx().channel());
        return a instanceof InetSocketAddress && ((InetSocketAddress) a).getAddress() != null
                ? ((InetSocketAddress) a).getAddress().getHostAddress() : String.valueOf(a);
    }

    private void route(HttpExchange ex, List<String> seg) {
        int n = seg.size();
        String first = n == 0 ? "" : seg.get(0);
        switch (first) {
            case "stats":
                if (n == 1) {
                    allow(ex, GET);
                    if (cluster == null) {
                        ex.json(HttpResponseStatus.OK, stats());
                    } else {
                        reply(ex, cluster.statistics(), this::clusterStats);
                    }
                    return;
                }
                if (n == 2 && seg.get(1).equals("history")) {
                    allow(ex, GET);
                    ex.json(HttpResponseStatus.OK, history(ex));
                    return;
                }
                break;
            case "users":
                if (n == 1) {
                    allow(ex, GET);
                    users(ex);
                    return;
                }
                if (n == 2) {
                    allow(ex, GET);
                    ex.json(HttpResponseStatus.OK, connections(user(seg.get(1))));
                    return;
                }
                if (n == 3 && seg.get(2).equals("messages")) {
                    allow(ex, POST);
                    sendToUser(ex, user(seg.get(1)));
                    return;
                }
                if (n == 3 && seg.get(2).equals("disconnect")) {
                    allow(ex, POST);
                    disconnect(ex, user(seg.get(1)));
                    return;
                }
                break;
            case "rooms":
                if (n == 1) {
                    allow(ex, GET);
                    ex.json(HttpResponseStatus.OK, rooms(ex));
                    return;
                }
                if (n == 2) {
                    allow(ex, GET);
                    room(ex, room(seg.get(1)));
                    return;
                }
                if (n == 3 && seg.get(2).equals("messages")) {
                    allow(ex, POST);
                    publish(ex, room(seg.get(1)));
                    return;
                }
                if (n == 3 && seg.get(2).equals("history")) {
                    allow(ex, GET);
                    roomHistory(ex, room(seg.get(1)));
                    return;
                }
                if (n == 4 && seg.get(2).equals("members")) {
                    allow(ex, PUT_DELETE);
                    members(ex, room(seg.get(1)), user(seg.get(3)));
                    return;
                }
                break;
            case "broadcast":
                if (n == 1) {
                    allow(ex, POST);
                    broadcast(ex);
                    return;
                }
                break;
            default:
                break;
        }
        throw HttpProblem.notFound("no admin endpoint at " + ex.rawPath() + " (see docs/admin-api.md)");
    }

    // ---- endpoints

    private ObjectNode stats() {
        GatewayStatistics s = gateway.statistics();
        Readiness.Report ready = readiness.evaluate();
        ObjectNode doc = Json.object();
        doc.put("node", gateway.config().nodeId());
        doc.put("state", ready.state().label());
        doc.put("ready", ready.ready());
        doc.put("uptimeSeconds", (System.currentTimeMillis() - startedAtMillis) / 1000);
        doc.put("connections", s.connections());
        ObjectNode byTransport = doc.putObject("connectionsByTransport");
        for (Transport t : Transport.values()) {
            byTransport.put(t.label(), gateway.metrics().opened(t) - gateway.metrics().closed(t));
        }
        counts(doc, s);
        return doc;
    }

    /**
     * This node's statistics plus {@code cluster}: every live node's figures (as they last published them) and the
     * sum. {@code complete} is false when the broker is unreachable and only this node could be listed.
     */
    private ObjectNode clusterStats(ClusterStatistics cs) {
        ObjectNode doc = stats();
        ObjectNode c = doc.putObject("cluster");
        c.put("complete", cs.complete());
        c.put("brokerState", cluster.status().brokerState().name().toLowerCase(Locale.ROOT));
        ObjectNode total = c.putObject("total");
        total.put("connections", cs.total().connections());
        counts(total, cs.total());
        ArrayNode nodes = c.putArray("nodes");
        for (ClusterStatistics.NodeStatistics n : cs.nodes()) {
            ObjectNode o = nodes.addObject();
            o.put("node", n.nodeId());
            o.put("self", n.self());
            o.put("updatedAtMillis", n.updatedAtMillis());
            o.put("connections", n.statistics().connections());
            counts(o, n.statistics());
        }
        return doc;
    }

    private static void counts(ObjectNode doc, GatewayStatistics s) {
        doc.put("authenticatedConnections", s.authenticatedConnections());
        doc.put("users", s.users());
        doc.put("rooms", s.rooms());
        doc.put("maxConnections", s.maxConnections());
        doc.put("totalOpened", s.totalOpened());
        doc.put("totalClosed", s.totalClosed());
        doc.put("rejected", s.rejected());
        doc.put("averageAgeMillis", s.averageAgeMillis());
        doc.put("bytesIn", s.bytesIn());
        doc.put("bytesOut", s.bytesOut());
        doc.put("messagesIn", s.messagesIn());
        doc.put("messagesOut", s.messagesOut());
        doc.put("deliveries", s.deliveries());
        ObjectNode kicks = doc.putObject("kicks");
        for (KickReason r : KickReason.values()) {
            kicks.put(r.wireName(), s.kicks().getOrDefault(r, 0L));
        }
        ObjectNode errors = doc.putObject("errors");
        for (ErrorCode c : ErrorCode.values()) {
            errors.put(c.wireName(), s.errors().getOrDefault(c, 0L));
        }
    }

    private ObjectNode history(HttpExchange ex) {
        MessageRates rates = metrics.messageRates();
        int seconds = intParam(ex, "seconds", rates.capacity(), 1, rates.capacity());
        ObjectNode doc = Json.object();
        doc.put("intervalSeconds", 1);
        ArrayNode points = doc.putArray("points");
        for (MessageRates.Point p : rates.history(seconds)) {
            ObjectNode o = points.addObject();
            o.put("t", p.timeMillis());
            o.put("received", round(p.received()));
            o.put("delivered", round(p.delivered()));
            o.put("connections", p.connections());
        }
        return doc;
    }

    private void users(HttpExchange ex) {
        int limit = intParam(ex, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
        String after = ex.param("after");
        String prefix = prefixParam(ex);
        reply(ex, gateway.onlineUsers(MAX_LISTED_USERS), (Presence presence) -> {
            Iterable<String> matching = prefix == null ? presence.users()
                    : () -> presence.users().stream().filter(u -> u.startsWith(prefix)).iterator();
            Page<String> page = Page.select(matching, Function.identity(), after, limit);
            ObjectNode doc = Json.object();
            ArrayNode users = doc.putArray("users");
            page.items().forEach(users::add);
            doc.put("count", page.items().size());
            doc.put("total", prefix == null ? presence.users().size()
                    : presence.users().stream().filter(u -> u.startsWith(prefix)).count());
            doc.put("truncated", presence.truncated());
            if (page.hasMore()) {
                doc.put("next", page.items().get(page.items().size() - 1));
            } else {
                doc.putNull("next");
            }
            return doc;
        });
    }

    private ObjectNode connections(String user) {
        List<Connection> connections = gateway.connections().connectionsOf(user);
        if (connections.isEmpty()) {
            throw HttpProblem.notFound("user '" + user + "' has no connection on this node");
        }
        ObjectNode doc = Json.object();
        doc.put("user", user);
        ArrayNode list = doc.putArray("connections");
        for (Connection c : connections) {
            ObjectNode o = list.addObject();
            o.put("id", c.id());
            o.put("transport", c.transport().label());
            o.put("state", c.state().name().toLowerCase(Locale.ROOT));
            o.put("remoteAddress", address(c.remoteAddress()));
            o.put("createdAt", c.createdAtMillis());
            o.put("lastActiveAt", c.lastActiveMillis());
            o.put("bytesIn", c.bytesIn());
            o.put("bytesOut", c.bytesOut());
            o.put("messagesIn", c.messagesIn());
            o.put("messagesOut", c.messagesOut());
            ArrayNode rooms = o.putArray("rooms");
            c.rooms().forEach(rooms::add);
        }
        return doc;
    }

    private void sendToUser(HttpExchange ex, String user) {
        RawJson body = messageBody(ex);
        log.info("Admin API: message to user {} from {}", user, ClientAddress.of(ex.ctx().channel()));
        reply(ex, gateway.sendToUser(user, body), (Delivery d) -> {
            ObjectNode doc = recipients(d.recipients());
            doc.put("stored", d.stored());
            return doc;
        });
    }

    /** {@code PUT}: the user's connections join the room (server grant); {@code DELETE}: they leave it. */
    private void members(HttpExchange ex, String room, String user) {
        boolean add = HttpMethod.PUT.equals(ex.method());
        CompletionStage<Integer> done;
        if (add) {
            RoomRight right = RoomRight.PUBLISH;
            if (ex.body().length > 0) {
                JsonNode readonly = requestObject(ex).get("readonly");
                if (readonly != null && !readonly.isNull()) {
                    if (!readonly.isBoolean()) {
                        throw HttpProblem.badRequest("readonly: expected true or false");
                    }
                    right = readonly.asBoolean() ? RoomRight.READ : RoomRight.PUBLISH;
                }
            }
            log.info("Admin API: add user {} to room {} ({}) from {}", user, room, right,
                    ClientAddress.of(ex.ctx().channel()));
            done = gateway.addMember(user, room, right);
        } else {
            log.info("Admin API: remove user {} from room {} from {}", user, room, ClientAddress.of(ex.ctx().channel()));
            done = gateway.removeMember(user, room);
        }
        reply(ex, done, (Integer n) -> {
            ObjectNode doc = Json.object();
            doc.put("room", room);
            doc.put("user", user);
            doc.put("connections", n);
            return doc;
        });
    }

    /** A room's history, as the {@code history} frame gives it; {@code epoch} and {@code offset} for since. */
    private void roomHistory(HttpExchange ex, String room) {
        // As the history frame does: any limit is accepted, and at most history-size messages are held anyway.
        int max = Math.max(1, gateway.config().historySize());
        int limit = Math.min(max, intParam(ex, "limit", max, 0, 1_000_000));
        String epoch = ex.param("epoch");
        String offset = ex.param("offset");
        Position since = null;
        if (epoch != null || offset != null) {
            if (epoch == null || offset == null || epoch.isEmpty() || epoch.length() > Position.MAX_EPOCH_LENGTH) {
                throw HttpProblem.badRequest("epoch and offset go together (since: the last message seen)");
            }
            since = new Position(epoch, longParam(ex, "offset"));
        }
        if (!gateway.config().isHistoryEnabled()) {
            throw HttpProblem.notFound("room history is off on this gateway (history-size=0)");
        }
        Position asked = since;
        reply(ex, gateway.roomHistory(room, since, limit), (HistoryPage page) -> {
            ObjectNode doc = Json.object();
            doc.put("room", room);
            doc.put("epoch", page.position().epoch());
            doc.put("offset", page.position().offset());
            if (asked != null) {
                doc.put("recovered", Boolean.TRUE.equals(page.recovered()));
            }
            ArrayNode messages = doc.putArray("messages");
            for (byte[] m : page.messages()) {
                messages.add(json.parse(m));
            }
            return doc;
        });
    }

    private void disconnect(HttpExchange ex, String user) {
        log.info("Admin API: disconnect user {} from {}", user, ClientAddress.of(ex.ctx().channel()));
        reply(ex, gateway.disconnectUser(user), (Integer kicked) -> {
            ObjectNode doc = Json.object();
            doc.put("user", user);
            doc.put("kicked", kicked);
            return doc;
        });
    }

    private ObjectNode rooms(HttpExchange ex) {
        int limit = intParam(ex, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
        String sort = ex.param("sort") == null ? "name" : ex.param("sort");
        List<Room> selected;
        boolean more = false;
        switch (sort) {
            case "name":
                Page<Room> page = Page.select(gateway.rooms().rooms(), Room::name, ex.param("after"), limit);
                selected = page.items();
                more = page.hasMore();
                break;
            case "size":
                selected = Page.top(gateway.rooms().rooms(), Comparator.comparingInt(Room::connectionCount)
                        .thenComparing(Room::name, Comparator.reverseOrder()), limit);
                break;
            default:
                throw HttpProblem.badRequest("sort: " + sort + " (expected: name or size)");
        }
        ObjectNode doc = Json.object();
        ArrayNode list = doc.putArray("rooms");
        for (Room r : selected) {
            ObjectNode o = list.addObject();
            o.put("name", r.name());
            o.put("users", r.userCount());
            o.put("connections", r.connectionCount());
        }
        doc.put("count", selected.size());
        doc.put("total", gateway.rooms().size());
        if (more) {
            doc.put("next", selected.get(selected.size() - 1).name());
        } else {
            doc.putNull("next");
        }
        return doc;
    }

    private void room(HttpExchange ex, String room) {
        int limit = intParam(ex, "limit", DEFAULT_MEMBERS, 1, MAX_MEMBERS);
        reply(ex, gateway.roomMembers(room, limit), (Presence members) -> {
            Room local = gateway.rooms().get(room);
            if (members.users().isEmpty() && local == null) {
                throw HttpProblem.notFound("room '" + room + "' has no members");
            }
            List<String> users = new ArrayList<>(members.users());
            users.sort(null);
            ObjectNode doc = Json.object();
            doc.put("room", room);
            ArrayNode list = doc.putArray("users");
            users.forEach(list::add);
            doc.put("count", users.size());
            doc.put("truncated", members.truncated());
            doc.put("localConnections", local == null ? 0 : local.connectionCount());
            return doc;
        });
    }

    private void publish(HttpExchange ex, String room) {
        RawJson body = messageBody(ex);
        log.info("Admin API: message to room {} from {}", room, ClientAddress.of(ex.ctx().channel()));
        reply(ex, gateway.publishToRoom(room, body), (Delivery d) -> recipients(d.recipients()));
    }

    private void broadcast(HttpExchange ex) {
        JsonNode request = requestObject(ex);
        RawJson body = messageBody(request);
        JsonNode exclude = request.get("exclude");
        String excludeUser = null;
        if (exclude != null && !exclude.isNull()) {
            if (!exclude.isTextual()) {
                throw HttpProblem.badRequest("exclude: expected a user id (string)");
            }
            excludeUser = user(exclude.asText());
        }
        log.info("Admin API: broadcast from {}", ClientAddress.of(ex.ctx().channel()));
        reply(ex, gateway.broadcast(body, excludeUser), (Integer recipients) -> recipients(recipients));
    }

    // ---- answering

    /**
     * Answers when {@code stage} completes: with {@code render}'s document, or with the error it failed with;
     * with 503 if it has not completed within {@link #TIMEOUT_MILLIS}.
     */
    private <T> void reply(HttpExchange ex, CompletionStage<T> stage, Function<T, ObjectNode> render) {
        AtomicReference<ScheduledFuture<?>> timer = new AtomicReference<>();
        stage.whenComplete((value, error) -> {
            ScheduledFuture<?> t = timer.getAndSet(null);
            if (t != null) {
                t.cancel(false);
            }
            answer(ex, value, error, render);
        });
        if (!ex.isAnswered()) {
            ex.suspendReads();
            timer.set(ex.ctx().executor().schedule(() -> ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "unavailable", "the operation did not complete within " + TIMEOUT_MILLIS + " ms"),
                    TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            if (ex.isAnswered()) {
                // Completed between the check and the scheduling.
                ScheduledFuture<?> t = timer.getAndSet(null);
                if (t != null) {
                    t.cancel(false);
                }
            }
        }
    }

    private static <T> void answer(HttpExchange ex, T value, Throwable error, Function<T, ObjectNode> render) {
        if (error != null) {
            Throwable cause = unwrap(error);
            if (cause instanceof UnavailableException) {
                ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable", String.valueOf(cause.getMessage()));
            } else if (cause instanceof HttpProblem) {
                ex.problem((HttpProblem) cause);
            } else {
                log.warn("Admin API: {} {} failed", ex.method(), ex.rawPath(), cause);
                ex.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "the operation failed; see the log");
            }
            return;
        }
        try {
            ex.json(HttpResponseStatus.OK, render.apply(value));
        } catch (HttpProblem p) {
            ex.problem(p);
        } catch (RuntimeException e) {
            log.warn("Admin API: {} {} failed", ex.method(), ex.rawPath(), e);
            ex.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "the operation failed; see the log");
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static ObjectNode recipients(int n) {
        ObjectNode doc = Json.object();
        doc.put("recipients", n);
        return doc;
    }

    // ---- request parsing

    private static void allow(HttpExchange ex, String allowed) {
        HttpMethod m = ex.method();
        boolean ok = GET.equals(allowed) ? ex.isGetOrHead()
                : PUT_DELETE.equals(allowed) ? HttpMethod.PUT.equals(m) || HttpMethod.DELETE.equals(m)
                : HttpMethod.POST.equals(m);
        if (!ok) {
            throw HttpProblem.methodNotAllowed(allowed);
        }
    }

    private JsonNode requestObject(HttpExchange ex) {
        String type = ex.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type != null) {
            String mime = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (!mime.equals("application/json") && !mime.endsWith("+json")) {
                throw new HttpProblem(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                        "Content-Type " + type + " (expected: application/json)");
            }
        }
        if (ex.body().length > maxBodyBytes + ENVELOPE_BYTES) {
            throw HttpProblem.tooLarge("request body of " + ex.body().length + " bytes (expected: at most "
                    + (maxBodyBytes + ENVELOPE_BYTES) + ")");
        }
        JsonNode node = json.parse(ex.body());
        if (!node.isObject()) {
            throw HttpProblem.badRequest("request body must be a JSON object like {\"body\": ...}");
        }
        return node;
    }

    private RawJson messageBody(HttpExchange ex) {
        return messageBody(requestObject(ex));
    }

    private RawJson messageBody(JsonNode request) {
        JsonNode body = request.get("body");
        if (body == null || body.isMissingNode()) {
            throw HttpProblem.badRequest("missing field 'body' (the message body: any JSON value)");
        }
        String text = Json.text(body);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxBodyBytes) {
            throw HttpProblem.tooLarge("message body of " + bytes + " bytes (expected: at most " + maxBodyBytes + ")");
        }
        return RawJson.trusted(text);
    }

    private static String user(String user) {
        String problem = Names.userProblem(user);
        if (problem != null) {
            throw HttpProblem.badRequest("user: " + problem);
        }
        return user;
    }

    private static String room(String room) {
        String problem = Names.roomProblem(room);
        if (problem != null) {
            throw HttpProblem.badRequest("room: " + problem);
        }
        return room;
    }

    private static int intParam(HttpExchange ex, String name, int defaultValue, int min, int max) {
        String v = ex.param(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw HttpProblem.badRequest(name + ": " + v + " (expected: an integer from " + min + " to " + max + ")");
    }

    /**
     * {@code prefix} of {@code GET /api/users}: user ids that start with it (case-sensitive, as user ids are);
     * absent or empty means every user. At most a user id long, without control characters.
     */
    private static String prefixParam(HttpExchange ex) {
        String prefix = ex.param("prefix");
        if (prefix == null || prefix.isEmpty()) {
            return null;
        }
        if (prefix.length() > Names.MAX_LENGTH || prefix.chars().anyMatch(Character::isISOControl)) {
            throw HttpProblem.badRequest("prefix: expected at most " + Names.MAX_LENGTH
                    + " characters without control characters");
        }
        return prefix;
    }

    private static long longParam(HttpExchange ex, String name) {
        String v = ex.param(name);
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException | NullPointerException e) {
            // reported below
        }
        throw HttpProblem.badRequest(name + ": " + v + " (expected: an integer >= 0)");
    }

    private static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress) {
            InetSocketAddress i = (InetSocketAddress) a;
            String host = i.getAddress() == null ? i.getHostString() : i.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }

    private static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }
}
