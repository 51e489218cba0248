package io.chatgateway.pipeline;

import io.chatgateway.protocol.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

import java.nio.charset.StandardCharsets;

/**
 * How a port turns away a connection at accept, "as for the connection limit": the answer is built once, at class
 * load, and every refusal writes a duplicate of the same bytes straight to the socket, ahead of every codec, then
 * closes. Nothing of the client's is read or parsed.
 */
enum Refusal {
    /** TCP: one {@code error} frame {@code server_busy} (4-byte length prefix), then close. */
    TCP_FRAME(tcpFrame()),
    /** WebSocket port: an HTTP 503 with {@code Retry-After}, {@code Connection: close} and a JSON body, then close. */
    HTTP_503(http503()),
    /**
     * Either port with TLS: close at once. The client is waiting for a TLS server hello, so plain bytes would only
     * be a protocol error to it, and answering inside TLS would mean a full handshake, the very cost (asymmetric
     * crypto, milliseconds) that refusing at accept is there to save.
     */
    CLOSE(null);

    static final String MESSAGE = "too many connections, try again later";
    /** Seconds a refused client is asked to wait: long enough to spread a reconnect storm, short enough to retry. */
    static final int RETRY_AFTER_SECONDS = 5;

    private final ByteBuf bytes;

    Refusal(ByteBuf bytes) {
        this.bytes = bytes;
    }

    /** Writes the answer (if any) and closes the channel. */
    void refuse(Channel ch) {
        ch.config().setAutoRead(false);
        if (bytes == null) {
            ch.close();
        } else {
            ch.writeAndFlush(bytes.duplicate()).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The exact bytes written, for tests. */
    byte[] bytes() {
        if (bytes == null) {
            return new byte[0];
        }
        byte[] b = new byte[bytes.readableBytes()];
        bytes.getBytes(bytes.readerIndex(), b);
        return b;
    }

    private static String errorJson() {
        return "{\"type\":\"error\",\"code\":\"" + ErrorCode.SERVER_BUSY.wireName() + "\",\"message\":\"" + MESSAGE
                + "\"}";
    }

    private static ByteBuf tcpFrame() {
        byte[] json = errorJson().getBytes(StandardCharsets.UTF_8);
        return constant(Unpooled.buffer(4 + json.length).writeInt(json.length).writeBytes(json));
    }

    private static ByteBuf http503() {
        byte[] body = ("{\"error\":\"" + ErrorCode.SERVER_BUSY.wireName() + "\",\"message\":\"" + MESSAGE + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 503 Service Unavailable\r\n"
                + "Retry-After: " + RETRY_AFTER_SECONDS + "\r\n"
                + "Connection: close\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        return constant(Unpooled.buffer(h.length + body.length).writeBytes(h).writeBytes(body));
    }

    /** A direct copy that is never released, so that a refusal is one write with no copy and no allocation. */
    private static ByteBuf constant(ByteBuf heap) {
        ByteBuf direct = Unpooled.directBuffer(heap.readableBytes()).writeBytes(heap);
        heap.release();
        return Unpooled.unreleasableBuffer(direct);
    }
}
