package io.chatgateway.server.deploy;

import io.chatgateway.server.config.Setting;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nginx recipes in deploy/nginx/ pass Debian's {@code nginx -t} and say what docs/operations.md promises.
 *
 * <p>Each recipe is a file to include, not a whole nginx.conf, so {@link Nginx} writes a small main configuration in
 * a temporary directory that includes a copy of it where nginx.conf would (the stream files at the top level, the
 * http file inside {@code http {}}), with its own pid, error log and temporary paths: {@code nginx -t} then needs
 * no root paths and binds no port. The copy differs from the repository's file in one way only: the certificate
 * paths point to a self-signed pair made here, because {@code nginx -t} loads the certificates. A missing nginx
 * fails the test with the packages to install. {@link NginxProxyTest} runs the recipes.
 */
@Timeout(60)
class NginxConfigTest {
    private static final long HEARTBEAT = Long.parseLong(Setting.HEARTBEAT_SECONDS.defaultValue());

    @BeforeAll
    static void find() {
        Nginx.require();
    }

    private static String read(String recipe) throws IOException {
        return Nginx.recipe(recipe);
    }

    private static void assertAccepted(Nginx.Result r) {
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("test is successful"), r.output());
    }

    @Test
    void streamRecipePassesNginxTest(@TempDir Path dir) throws Exception {
        assertAccepted(Nginx.test(dir, Nginx.withCertificate(read("chat-gateway-stream.conf"),
                Nginx.certificate(dir)), false));
    }

    @Test
    void httpRecipePassesNginxTestInsideHttp(@TempDir Path dir) throws Exception {
        assertAccepted(Nginx.test(dir, Nginx.withCertificate(read("chat-gateway-http.conf"),
                Nginx.certificate(dir)), true));
    }

    @Test
    void httpVariantsTcpCompanionPassesNginxTest(@TempDir Path dir) throws Exception {
        assertAccepted(Nginx.test(dir, read("chat-gateway-http-tcp.conf"), false));
    }

    @Test
    void aBrokenRecipeFailsTheCheck(@TempDir Path dir) throws Exception {
        Path[] pair = Nginx.certificate(dir);
        String copy = Nginx.withCertificate(read("chat-gateway-stream.conf"), pair);
        String badValue = copy.replace("proxy_timeout 10m;", "proxy_timeout ten-minutes;");
        assertNotEquals(copy, badValue);
        Nginx.Result r = Nginx.test(dir, badValue, false);
        assertNotEquals(0, r.exit(), "nginx -t must reject an invalid time: " + r.output());
        assertTrue(r.output().contains("proxy_timeout"), r.output());

        Nginx.Result misplaced = Nginx.test(dir, Nginx.withCertificate(read("chat-gateway-http.conf"), pair), false);
        assertNotEquals(0, misplaced.exit(), "the http recipe belongs inside http {}: " + misplaced.output());
        assertTrue(misplaced.output().contains("is not allowed here"), misplaced.output());

        Nginx.Result noCertificate = Nginx.test(dir, read("chat-gateway-stream.conf"), false);
        assertNotEquals(0, noCertificate.exit(), "nginx -t loads the certificates: " + noCertificate.output());
    }

    @Test
    void streamRecipePassesClientAddressesWithLongTimeoutsOnBothPorts() throws IOException {
        NginxConf.Directive stream = NginxConf.parse(read("chat-gateway-stream.conf")).one("stream");
        assertEquals("on", stream.value("proxy_protocol"), "PROXY protocol towards the gateway, for every server");
        assertTrue(stream.tree().filter(d -> d.name().equals("server") && !d.children().isEmpty())
                .noneMatch(s -> !s.all("proxy_protocol").isEmpty()), "no server turns it off");
        long timeout = NginxConf.seconds(stream.value("proxy_timeout"));
        assertTrue(timeout >= 2 * HEARTBEAT, "proxy_timeout " + timeout + " s is not well above the "
                + HEARTBEAT + " s heartbeat");
        Map<String, String> upstreamPorts = stream.all("upstream").stream().collect(Collectors.toMap(
                u -> u.args().get(0), u -> u.all("server").get(0).args().get(0).replaceAll(".*:", "")));
        assertEquals(Map.of("chat_gateway_http", "8080", "chat_gateway_tcp", "9090"), upstreamPorts);
        Map<String, String> routes = stream.all("server").stream().collect(Collectors.toMap(
                s -> String.join(" ", s.one("listen").args()).replace(" so_keepalive=on", ""),
                s -> s.value("proxy_pass")));
        assertEquals(Map.of("80", "chat_gateway_http", "443 ssl", "chat_gateway_http",
                "9090", "chat_gateway_tcp", "9443 ssl", "chat_gateway_tcp"), routes);
    }

    @Test
    void httpRecipeUpgradesWebSocketsAndOutwaitsTheHeartbeat() throws IOException {
        NginxConf.Directive root = NginxConf.parse(read("chat-gateway-http.conf"));
        NginxConf.Directive server = root.one("server");
        assertEquals("1.1", server.value("proxy_http_version"), "WebSocket upgrades need HTTP/1.1 upstream");
        Map<String, String> headers = server.all("proxy_set_header").stream()
                .collect(Collectors.toMap(h -> h.args().get(0), h -> h.args().get(1)));
        assertEquals("$http_upgrade", headers.get("Upgrade"));
        String connection = headers.get("Connection");
        NginxConf.Directive map = root.all("map").stream().filter(m -> m.args().get(1).equals(connection))
                .findFirst().orElseThrow(() -> new AssertionError("Connection comes from a map: " + connection));
        assertEquals("$http_upgrade", map.args().get(0));
        assertEquals("upgrade", map.value("default"), "an upgrade request gets Connection: upgrade");
        NginxConf.Directive ws = server.all("location").stream().filter(l -> l.args().equals(List.of("=", "/ws")))
                .findFirst().orElseThrow(() -> new AssertionError("no location = /ws"));
        assertEquals("off", ws.value("proxy_buffering"));
        long read = NginxConf.seconds(ws.value("proxy_read_timeout"));
        assertTrue(read >= 2 * HEARTBEAT, "proxy_read_timeout " + read + " s is not well above the heartbeat");
        assertTrue(server.all("listen").stream().noneMatch(l -> l.args().contains("http2")),
                "nginx does not carry WebSocket over HTTP/2");
        assertTrue(server.tree().noneMatch(d -> d.name().equals("proxy_protocol")));
    }

    @Test
    void httpVariantsTcpCompanionSendsNoProxyHeader() throws IOException {
        NginxConf.Directive server = NginxConf.parse(read("chat-gateway-http-tcp.conf")).one("stream").one("server");
        assertEquals("off", server.value("proxy_protocol"), "the gateway behind the http variant runs without it");
        assertTrue(NginxConf.seconds(server.value("proxy_timeout")) >= 2 * HEARTBEAT);
    }

    @Test
    void parserReadsBlocksQuotesCommentsAndTimes() {
        NginxConf.Directive root = NginxConf.parse("a 1; # c { }\nb 'x;y' {\n c \"}\";\n d { e; }\n}\n");
        assertEquals(List.of("1"), root.one("a").args());
        assertEquals(List.of("x;y"), root.one("b").args());
        assertEquals("}", root.one("b").value("c"));
        assertEquals(1, root.one("b").one("d").all("e").size());
        assertEquals(600, NginxConf.seconds("10m"));
        assertEquals(90, NginxConf.seconds("1m30s"));
        assertEquals(75, NginxConf.seconds("75"));
        try {
            NginxConf.parse("a { b;");
            throw new IllegalStateException("an unclosed block must be refused");
        } catch (AssertionError expected) {
            assertTrue(expected.getMessage().contains("not closed"), expected.getMessage());
        }
    }
}
