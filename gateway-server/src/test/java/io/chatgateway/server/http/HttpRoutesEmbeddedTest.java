package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatgateway.Gateway;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.health.Lifecycle;
import io.chatgateway.server.health.Readiness;
import io.chatgateway.server.health.ReadinessCheck;
import io.chatgateway.server.metrics.ServerMetrics;
import io.chatgateway.server.testing.TestClient;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HttpRoutes} alone in an {@link EmbeddedChannel}, with the lifecycle in the test's hands. */
class HttpRoutesEmbeddedTest {
    private final AtomicReference<Lifecycle> state = new AtomicReference<>(Lifecycle.STARTING);
    private ServerMetrics metrics;
    private Readiness readiness;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() throws Exception {
        ServerConfig config = ServerConfig.of(Map.of(Setting.ADMIN_TOKEN, "embedded-token-0123456789abcdef0123"));
        Gateway gateway = Gateway.builder(config.gateway()).authenticator(new DevelopmentAuthenticator()).build();
        readiness = new Readiness(state::get);
        metrics = new ServerMetrics(gateway, readiness);
        channel = new EmbeddedChannel(new HttpRoutes(config, gateway, readiness, metrics));
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        metrics.close();
    }

    private FullHttpResponse request(HttpMethod method, String uri, String... headers) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.EMPTY_BUFFER);
        for (int i = 0; i < headers.length; i += 2) {
            req.headers().set(headers[i], headers[i + 1]);
        }
        channel.writeInbound(req);
        FullHttpResponse res = channel.readOutbound();
        assertTrue(res != null, "an answer for " + uri);
        return res;
    }

    private static JsonNode json(FullHttpResponse res) {
        try {
            return TestClient.JSON.readTree(res.content().toString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            res.release();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Lifecycle.class, names = {"STARTING", "DRAINING", "STOPPED"})
    void readyzIs503OutsideReadyAndSaysWhy(Lifecycle lifecycle) {
        state.set(lifecycle);
        FullHttpResponse res = request(HttpMethod.GET, "/readyz");
        assertEquals(503, res.status().code());
        JsonNode doc = json(res);
        assertEquals("not_ready", doc.path("status").asText());
        assertEquals(lifecycle.label(), doc.path("reason").asText());
        FullHttpResponse health = request(HttpMethod.GET, "/healthz");
        assertEquals(200, health.status().code(), "alive whatever the lifecycle");
        health.release();
    }

    @Test
    void readyzIs200WhenReadyAndEveryCheckPasses() {
        state.set(Lifecycle.READY);
        readiness.add(ReadinessCheck.of("always", () -> true));
        FullHttpResponse res = request(HttpMethod.GET, "/readyz");
        assertEquals(200, res.status().code());
        assertEquals("ready", json(res).path("status").asText());
    }

    @Test
    void aCheckThatThrowsMakesTheNodeNotReadyWithoutBreakingTheAnswer() {
        state.set(Lifecycle.READY);
        readiness.add(new ReadinessCheck() {
            @Override
            public String name() {
                return "exploding";
            }

            @Override
            public Result check() {
                throw new IllegalStateException("boom");
            }
        });
        FullHttpResponse res = request(HttpMethod.GET, "/readyz");
        assertEquals(503, res.status().code());
        JsonNode doc = json(res);
        assertEquals("exploding: check failed: IllegalStateException", doc.path("reason").asText());
        assertFalse(doc.path("checks").path("exploding").path("ready").asBoolean());
    }

    @Test
    void closesAfterAnsweringWhenTheClientAsksTo() {
        FullHttpResponse res = request(HttpMethod.GET, "/healthz", HttpHeaderNames.CONNECTION.toString(), "close");
        assertEquals(200, res.status().code());
        res.release();
        channel.runPendingTasks();
        assertFalse(channel.isOpen(), "Connection: close is honoured");
    }

    @Test
    void keepsTheConnectionForKeepAliveClients() {
        FullHttpResponse res = request(HttpMethod.GET, "/healthz");
        assertFalse("close".equalsIgnoreCase(res.headers().get(HttpHeaderNames.CONNECTION)));
        res.release();
        assertTrue(channel.isOpen());
    }
}
