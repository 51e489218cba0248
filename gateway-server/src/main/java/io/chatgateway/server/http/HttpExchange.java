package io.chatgateway.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One HTTP request and the means to answer it exactly once, from any thread. It copies what the routes need out of
 * the {@link FullHttpRequest} (which is released when the handler returns), so an answer may come later, when an
 * engine operation completes.
 */
final class HttpExchange {
    private final ChannelHandlerContext ctx;
    private final HttpMethod method;
    private final String rawPath;
    private final Map<String, List<String>> params;
    private final HttpHeaders headers;
    private final byte[] body;
    private final boolean keepAlive;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile boolean readsSuspended;
    private volatile String extraHeaderName;
    private volatile String extraHeaderValue;

    HttpExchange(ChannelHandlerContext ctx, FullHttpRequest req) {
        this.ctx = ctx;
        this.method = req.method();
        QueryStringDecoder qs = new QueryStringDecoder(req.uri());
        this.rawPath = qs.rawPath();
        this.params = qs.parameters();
        this.headers = req.headers().copy();
        this.body = ByteBufUtil.getBytes(req.content());
        this.keepAlive = HttpUtil.isKeepAlive(req);
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    HttpMethod method() {
        return method;
    }

    boolean isGetOrHead() {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
    }

    /** The path as sent, still percent-encoded, without the query. */
    String rawPath() {
        return rawPath;
    }

    /** A query parameter's first value, or {@code null}. */
    String param(String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    HttpHeaders headers() {
        return headers;
    }

    byte[] body() {
        return body;
    }

    boolean isAnswered() {
        return answered.get();
    }

    /** Adds a header to the answer (one at most: {@code WWW-Authenticate} on a 401). */
    void header(String name, String value) {
        this.extraHeaderName = name;
        this.extraHeaderValue = value;
    }

    /**
     * Stops reading further requests from this connection until the answer is written, so that answers to a
     * keep-alive connection leave in the order of its requests even when this one completes later.
     */
    void suspendReads() {
        readsSuspended = true;
        ctx.channel().config().setAutoRead(false);
        if (answered.get()) {
            // The answer went out meanwhile and may not have seen the flag: resume here.
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Answers with a JSON document. */
    void json(HttpResponseStatus status, ObjectNode doc) {
        byte[] bytes = Json.bytes(doc);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        send(res);
    }

    /** Answers with a JSON error: {@code {"error": code, "message": message}}. */
    void error(HttpResponseStatus status, String code, String message) {
        ObjectNode doc = Json.object();
        doc.put("error", code);
        doc.put("message", message);
        json(status, doc);
    }

    /** Answers with a problem, including its {@code Allow} header for a 405. */
    void problem(HttpProblem p) {
        ObjectNode doc = Json.object();
        doc.put("error", p.code());
        doc.put("message", p.getMessage());
        byte[] bytes = Json.bytes(doc);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, p.status(),
                Unpooled.wrappedBuffer(bytes));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (p.allow() != null) {
            res.headers().set(HttpHeaderNames.ALLOW, p.allow());
        }
        send(res);
    }

    /** Answers with plain text. */
    void text(HttpResponseStatus status, String contentType, String text) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        send(res);
    }

    /**
     * Writes the response: sets the length and keep-alive headers, drops the body of an answer to {@code HEAD}, and
     * closes the connection afterwards unless the client keeps it alive. A second answer is ignored.
     */
    void send(FullHttpResponse res) {
        if (!answered.compareAndSet(false, true)) {
            res.release();
            return;
        }
        res.headers().set("X-Content-Type-Options", "nosniff");
        if (extraHeaderName != null) {
            res.headers().set(extraHeaderName, extraHeaderValue);
        }
        HttpUtil.setContentLength(res, res.content().readableBytes());
        if (HttpMethod.HEAD.equals(method)) {
            res.content().clear();
        }
        boolean close = !keepAlive || res.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code();
        HttpUtil.setKeepAlive(res, !close);
        if (!ctx.channel().isActive()) {
            res.release();
            return;
        }
        if (close) {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(res);
            if (readsSuspended) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }
}
