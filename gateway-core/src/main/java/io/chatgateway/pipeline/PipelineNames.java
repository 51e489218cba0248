package io.chatgateway.pipeline;

/**
 * Names of the handlers in a connection's pipeline, in order from the socket inwards. The two transports differ
 * only in their framing handlers; from {@link #SLOW_CONSUMER} on they share the same handlers.
 *
 * <pre>
 * WebSocket (port 8080)                    TCP (port 9090)
 * ---------------------                    ---------------
 * proxyDecoder   ProxyHeaderDecoder        proxyDecoder   ProxyHeaderDecoder        (proxy-protocol=on)
 * proxy          ProxyProtocolHandler      proxy          ProxyProtocolHandler      (proxy-protocol=on)
 * admission      AdmissionHandler          admission      AdmissionHandler          (removed once admitted)
 * ------------- added by admission, only for an admitted connection --------------
 * tls            SslHandler                tls            SslHandler                (TLS on)
 * tlsEvents      TlsEventsHandler          tlsEvents      TlsEventsHandler          (TLS on)
 * idle           IdleStateHandler          idle           IdleStateHandler
 * httpCodec      HttpServerCodec (*)       flush          FlushBatchHandler
 * flush          FlushBatchHandler         tcpDecoder     TcpFrameDecoder
 * httpAggregator HttpObjectAggregator (*)  tcpEncoder     TcpFrameEncoder
 * origin         OriginHandler (**)
 * wsProtocol     WebSocketServerProtocolHandler
 * http           the server's HTTP routes (removed on upgrade)
 * wsAggregator   WebSocketFrameAggregator
 * wsFrames       WebSocketFrameCodec
 * ----------------------------- shared -----------------------------
 * slowConsumer   SlowConsumerHandler   outbound buffer limit, kicks slow consumers
 * metering       MeteringHandler       per-connection bytes, frames, last activity
 * json           JsonFrameDecoder      payload bytes to ClientFrame
 * protocol       ProtocolHandler       auth, routing, replies, heartbeat and auth timeouts
 * </pre>
 *
 * (*) On the WebSocket upgrade Netty replaces the HTTP codec with its WebSocket frame encoder and decoder and drops
 * the aggregator; {@link ProtocolHandler} drops the HTTP routes. (**) Only when {@code allowed-origins} is not
 * {@code *}.
 *
 * <p>A frame written to many connections (a room's fan-out, a broadcast) enters at {@link #FLUSH}, not at the tail:
 * {@link FlushBatchHandler} does for it what the handlers above would (counting, framing, the slow-consumer hard
 * limit, no frame after the WebSocket close frame). On WebSocket the flush handler therefore sits above the frame
 * encoder, where every close frame passes it as an object. A handler added above {@link #FLUSH} sees replies and
 * direct messages, but not room messages. A handler added below it sees room messages with the channel's one
 * promise for all of them ({@link SharedWritePromise}): it must not add a listener to a write's promise, but, as
 * for Netty's void promise, {@code unvoid()} it first.
 *
 * <p>The front door comes first so that a refused connection costs as little as possible: the client address is
 * known (from the PROXY header when there is one) before the limits are applied, and the limits are applied before
 * any TLS, HTTP or authentication work. A refused connection never gets the handlers below the line.
 */
public final class PipelineNames {
    public static final String PROXY_DECODER = "proxyDecoder";
    public static final String PROXY = "proxy";
    public static final String ADMISSION = "admission";
    public static final String TLS = "tls";
    public static final String TLS_EVENTS = "tlsEvents";
    public static final String IDLE = "idle";
    public static final String FLUSH = "flush";
    public static final String HTTP_CODEC = "httpCodec";
    public static final String HTTP_AGGREGATOR = "httpAggregator";
    public static final String ORIGIN = "origin";
    public static final String WS_PROTOCOL = "wsProtocol";
    public static final String HTTP = "http";
    public static final String WS_AGGREGATOR = "wsAggregator";
    public static final String WS_FRAMES = "wsFrames";
    public static final String TCP_DECODER = "tcpDecoder";
    public static final String TCP_ENCODER = "tcpEncoder";
    public static final String SLOW_CONSUMER = "slowConsumer";
    public static final String METERING = "metering";
    public static final String JSON = "json";
    public static final String PROTOCOL = "protocol";

    private PipelineNames() {
    }
}
