package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatgateway.Gateway;
import io.chatgateway.server.cluster.RedisCluster;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.health.Readiness;
import io.chatgateway.server.health.ReadinessCheck;
import io.chatgateway.server.metrics.ServerMetrics;
import io.chatgateway.session.ClientAddress;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's HTTP surface on the WebSocket port: every request that is not a WebSocket upgrade comes here.
 *
 * <pre>
 * GET /healthz         200 while the process runs
 * GET /readyz          200 when the node should get traffic, else 503 (starting, draining, a failing check)
 * GET /metrics         Prometheus text format (OpenMetrics when asked for)
 * GET /client-config   what the web pages need: WebSocket path, development mode, heartbeat, limits
 * /api/...             the admin API ({@link AdminApi}), only with an admin token; else 404
 * GET / and /admin     the web chat client and the admin dashboard ({@link StaticFiles})
 * </pre>
 *
 * Answers are JSON (errors as {@code {"error": code, "message": text}}) except the metrics and the pages.
 * Stateless and {@link Sharable}: one instance serves every connection. Health, readiness and pages are answered on
 * the event loop from memory; scrapes and admin requests run on one worker thread (they cost milliseconds of CPU
 * that the loop's other connections should not wait for), and admin operations answer when their stage completes.
 */
@Sharable
public final class HttpRoutes extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpRoutes.class);
    /** Metrics and admin requests waiting for the worker thread before new ones are refused. */
    static final int MAX_QUEUED_REQUESTS = 256;

    private final ServerConfig config;
    private final Gateway gateway;
    private final Readiness readiness;
    private final ServerMetrics metrics;
    private final StaticFiles files = new StaticFiles();
    private final Executor worker = worker();
    private final AdminApi admin;
    private final String adminOffReason;

    public HttpRoutes(ServerConfig config, Gateway gateway, Readiness readiness, ServerMetrics metrics) {
        this(config, gateway, readiness, metrics, null);
    }

    /**
     * @param cluster the cluster membership, whose statistics {@code /api/stats} adds; {@code null} for one node
     */
    public HttpRoutes(ServerConfig config, Gateway gateway, Readiness readiness, ServerMetrics metrics,
                      RedisCluster cluster) {
        this.config = config;
        this.gateway = gateway;
        this.readiness = readiness;
        this.metrics = metrics;
        String token = config.get(Setting.ADMIN_TOKEN);
        if (token == null) {
            this.admin = null;
            this.adminOffReason = "no admin token is configured (set " + Setting.ADMIN_TOKEN.env() + ")";
        } else if (token.isBlank()) {
            this.admin = null;
            this.adminOffReason = "the configured admin token is empty (set " + Setting.ADMIN_TOKEN.env() + ")";
        } else {
            this.admin = new AdminApi(token.strip(), gateway, readiness, metrics, cluster);
            this.adminOffReason = null;
        }
    }

    /** {@code true} when the admin API answers under {@code /api/}. */
    public boolean isAdminApiEnabled() {
        return admin != null;
    }

    /** Logs what the HTTP port serves, and why the admin API is off when it is. */
    public void logSurface(int port) {
        log.info("HTTP on port {}: /healthz, /readyz, /metrics, web client at /, dashboard at /admin", port);
        if (admin == null) {
            log.info("Admin API: OFF, /api/* answers 404: {}", adminOffReason);
        } else {
            log.info("Admin API: on at /api/ (bearer token required)");
            if (admin.token().length() < AdminToken.RECOMMENDED_MIN_LENGTH) {
                log.warn("The admin token is shorter than {} characters; use a long random token.",
                        AdminToken.RECOMMENDED_MIN_LENGTH);
            }
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        HttpExchange ex = new HttpExchange(ctx, req);
        if (!req.decoderResult().isSuccess()) {
            ex.error(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed HTTP request");
            ctx.close();
            return;
        }
        String path = ex.rawPath();
        if (path.equals("/metrics") || path.equals("/api") || path.startsWith(AdminApi.PREFIX)) {
            // A scrape or an admin listing is milliseconds of CPU: done off the event loop, whose other connections
            // would otherwise wait for it. Engine operations are safe from any thread.
            ex.suspendReads();
            try {
                worker.execute(() -> serve(ex));
            } catch (RejectedExecutionException e) {
                ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "unavailable",
                        "too many metrics and admin requests in progress; retry later");
            }
            return;
        }
        serve(ex);
    }

    private void serve(HttpExchange ex) {
        try {
            route(ex);
        } catch (HttpProblem p) {
            ex.problem(p);
        } catch (RuntimeException e) {
            log.warn("HTTP {} {} failed", ex.method(), ex.rawPath(), e);
            ex.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "the request failed; see the log");
        }
    }

    private void route(HttpExchange ex) {
        String path = ex.rawPath();
        switch (path) {
            case "/healthz":
                requireGet(ex);
                ObjectNode ok = Json.object();
                ok.put("status", "ok");
                ex.json(HttpResponseStatus.OK, ok);
                return;
            case "/readyz":
                requireGet(ex);
                readyz(ex);
                return;
            case "/metrics":
                requireGet(ex);
                ServerMetrics.Scrape scrape = metrics.scrape(ex.headers().get(HttpHeaderNames.ACCEPT));
                ex.text(HttpResponseStatus.OK, scrape.contentType(), scrape.body());
                return;
            case "/client-config":
                requireGet(ex);
                ex.json(HttpResponseStatus.OK, clientConfig());
                return;
            default:
                break;
        }
        if (path.equals("/api") || path.startsWith(AdminApi.PREFIX)) {
            if (admin == null) {
                throw HttpProblem.notFound("the admin API is off: " + adminOffReason);
            }
            admin.handle(ex);
            return;
        }
        if (files.has(path)) {
            requireGet(ex);
            ex.send(files.response(path, ex.headers().get(HttpHeaderNames.IF_NONE_MATCH)));
            return;
        }
        throw HttpProblem.notFound("nothing at " + path);
    }

    private void readyz(HttpExchange ex) {
        Readiness.Report report = readiness.evaluate();
        ObjectNode doc = Json.object();
        doc.put("status", report.ready() ? "ready" : "not_ready");
        doc.put("state", report.state().label());
        if (report.reason() != null) {
            doc.put("reason", report.reason());
        }
        ObjectNode checks = doc.putObject("checks");
        for (Map.Entry<String, ReadinessCheck.Result> e : report.checks().entrySet()) {
            ObjectNode c = checks.putObject(e.getKey());
            c.put("ready", e.getValue().ready());
            if (e.getValue().reason() != null) {
                c.put("reason", e.getValue().reason());
            }
        }
        ex.json(report.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, doc);
    }

    private ObjectNode clientConfig() {
        ObjectNode doc = Json.object();
        doc.put("webSocketPath", gateway.config().webSocketPath());
        doc.put("developmentMode", config.isDevelopmentMode());
        doc.put("heartbeatSeconds", gateway.config().heartbeat().toSeconds());
        doc.put("maxFrameBytes", gateway.config().maxFrameBytes());
        doc.put("adminApi", admin != null);
        // How long a direct message to a user who just went offline is kept for them (0: never): the chat page
        // offers to write to such a user only while the gateway would store the message (`stored: true`).
        doc.put("inboxTtlSeconds", gateway.config().inboxSize() > 0 ? gateway.config().inboxTtl().toSeconds() : 0);
        return doc;
    }

    /**
     * One thread for scrapes and admin requests, started on demand and gone after 10 s idle (so nothing needs
     * closing), with a bounded queue: past it, requests get 503 rather than piling up.
     */
    private static Executor worker() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(MAX_QUEUED_REQUESTS), new DefaultThreadFactory("gateway-http-worker", true));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static void requireGet(HttpExchange ex) {
        if (!ex.isGetOrHead()) {
            throw HttpProblem.methodNotAllowed("GET, HEAD");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HTTP connection {} failed: {}", ClientAddress.of(ctx.channel()), cause.toString());
        ctx.close();
    }
}
