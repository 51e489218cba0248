package io.chatgateway.pipeline;

import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.policy.OriginPolicy;
import io.chatgateway.session.ClientAddress;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Refuses a WebSocket handshake whose {@code Origin} the {@link OriginPolicy} does not allow, with HTTP 403, before
 * Netty's handshaker sees it: no upgrade, no connection registered, no frame. Sits between the HTTP aggregator and
 * {@code WebSocketServerProtocolHandler}; requests to other paths (pages, health, metrics) pass untouched.
 */
@ChannelHandler.Sharable
final class OriginHandler extends ChannelInboundHandlerAdapter {
    private static final byte[] BODY = "{\"error\":\"forbidden\",\"message\":\"origin not allowed\"}"
            .getBytes(StandardCharsets.UTF_8);
    /** At most this much of a refused Origin is quoted in the log. */
    private static final int QUOTE = 100;

    private final OriginPolicy policy;
    private final String webSocketPath;
    private final boolean secure;
    private final Admission admission;

    OriginHandler(OriginPolicy policy, String webSocketPath, boolean secure, Admission admission) {
        this.policy = policy;
        this.webSocketPath = webSocketPath;
        this.secure = secure;
        this.admission = admission;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            FullHttpRequest req = (FullHttpRequest) msg;
            if (isWebSocketPath(req.uri())) {
                List<String> origins = req.headers().getAll(HttpHeaderNames.ORIGIN);
                // Browsers send one Origin; several are not something a browser did, so none of them is trusted.
                boolean allowed = origins.size() <= 1 && policy.allows(origins.isEmpty() ? null : origins.get(0),
                        req.headers().get(HttpHeaderNames.HOST), secure);
                if (!allowed) {
                    refuse(ctx, req, origins);
                    return;
                }
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, List<String> origins) {
        req.release();
        String origin = String.join(", ", origins);
        admission.refused(RefusalReason.ORIGIN, ClientAddress.of(ctx.channel()) + " (Origin: "
                + (origin.length() > QUOTE ? origin.substring(0, QUOTE) + "..." : origin) + ")", false);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                Unpooled.wrappedBuffer(BODY));
        res.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, BODY.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    /** The rule of Netty's handshaker with {@code checkStartsWith}: the path, then the end, {@code /} or {@code ?}. */
    private boolean isWebSocketPath(String uri) {
        if (!uri.startsWith(webSocketPath)) {
            return false;
        }
        if (uri.length() == webSocketPath.length() || webSocketPath.equals("/")) {
            return true;
        }
        char next = uri.charAt(webSocketPath.length());
        return next == '/' || next == '?';
    }
}
