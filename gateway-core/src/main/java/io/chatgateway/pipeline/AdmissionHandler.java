package io.chatgateway.pipeline;

import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.session.ClientAddress;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

import java.util.function.Consumer;

/**
 * The front door of one connection: asks {@link Admission} whether it may come in, and only then builds the rest
 * of its pipeline (TLS, framing, protocol) and lets {@code channelActive} through. A refused connection never gets
 * those handlers, so it costs an accept, one write of precomputed bytes and a close; nothing it sent is read.
 *
 * <p>Without the PROXY protocol the decision is made at accept, on the socket's address. With it, the unauthenticated
 * cap is applied at accept and the per-address limits once {@link ProxyProtocolHandler} has named the client.
 *
 * <p>Stateful: one instance per channel; removes itself once the connection is admitted.
 */
final class AdmissionHandler extends ChannelInboundHandlerAdapter {
    private enum State {
        ACCEPTING, AWAITING_ADDRESS, ADMITTED, REFUSED
    }

    private final Admission admission;
    private final Refusal refusal;
    private final boolean awaitAddress;
    private final Consumer<Channel> buildRest;
    private State state = State.ACCEPTING;

    /**
     * @param awaitAddress {@code true} when a PROXY header names the client: wait for
     *                     {@link ProxyProtocolHandler#ADDRESS_KNOWN} before applying the per-address limits
     * @param buildRest    adds the rest of the pipeline after this handler, once admitted
     */
    AdmissionHandler(Admission admission, Refusal refusal, boolean awaitAddress, Consumer<Channel> buildRest) {
        this.admission = admission;
        this.refusal = refusal;
        this.awaitAddress = awaitAddress;
        this.buildRest = buildRest;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (state != State.ACCEPTING) {
            return;
        }
        RefusalReason r = admission.acceptConnection(ctx.channel());
        if (r != null) {
            refuse(ctx, r);
        } else if (awaitAddress) {
            state = State.AWAITING_ADDRESS;
        } else {
            checkAddress(ctx);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ProxyProtocolHandler.ADDRESS_KNOWN) {
            if (state == State.AWAITING_ADDRESS) {
                checkAddress(ctx);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void checkAddress(ChannelHandlerContext ctx) {
        RefusalReason r = admission.checkAddress(ctx.channel());
        if (r != null) {
            refuse(ctx, r);
            return;
        }
        state = State.ADMITTED;
        buildRest.accept(ctx.channel());
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    private void refuse(ChannelHandlerContext ctx, RefusalReason reason) {
        state = State.REFUSED;
        admission.refused(reason, ClientAddress.of(ctx.channel()), false);
        refusal.refuse(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Only bytes that came before a decision (or after a refusal) get here: they are not for anyone.
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Not admitted: the handlers that would care about the close were never added.
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Before admission nothing but the transport can fail (a reset): nothing to tell anyone.
        ctx.close();
    }
}
