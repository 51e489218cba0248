package io.chatgateway.pipeline;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.AuthenticationException;
import io.chatgateway.auth.Principal;
import io.chatgateway.history.Position;
import io.chatgateway.internal.ThrottledLog;
import io.chatgateway.internal.ThrottledWarning;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.policy.AccessPolicy;
import io.chatgateway.policy.Grant;
import io.chatgateway.policy.RateLimitPolicy;
import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.Field;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.protocol.LeaveReason;
import io.chatgateway.protocol.Names;
import io.chatgateway.protocol.RawJson;
import io.chatgateway.protocol.ServerFrames;
import io.chatgateway.routing.Presence;
import io.chatgateway.routing.UnavailableException;
import io.chatgateway.session.CloseReason;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionState;
import io.chatgateway.session.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The protocol of one connection: registers it, authenticates it, carries out its frames through the
 * {@link io.chatgateway.routing.Router} and answers each one, and turns the heartbeat and auth-timeout decisions into
 * kicks and closes.
 *
 * <p>Frames are handled strictly in order. When an operation completes later (in a cluster, one that needs the
 * broker), reading is paused and the frames already decoded wait in a small queue until it completes, so replies
 * never overtake each other. On a single node every operation completes at once and nothing is queued.
 *
 * <p>Stateful: one instance per channel.
 */
public final class ProtocolHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProtocolHandler.class);
    private static final ThrottledWarning internalErrors = new ThrottledWarning(log, "internal error, closing");
    private static final ThrottledWarning routerFailures = new ThrottledWarning(log, "router operation failed");
    /** Failed logins and refreshes: an operator wants to see them (INFO), an attack must not flood the log. */
    private static final ThrottledLog rejectedTokens = new ThrottledLog(log, ThrottledLog.Level.INFO,
            "token rejected");
    private static final String BEARER = "bearer ";

    private final Gateway gateway;
    private final Transport transport;
    private final GatewayConfig config;
    private final GatewayMetrics metrics;

    private ChannelHandlerContext ctx;
    private Connection connection;
    private ScheduledFuture<?> authTimer;
    private ScheduledFuture<?> expiryTimer;
    /** The connection's current token, once authenticated. */
    private Principal principal;
    private RateLimitPolicy.Bucket rateLimit;
    private int malformed;
    private boolean busy;
    private ArrayDeque<ClientFrame> waiting;

    public ProtocolHandler(Gateway gateway, Transport transport) {
        this.gateway = gateway;
        this.transport = transport;
        this.config = gateway.config();
        this.metrics = gateway.metrics();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        authTimer = ctx.executor().schedule(this::onAuthTimeout, config.authTimeout().toNanos(), TimeUnit.NANOSECONDS);
        if (transport == Transport.TCP) {
            register(null);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelAuthTimer();
        cancelExpiry();
        if (waiting != null) {
            waiting.clear();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            if (ctx.pipeline().get(PipelineNames.HTTP) != null) {
                ctx.pipeline().remove(PipelineNames.HTTP);
            }
            register((WebSocketServerProtocolHandler.HandshakeComplete) evt);
        } else if (evt instanceof IdleStateEvent) {
            onIdle((IdleStateEvent) evt);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    // ---- registration and authentication

    private void register(WebSocketServerProtocolHandler.HandshakeComplete handshake) {
        Connection c = gateway.connections().register(ctx.channel(), transport);
        if (c == null) {
            log.debug("{} refused: connection limit {} reached", ctx.channel(), config.maxConnections());
            ChannelFuture written = replyError(null, ErrorCode.SERVER_BUSY, "connection limit reached, try again later");
            if (transport == Transport.WEBSOCKET) {
                // Not a registered connection, so the frame codec has no close reason to send: say it here.
                written = ctx.writeAndFlush(new CloseWebSocketFrame(CloseReason.SERVER_BUSY.webSocketCode(),
                        CloseReason.SERVER_BUSY.description()));
            }
            written.addListener(ChannelFutureListener.CLOSE);
            busy = true; // nothing more is read or answered on this connection
            return;
        }
        connection = c;
        rateLimit = gateway.rateLimit().newBucket();
        if (log.isDebugEnabled()) {
            log.debug("{} connected over {} from {}", c.logPrefix(), transport.label(), c.remoteAddress());
        }
        if (handshake != null) {
            String token = handshakeToken(handshake);
            if (token != null) {
                authenticate(token, null, null);
            }
        }
    }

    private static String handshakeToken(WebSocketServerProtocolHandler.HandshakeComplete handshake) {
        String authorization = handshake.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).trim();
        }
        List<String> tokens = new QueryStringDecoder(handshake.requestUri()).parameters().get("token");
        return tokens == null || tokens.isEmpty() ? null : tokens.get(0);
    }

    private void authenticate(String token, RawJson id, Position since) {
        await(gateway.authenticator().authenticate(token), (p, rejected) -> {
            if (rejected != null) {
                metrics.authFailure();
                String why = rejected instanceof AuthenticationException ? rejected.getMessage() : "token rejected";
                rejectedTokens.log(connection.logPrefix() + " login from " + connection.remoteAddress() + ": " + why
                        + ";", null);
                closeAfter(replyError(id, ErrorCode.UNAUTHORIZED, why), CloseReason.POLICY);
                return;
            }
            await(gateway.router().register(connection, p.user(), since), (login, error) -> {
                if (error != null) {
                    closeAfter(failed(id, error, "register"), CloseReason.POLICY);
                    return;
                }
                if (isClosing()) {
                    return;
                }
                cancelAuthTimer();
                principal = p;
                scheduleExpiry();
                log.debug("{} authenticated", connection.logPrefix());
                if (since != null) {
                    metrics.recovery(false, Boolean.TRUE.equals(login.recovered()));
                }
                replay(login.replay());
                write(OutboundType.WELCOME, ServerFrames.welcome(ctx.alloc(), id, p.user(), connection.id(),
                        config.heartbeat().toSeconds(), p.expiresAt(), login.inbox(), login.recovered()));
                if (login.afterWelcome() != null) {
                    login.afterWelcome().run();
                }
            });
        });
    }

    /** Writes frames kept in history (a resumed room or inbox), in order, before the answer that follows them. */
    private void replay(List<byte[]> frames) {
        for (byte[] f : frames) {
            write(OutboundType.MESSAGE, Unpooled.wrappedBuffer(f));
        }
    }

    // ---- token lifetime

    /** Arms the one expiry timer of this connection for the current token's {@code exp} plus the leeway. */
    private void scheduleExpiry() {
        cancelExpiry();
        if (!principal.expires()) {
            return;
        }
        long delay = expiryDeadlineMillis() - gateway.clock().getAsLong();
        expiryTimer = ctx.executor().schedule(this::onExpiry, Math.max(0, delay), TimeUnit.MILLISECONDS);
    }

    private long expiryDeadlineMillis() {
        return principal.expiresAt() * 1000 + gateway.authenticator().leeway().toMillis();
    }

    private void onExpiry() {
        expiryTimer = null;
        if (connection == null || isClosing() || principal == null || !principal.expires()) {
            return;
        }
        long left = expiryDeadlineMillis() - gateway.clock().getAsLong();
        if (left > 0) {
            // The clock the timer ran on and the wall clock disagree a little: wait for the rest.
            expiryTimer = ctx.executor().schedule(this::onExpiry, left, TimeUnit.MILLISECONDS);
            return;
        }
        log.debug("{} token expired without a refresh", connection.logPrefix());
        connection.kick(KickReason.EXPIRED);
    }

    private void cancelExpiry() {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
            expiryTimer = null;
        }
    }

    private void refresh(ClientFrame frame) {
        RawJson id = frame.id();
        String token = frame.string(Field.TOKEN);
        if (token == null) {
            malformed(id, ErrorCode.BAD_REQUEST, frame.problem(Field.TOKEN));
            return;
        }
        await(gateway.authenticator().authenticate(token), (next, rejected) -> {
            if (rejected != null || !next.user().equals(connection.user())) {
                metrics.authFailure();
                String why = rejected == null ? "the token is for another user"
                        : rejected instanceof AuthenticationException ? rejected.getMessage() : "token rejected";
                rejectedTokens.log(connection.logPrefix() + " refresh from " + connection.remoteAddress() + ": " + why
                        + ";", null);
                // The old token stays in force: nothing else changes, the connection stays open.
                replyError(id, ErrorCode.UNAUTHORIZED, why);
                return;
            }
            principal = next;
            scheduleExpiry();
            AccessPolicy access = gateway.access();
            for (Connection.Membership m : connection.memberships()) {
                Grant g = access.afterRefresh(next, m.grant(), m.room());
                if (g == null) {
                    log.debug("{} refresh revokes room {}", connection.logPrefix(), m.room());
                    gateway.router().leave(connection, m.room(), LeaveReason.REVOKED);
                } else if (!g.equals(m.grant())) {
                    connection.regrant(m.room(), g);
                }
            }
            write(OutboundType.ACK, ServerFrames.refreshAck(ctx.alloc(), id, next.expiresAt()));
        });
    }

    // ---- frames

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ClientFrame)) {
            // Nothing but frames is expected this far in; drop anything else rather than leak it.
            ReferenceCountUtil.release(msg);
            return;
        }
        ClientFrame frame = (ClientFrame) msg;
        if (connection == null || isClosing()) {
            return;
        }
        if (busy) {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            waiting.add(frame);
            return;
        }
        handle(frame);
    }

    private boolean isClosing() {
        ConnectionState s = connection.state();
        return s == ConnectionState.DISCONNECTING || s == ConnectionState.DISCONNECTED;
    }

    private void handle(ClientFrame frame) {
        RawJson id = frame.id();
        if (frame.isValid()) {
            metrics.frameIn(frame.type());
        } else {
            metrics.invalidFrameIn();
        }
        // Every frame counts against the rate limit, bad ones too: answering them costs as much as good ones.
        if (!rateLimit.tryAcquire()) {
            replyError(id, ErrorCode.RATE_LIMITED, "too many frames, slow down");
            return;
        }
        if (!frame.isValid()) {
            if (frame.error() == ErrorCode.UNSUPPORTED) {
                // A binary message is well-formed, just not for us: answered and ignored, not held against the client.
                replyError(id, ErrorCode.UNSUPPORTED, frame.errorMessage());
            } else {
                malformed(id, frame.error(), frame.errorMessage());
            }
            return;
        }
        if (!connection.isAuthenticated()) {
            switch (frame.type()) {
                case AUTH:
                    String token = frame.string(Field.TOKEN);
                    Field wrong = frame.firstWrongType(Field.TOKEN, Field.SINCE);
                    if (token == null || wrong != null) {
                        malformed(id, ErrorCode.BAD_REQUEST, frame.problem(wrong != null ? wrong : Field.TOKEN));
                    } else {
                        authenticate(token, id, frame.since());
                    }
                    return;
                default:
                    replyError(id, ErrorCode.UNAUTHENTICATED, "authenticate first: send an 'auth' frame");
                    return;
            }
        }
        switch (frame.type()) {
            case AUTH:
                replyError(id, ErrorCode.BAD_REQUEST, "already authenticated");
                break;
            case PING:
                write(OutboundType.PONG, ServerFrames.pong(ctx.alloc(), id));
                break;
            case SEND:
                send(frame);
                break;
            case JOIN:
                join(frame);
                break;
            case LEAVE:
                leave(frame);
                break;
            case PUBLISH:
                publish(frame);
                break;
            case PRESENCE:
                presence(frame);
                break;
            case REFRESH:
                refresh(frame);
                break;
            case HISTORY:
                history(frame);
                break;
            default:
                throw new IllegalStateException("unhandled frame type " + frame.type());
        }
    }

    private void send(ClientFrame frame) {
        RawJson id = frame.id();
        String to = frame.string(Field.TO);
        Field wrong = frame.firstWrongType(Field.TO, Field.EPHEMERAL);
        if (to == null || wrong != null) {
            malformed(id, ErrorCode.BAD_REQUEST, frame.problem(wrong != null ? wrong : Field.TO));
            return;
        }
        String problem = Names.userProblem(to);
        if (problem != null) {
            malformed(id, ErrorCode.BAD_REQUEST, "field 'to' " + Names.quote(to) + ": " + problem);
            return;
        }
        RawJson body = frame.body();
        if (body == null) {
            malformed(id, ErrorCode.BAD_REQUEST, "missing field 'body'");
            return;
        }
        String user = connection.user();
        String mid = gateway.messageIds().next();
        ByteBuf message = ServerFrames.openMessage(ctx.alloc(), mid, user, to, null, body,
                gateway.clock().getAsLong());
        // To oneself: the sender's other connections, never the sending one.
        Connection exclude = to.equals(user) ? connection : null;
        await(gateway.router().sendToUser(to, message, exclude, frame.ephemeral()), (delivery, error) -> {
            if (error != null) {
                failed(id, error, "send");
            } else if (delivery.isLost()) {
                replyError(id, ErrorCode.USER_OFFLINE, "user " + Names.quote(to) + " has no connection to deliver to");
            } else {
                write(OutboundType.ACK,
                        ServerFrames.messageAck(ctx.alloc(), id, delivery.recipients(), mid, delivery.stored()));
            }
        });
    }

    private void join(ClientFrame frame) {
        RawJson id = frame.id();
        String room = room(frame);
        if (room == null) {
            return;
        }
        Field wrong = frame.firstWrongType(Field.TOKEN, Field.SINCE);
        if (wrong != null) {
            malformed(id, ErrorCode.BAD_REQUEST, frame.problem(wrong));
            return;
        }
        if (!connection.inRoom(room) && connection.roomCount() >= config.maxRoomsPerConnection()) {
            replyError(id, ErrorCode.BAD_REQUEST,
                    "room limit reached: at most " + config.maxRoomsPerConnection() + " rooms per connection");
            return;
        }
        AccessPolicy access = gateway.access();
        String roomToken = frame.string(Field.TOKEN);
        if (roomToken != null && access.requiresGrant()) {
            await(gateway.authenticator().authorizeRoom(roomToken, connection.user(), room), (right, rejected) -> {
                if (rejected != null) {
                    String why = rejected instanceof AuthenticationException ? rejected.getMessage() : "rejected";
                    forbidden(id, "room token for " + Names.quote(room) + " not accepted: " + why);
                } else {
                    join(id, room, access.roomTokenGrant(principal, room, right), frame.since());
                }
            });
            return;
        }
        Grant grant = access.claimGrant(principal, room);
        if (grant == null) {
            forbidden(id, "no grant for room " + Names.quote(room));
            return;
        }
        join(id, room, grant, frame.since());
    }

    private void join(RawJson id, String room, Grant grant, Position since) {
        await(gateway.router().join(connection, room, grant, since), (joined, error) -> {
            if (error != null) {
                failed(id, error, "join");
                return;
            }
            if (!joined.joined()) {
                return;
            }
            if (since != null) {
                metrics.recovery(true, Boolean.TRUE.equals(joined.recovered()));
            }
            replay(joined.replay());
            write(OutboundType.ACK, ServerFrames.joinAck(ctx.alloc(), id, joined.position(), joined.events(),
                    joined.recovered()));
            if (joined.afterAck() != null) {
                joined.afterAck().run();
            }
        });
    }

    private void leave(ClientFrame frame) {
        RawJson id = frame.id();
        String room = room(frame);
        if (room == null) {
            return;
        }
        await(gateway.router().leave(connection, room, LeaveReason.LEAVE), (left, error) -> {
            if (error != null) {
                failed(id, error, "leave");
            } else if (left) {
                write(OutboundType.ACK, ServerFrames.ack(ctx.alloc(), id, -1, null));
            } else {
                replyError(id, ErrorCode.NOT_IN_ROOM, "not a member of room " + Names.quote(room));
            }
        });
    }

    private void publish(ClientFrame frame) {
        RawJson id = frame.id();
        String room = room(frame);
        if (room == null) {
            return;
        }
        if (frame.hasWrongType(Field.EPHEMERAL)) {
            malformed(id, ErrorCode.BAD_REQUEST, frame.problem(Field.EPHEMERAL));
            return;
        }
        RawJson body = frame.body();
        if (body == null) {
            malformed(id, ErrorCode.BAD_REQUEST, "missing field 'body'");
            return;
        }
        Connection.Membership m = connection.membership(room);
        if (m == null) {
            replyError(id, ErrorCode.NOT_IN_ROOM, "join room " + Names.quote(room) + " before publishing to it");
            return;
        }
        if (!gateway.access().mayPublish(m.grant())) {
            forbidden(id, "no publish right in room " + Names.quote(room) + " (read-only grant)");
            return;
        }
        String mid = gateway.messageIds().next();
        ByteBuf message = ServerFrames.openMessage(ctx.alloc(), mid, connection.user(), null, room, body,
                gateway.clock().getAsLong());
        await(gateway.router().publish(room, message, connection, frame.ephemeral()), (delivery, error) -> {
            if (error != null) {
                failed(id, error, "publish");
            } else {
                write(OutboundType.ACK, ServerFrames.ack(ctx.alloc(), id, delivery.recipients(), mid));
            }
        });
    }

    private void presence(ClientFrame frame) {
        RawJson id = frame.id();
        String room = frame.string(Field.ROOM);
        if (room == null && frame.hasWrongType(Field.ROOM)) {
            malformed(id, ErrorCode.BAD_REQUEST, frame.problem(Field.ROOM));
            return;
        }
        if (room == null) {
            if (!gateway.access().globalPresence()) {
                forbidden(id, "presence of the whole gateway is off here (global-presence=off); ask for a room");
                return;
            }
        } else {
            String problem = Names.roomProblem(room);
            if (problem != null) {
                malformed(id, ErrorCode.BAD_REQUEST, "field 'room' " + Names.quote(room) + ": " + problem);
                return;
            }
            if (!mayRead(room)) {
                forbidden(id, "no grant to see room " + Names.quote(room));
                return;
            }
        }
        await(gateway.router().presence(room, config.maxPresenceUsers()), (Presence p, Throwable error) -> {
            if (error != null) {
                failed(id, error, "presence");
            } else {
                write(OutboundType.PRESENCE, ServerFrames.presence(ctx.alloc(), id, room, p.users(), p.truncated()));
            }
        });
    }

    private void history(ClientFrame frame) {
        RawJson id = frame.id();
        String room = room(frame);
        if (room == null) {
            return;
        }
        Field wrong = frame.firstWrongType(Field.SINCE, Field.LIMIT);
        if (wrong != null) {
            malformed(id, ErrorCode.BAD_REQUEST, frame.problem(wrong));
            return;
        }
        if (!mayRead(room)) {
            forbidden(id, "no grant to read room " + Names.quote(room));
            return;
        }
        if (!config.isHistoryEnabled()) {
            replyError(id, ErrorCode.UNSUPPORTED, "room history is off on this gateway (history-size=0)");
            return;
        }
        int limit = frame.limit() < 0 ? config.historySize() : (int) Math.min(frame.limit(), config.historySize());
        Position since = frame.since();
        await(gateway.history().read(room, since, limit), (page, error) -> {
            if (error != null) {
                failed(id, error, "history");
            } else {
                write(OutboundType.HISTORY, ServerFrames.history(ctx.alloc(), id, room, page.position(),
                        page.messages(), since == null ? null : page.recovered()));
            }
        });
    }

    private boolean mayRead(String room) {
        Connection.Membership m = connection.membership(room);
        return gateway.access().mayRead(principal, m == null ? null : m.grant(), room);
    }

    private void forbidden(RawJson id, String message) {
        replyError(id, ErrorCode.FORBIDDEN, message);
    }

    /** The frame's valid room name, or {@code null} after answering {@code bad_request}. */
    private String room(ClientFrame frame) {
        String room = frame.string(Field.ROOM);
        if (room == null) {
            malformed(frame.id(), ErrorCode.BAD_REQUEST, frame.problem(Field.ROOM));
            return null;
        }
        String problem = Names.roomProblem(room);
        if (problem != null) {
            malformed(frame.id(), ErrorCode.BAD_REQUEST, "field 'room' " + Names.quote(room) + ": " + problem);
            return null;
        }
        return room;
    }

    // ---- asynchronous completion, in frame order

    private <T> void await(CompletionStage<T> stage, BiConsumer<T, Throwable> then) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        if (f.isDone()) {
            complete(f, then);
            return;
        }
        busy = true;
        ctx.channel().config().setAutoRead(false);
        f.whenComplete((v, e) -> ctx.executor().execute(() -> {
            busy = false;
            complete(f, then);
            drain();
        }));
    }

    private <T> void complete(CompletableFuture<T> f, BiConsumer<T, Throwable> then) {
        T value = null;
        Throwable error = null;
        try {
            value = f.join();
        } catch (CompletionException e) {
            error = e.getCause() != null ? e.getCause() : e;
        } catch (RuntimeException e) {
            error = e;
        }
        try {
            then.accept(value, error);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    private void drain() {
        while (!busy && waiting != null && !waiting.isEmpty() && !isClosing()) {
            handle(waiting.poll());
        }
        if (!busy && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private ChannelFuture failed(RawJson id, Throwable error, String operation) {
        if (error instanceof UnavailableException) {
            log.debug("{} {} unavailable: {}", connection.logPrefix(), operation, error.getMessage());
            return replyError(id, ErrorCode.UNAVAILABLE, "cluster broker unreachable: " + error.getMessage());
        }
        routerFailures.warn(connection.logPrefix() + " " + operation + ":", error);
        gateway.connections().fireError(connection, error);
        return replyError(id, ErrorCode.INTERNAL, "internal error");
    }

    // ---- replies and closes

    private void write(OutboundType type, ByteBuf frame) {
        metrics.framesOut(type, 1);
        ctx.writeAndFlush(frame, ctx.voidPromise());
    }

    private ChannelFuture replyError(RawJson id, ErrorCode code, String message) {
        metrics.error(code);
        return ctx.writeAndFlush(ServerFrames.error(ctx.alloc(), id, code, message));
    }

    private void malformed(RawJson id, ErrorCode code, String message) {
        ChannelFuture written = replyError(id, code, message);
        if (++malformed > config.maxMalformedFrames()) {
            log.debug("{} closed after {} malformed frames", connection.logPrefix(), malformed);
            closeAfter(written, CloseReason.POLICY);
        }
    }

    /**
     * Closes once {@code lastFrame}, the frame that explains the close, has been written. Writes complete in order,
     * so everything written before it is out too.
     */
    private void closeAfter(ChannelFuture lastFrame, CloseReason reason) {
        if (connection != null && !connection.beginClose(reason)) {
            return;
        }
        lastFrame.addListener(ChannelFutureListener.CLOSE);
    }

    private void onIdle(IdleStateEvent e) {
        if (e.state() != IdleState.READER_IDLE) {
            return;
        }
        if (connection == null) {
            // Not (yet) a protocol connection: an HTTP client or a stalled handshake. Nothing to tell it.
            ctx.close();
        } else if (e.isFirst()) {
            connection.markIdle();
        } else {
            log.debug("{} idle for {}s, dropping", connection.logPrefix(), config.heartbeat().toSeconds());
            connection.kick(KickReason.IDLE);
        }
    }

    private void onAuthTimeout() {
        authTimer = null;
        if (connection == null) {
            ctx.close();
        } else if (!connection.isAuthenticated() && !isClosing()) {
            log.debug("{} not authenticated within {} ms, closing", connection.logPrefix(),
                    config.authTimeout().toMillis());
            closeAfter(replyError(null, ErrorCode.UNAUTHENTICATED,
                    "not authenticated within " + config.authTimeout().toMillis() + " ms"), CloseReason.POLICY);
        }
    }

    private void cancelAuthTimer() {
        if (authTimer != null) {
            authTimer.cancel(false);
            authTimer = null;
        }
    }

    // ---- errors

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (isTooLarge(cause)) {
            frameTooLarge(cause);
        } else if (cause instanceof CorruptedFrameException || cause instanceof CorruptedWebSocketFrameException
                || cause instanceof DecoderException && cause.getCause() instanceof CorruptedFrameException) {
            // A WebSocket protocol violation: the frame codec has already sent the close frame with its status.
            log.debug("{} protocol violation: {}", prefix(), cause.getMessage());
            ctx.close();
        } else if (cause instanceof IOException) {
            log.debug("{} transport error: {}", prefix(), cause.toString());
            ctx.close();
        } else {
            internalError(cause);
        }
    }

    private static boolean isTooLarge(Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            return true;
        }
        return cause instanceof CorruptedWebSocketFrameException
                && ((CorruptedWebSocketFrameException) cause).closeStatus().code()
                        == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
    }

    private void frameTooLarge(Throwable cause) {
        log.debug("{} {}", prefix(), cause.getMessage());
        if (connection == null) {
            ctx.close();
        } else if (transport == Transport.TCP) {
            closeAfter(replyError(null, ErrorCode.FRAME_TOO_LARGE,
                    "frame exceeds the maximum of " + config.maxFrameBytes() + " bytes"), CloseReason.FRAME_TOO_LARGE);
        } else if (cause instanceof CorruptedWebSocketFrameException) {
            // The frame codec has already sent close 1009 and is closing the channel.
            connection.beginClose(CloseReason.FRAME_TOO_LARGE);
        } else {
            connection.close(CloseReason.FRAME_TOO_LARGE);
        }
    }

    private void internalError(Throwable cause) {
        internalErrors.warn(prefix(), cause);
        if (connection != null) {
            gateway.connections().fireError(connection, cause);
            if (!isClosing()) {
                closeAfter(replyError(null, ErrorCode.INTERNAL, "internal error"), CloseReason.INTERNAL);
            }
        } else {
            ctx.close();
        }
    }

    private Object prefix() {
        return connection != null ? connection.logPrefix() : ctx.channel();
    }
}
