package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.server.GatewayServer;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.health.Lifecycle;
import io.chatgateway.server.health.Readiness;
import io.chatgateway.server.health.ReadinessCheck;
import io.chatgateway.server.testing.TestServer;
import io.micrometer.core.instrument.Gauge;
import io.chatgateway.server.testing.WsClient;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.chatgateway.server.http.HttpTestClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health, readiness, metrics, client config and the web pages over real HTTP. */
class HttpEndpointsTest {
    private static TestServer gateway;
    private static HttpTestClient http;

    @BeforeAll
    static void start() {
        gateway = TestServer.start(Map.of(Setting.ADMIN_TOKEN, "0123456789abcdef0123456789abcdef"));
        http = new HttpTestClient(gateway.httpPort());
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void healthzIs200WithNoStore() {
        HttpResponse<String> res = http.get("/healthz");
        assertEquals(200, res.statusCode());
        assertEquals("ok", json(res).path("status").asText());
        assertEquals("no-store", res.headers().firstValue("cache-control").orElse(null));
        HttpResponse<String> head = http.head("/healthz");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals("15", head.headers().firstValue("content-length").orElse(null), "HEAD tells the GET's length");
    }

    @Test
    void readyzFollowsRegisteredChecks() {
        AtomicBoolean brokerUp = new AtomicBoolean(true);
        gateway.server().addReadinessCheck(ReadinessCheck.of("test-broker", brokerUp::get));
        HttpResponse<String> ok = http.get("/readyz");
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode doc = json(ok);
        assertEquals("ready", doc.path("status").asText());
        assertTrue(doc.path("checks").path("test-broker").path("ready").asBoolean(), doc::toString);

        brokerUp.set(false);
        HttpResponse<String> down = http.get("/readyz");
        assertEquals(503, down.statusCode(), down.body());
        JsonNode d = json(down);
        assertEquals("not_ready", d.path("status").asText());
        assertEquals("ready", d.path("state").asText(), "the lifecycle is fine; the check is not");
        assertEquals("test-broker: unavailable", d.path("reason").asText());
        assertEquals(200, http.get("/healthz").statusCode(), "liveness does not depend on readiness checks");

        brokerUp.set(true);
        assertEquals(200, http.get("/readyz").statusCode());
    }

    @Test
    void refusesTwoChecksWithOneName() {
        gateway.server().addReadinessCheck(ReadinessCheck.of("dup", () -> true));
        try {
            gateway.server().addReadinessCheck(ReadinessCheck.of("dup", () -> true));
            throw new AssertionError("expected a refusal");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("dup"));
        }
    }

    @Test
    void lifecycleGoesFromStartingToReadyToStoppedAndReadinessFollows() throws Exception {
        ServerConfig config = ServerConfig.of(Map.of(Setting.HTTP_PORT, "0", Setting.TCP_PORT, "0",
                Setting.BIND, "127.0.0.1", Setting.SHUTDOWN_TIMEOUT_SECONDS, "5"));
        GatewayServer server = new GatewayServer(config);
        try {
            assertEquals(Lifecycle.STARTING, server.state());
            assertEquals("starting", server.readiness().evaluate().reason());
            server.start();
            assertEquals(Lifecycle.READY, server.state());
            assertTrue(server.readiness().evaluate().ready());

            // While stop() drains, the node is already not ready: a connection being kicked sees it.
            WsClient ws = WsClient.connect(URI.create("ws://127.0.0.1:" + server.httpPort() + "/ws"), Map.of());
            ws.auth("drain-watcher");
            CompletableFuture<String> seen = new CompletableFuture<>();
            server.gateway().connections().addListener(new ConnectionListener() {
                @Override
                public void connectionRemoved(Connection c) {
                    Readiness.Report report = server.readiness().evaluate();
                    seen.complete(report.state() + " ready=" + report.ready() + " reason=" + report.reason());
                }
            });
            server.stop();
            assertEquals("DRAINING ready=false reason=draining", seen.get(10, TimeUnit.SECONDS));
            assertEquals("shutdown", ws.expect("kicked").path("reason").asText());
            assertEquals(Lifecycle.STOPPED, server.state());
            assertEquals("stopped", server.readiness().evaluate().reason());
            ws.close();
        } finally {
            server.stop();
        }
    }

    @Test
    void metricsAreServedAsPrometheusText() {
        HttpResponse<String> res = http.get("/metrics");
        assertEquals(200, res.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", res.headers().firstValue("content-type").orElse(null));
        assertTrue(res.body().contains("# TYPE gateway_connections gauge"), res.body());
        HttpResponse<String> om = http.get("/metrics", "Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
        assertTrue(om.headers().firstValue("content-type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(om.body().endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
    }

    @Test
    void scrapesRunOffTheEventLoopAndIncludeMetersOthersRegister() {
        AtomicReference<String> scrapedOn = new AtomicReference<>();
        Gauge.builder("test.scrape.thread", () -> {
            scrapedOn.set(Thread.currentThread().getName());
            return 1;
        }).register(gateway.server().meterRegistry());
        String body = http.get("/metrics").body();
        assertTrue(body.contains("test_scrape_thread 1.0"), "a meter registered by another module is scraped");
        assertTrue(scrapedOn.get().startsWith("gateway-http-worker"), "scraped on " + scrapedOn.get());
    }

    @Test
    void clientConfigTellsTheWebClientWhatItNeeds() {
        JsonNode doc = json(http.get("/client-config"));
        assertEquals("/ws", doc.path("webSocketPath").asText());
        assertTrue(doc.path("developmentMode").asBoolean());
        assertEquals(60, doc.path("heartbeatSeconds").asInt());
        assertTrue(doc.path("adminApi").asBoolean());
        assertEquals(65536, doc.path("maxFrameBytes").asInt());
        assertEquals(120, doc.path("inboxTtlSeconds").asInt(), "how long a direct message waits for its user");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/healthz", "/readyz", "/metrics", "/client-config", "/", "/admin", "/chat.js"})
    void answers405WithAllowToOtherMethods(String path) {
        HttpResponse<String> res = http.post(path, "x", "Content-Type", "text/plain");
        assertEquals(405, res.statusCode(), res.body());
        assertEquals("GET, HEAD", res.headers().firstValue("allow").orElse(null));
        assertEquals("method_not_allowed", json(res).path("error").asText());
    }

    @Test
    void unknownPathsAre404Json() {
        HttpResponse<String> res = http.get("/nothing/here");
        assertEquals(404, res.statusCode());
        assertEquals("not_found", json(res).path("error").asText());
    }

    @Test
    void servesPagesWithContentTypesSecurityHeadersAndEtags() {
        HttpResponse<String> index = http.get("/");
        assertEquals(200, index.statusCode());
        assertEquals("text/html; charset=utf-8", index.headers().firstValue("content-type").orElse(null));
        assertTrue(index.body().contains("<script type=\"module\" src=\"/chat.js\""), "the chat client page");
        assertEquals("no-cache", index.headers().firstValue("cache-control").orElse(null));
        String csp = index.headers().firstValue("content-security-policy").orElse("");
        assertTrue(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), csp);
        assertEquals("DENY", index.headers().firstValue("x-frame-options").orElse(null));
        assertEquals("nosniff", index.headers().firstValue("x-content-type-options").orElse(null));
        String etag = index.headers().firstValue("etag").orElse(null);
        assertNotNull(etag);

        HttpResponse<String> again = http.get("/", "If-None-Match", etag);
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        assertEquals(etag, again.headers().firstValue("etag").orElse(null));
        assertEquals(200, http.get("/", "If-None-Match", "\"something-else\"").statusCode());

        HttpResponse<String> admin = http.get("/admin");
        assertTrue(admin.body().contains("<script type=\"module\" src=\"/admin.js\""), "the dashboard page");
        assertFalse(admin.body().contains("0123456789abcdef"), "the page holds no secret");
        assertEquals("text/javascript; charset=utf-8", http.get("/chat.js").headers().firstValue("content-type").orElse(null));
        assertEquals("text/javascript; charset=utf-8", http.get("/admin.js").headers().firstValue("content-type").orElse(null));
        assertEquals("text/css; charset=utf-8", http.get("/style.css").headers().firstValue("content-type").orElse(null));
        assertEquals("image/svg+xml", http.get("/favicon.svg").headers().firstValue("content-type").orElse(null));
        // The client library, from its one source in clients/js (packaged by the pom), as a module the pages import.
        HttpResponse<String> lib = http.get("/lib/index.js");
        assertEquals(200, lib.statusCode());
        assertEquals("text/javascript; charset=utf-8", lib.headers().firstValue("content-type").orElse(null));
        assertTrue(lib.body().contains("export class Client"), "the library's module");
        HttpResponse<String> head = http.head("/chat.js");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertTrue(Integer.parseInt(head.headers().firstValue("content-length").orElse("0")) > 1000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../pom.xml", "/..%2fpom.xml", "/%2e%2e/%2e%2e/etc/passwd", "/web/index.html",
        "/chat.js/..", "/./chat.js", "//chat.js", "/chat.js%00", "/CHAT.JS", "/admin/../index.html",
        "/io/chatgateway/server/GatewayServer.class", "/logback.xml", "/META-INF/MANIFEST.MF",
        "/%5c..%5cpom.xml", "/..\\pom.xml", "/index.html?x=/../../etc/passwd#"})
    void neverServesAnythingOutsideTheWebFiles(String target) {
        String res = http.raw(target);
        int status = HttpTestClient.rawStatus(res);
        if (target.startsWith("/index.html?")) {
            assertEquals(200, status, "the query string is not part of the path");
            assertTrue(res.contains("<script type=\"module\" src=\"/chat.js\""));
            return;
        }
        assertTrue(status == 404 || status == 400, target + " -> " + res);
        assertFalse(res.contains("<modelVersion>") || res.contains("root:") || res.contains("Main-Class"), res);
    }
}
