package io.chatgateway.server.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The web pages, served from the classpath ({@code /web/...} in the jar).
 *
 * <p>Every file is read once, when the server is built, from a fixed list; a request can only name one of those
 * files, so no request path ever reaches the class loader or the file system and path traversal ({@code ..},
 * encoded slashes, absolute paths) is impossible by construction, not by filtering. Serving is a map lookup and
 * never blocks an event loop.
 *
 * <p>Caching: the files have no fingerprint in their names, so every answer carries a strong {@code ETag} with
 * {@code Cache-Control: no-cache}: browsers keep their copy and revalidate it, and a gateway upgrade is seen on the
 * next load. A matching {@code If-None-Match} gets {@code 304}.
 */
final class StaticFiles {
    /** URL path to file name; the files live in {@code /web/} on the classpath. */
    private static final Map<String, String> ROUTES = Map.ofEntries(
            Map.entry("/", "index.html"),
            Map.entry("/index.html", "index.html"),
            Map.entry("/admin", "admin.html"),
            Map.entry("/admin/", "admin.html"),
            Map.entry("/admin.html", "admin.html"),
            Map.entry("/chat.js", "chat.js"),
            Map.entry("/admin.js", "admin.js"),
            Map.entry("/common.js", "common.js"),
            // The JavaScript client library, packaged from clients/js/src by gateway-server's pom.
            Map.entry("/lib/index.js", "lib/index.js"),
            Map.entry("/style.css", "style.css"),
            Map.entry("/favicon.svg", "favicon.svg"));

    /**
     * Pages may load scripts, styles and images from the gateway only and connect back to it only (WebSocket and
     * the admin API); they can be framed by nobody.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Map<String, File> files = new HashMap<>();

    StaticFiles() {
        for (String name : ROUTES.values()) {
            files.computeIfAbsent(name, StaticFiles::load);
        }
    }

    /** {@code true} when {@code rawPath} names a page or asset. */
    boolean has(String rawPath) {
        return ROUTES.containsKey(rawPath);
    }

    /** The response for a GET or HEAD of a path for which {@link #has} is true. */
    FullHttpResponse response(String rawPath, String ifNoneMatch) {
        File f = files.get(ROUTES.get(rawPath));
        FullHttpResponse res;
        if (ifNoneMatch != null && matches(ifNoneMatch, f.etag)) {
            res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
        } else {
            res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(f.bytes));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, f.contentType);
        }
        res.headers().set(HttpHeaderNames.ETAG, f.etag);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        if (f.contentType.startsWith("text/html")) {
            res.headers().set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
            res.headers().set("Referrer-Policy", "no-referrer");
            res.headers().set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
        }
        return res;
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch.trim().equals("*")) {
            return true;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static File load(String name) {
        try (InputStream in = StaticFiles.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                throw new IllegalStateException("web resource /web/" + name + " is missing from the classpath");
            }
            byte[] bytes = in.readAllBytes();
            return new File(bytes, contentType(name), etag(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read web resource /web/" + name, e);
        }
    }

    static String contentType(String name) {
        String ext = name.substring(name.lastIndexOf('.') + 1);
        switch (ext) {
            case "html":
                return "text/html; charset=utf-8";
            case "js":
                return "text/javascript; charset=utf-8";
            case "css":
                return "text/css; charset=utf-8";
            case "svg":
                return "image/svg+xml";
            default:
                return "application/octet-stream";
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(d, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    private static final class File {
        final byte[] bytes;
        final String contentType;
        final String etag;

        File(byte[] bytes, String contentType, String etag) {
            this.bytes = bytes;
            this.contentType = contentType;
            this.etag = etag;
        }
    }
}
