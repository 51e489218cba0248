package io.chatgateway.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's {@link HAProxyMessageDecoder}, plus a look at the first bytes: a v1 header starts with {@code PROXY }, a
 * v2 header with its 12-byte signature, so bytes that start otherwise (a TLS hello, an HTTP request, a TCP frame's
 * length prefix) are refused at once instead of after the header timeout, which is what the decoder alone would do
 * with input that has no line end.
 */
final class ProxyHeaderDecoder extends HAProxyMessageDecoder {
    private static final byte[] V1 = {'P', 'R', 'O', 'X', 'Y', ' '};
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** Bytes of the signature checked so far; the check ends once the whole of one is seen. */
    private int checked;
    private boolean v2;

    ProxyHeaderDecoder(int maxTlvBytes) {
        super(maxTlvBytes);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf && !signatureSeen()) {
            ByteBuf in = (ByteBuf) msg;
            if (checked == 0 && in.isReadable()) {
                v2 = in.getByte(in.readerIndex()) == V2[0];
            }
            byte[] signature = v2 ? V2 : V1;
            int i = 0;
            while (checked < signature.length && i < in.readableBytes()) {
                if (in.getByte(in.readerIndex() + i) != signature[checked]) {
                    ReferenceCountUtil.release(msg);
                    ctx.close();
                    throw new HAProxyProtocolException("not a PROXY protocol header (first bytes are not "
                            + (v2 ? "the v2 signature" : "'PROXY '") + ")");
                }
                i++;
                checked++;
            }
        }
        super.channelRead(ctx, msg);
    }

    private boolean signatureSeen() {
        return checked >= (v2 ? V2.length : V1.length);
    }
}
