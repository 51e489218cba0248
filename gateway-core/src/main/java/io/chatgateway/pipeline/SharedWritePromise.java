package io.chatgateway.pipeline;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The promise of every shared frame written to one channel on the short way in: one instance per channel, reused
 * for each write, where a promise and a listener per write cost an object and a notification for every recipient of
 * every room message (about a fifth of the bytes a delivery allocated; docs/benchmarks.md).
 *
 * <p>It is never done. A success has nothing to report: {@link #trySuccess()} does nothing and returns
 * {@code true}, so that Netty's outbound buffer takes it as delivered and does not warn. A failure goes at once to
 * the channel's {@link WriteFailure}. So a failure is reported exactly as a failed listener would report it, write by
 * write.
 *
 * <p>Like Netty's void promise, it takes no listener and cannot be waited on: both throw
 * {@link IllegalStateException}. A handler between the front and the socket that needs a write's outcome calls
 * {@link #unvoid()}, which is Netty's idiom for a void promise. It gets a promise of its own whose failure is passed
 * on here. Unlike the void promise, {@link #isVoid()} is {@code false}: Netty's handlers skip notifying a void
 * promise (the {@code SslHandler}'s write queue does), and a failure must reach this one. The handlers there today
 * are the {@code SslHandler}, {@link TlsEventsHandler}, a reader-only {@code IdleStateHandler} and Netty's WebSocket
 * frame encoder, and none of them adds a listener to a write's promise. {@code SharedWritePromiseTest} writes shared
 * frames through the {@code SslHandler}'s queue; {@code WebSocketCloseTest} and the server's {@code TlsTest} write
 * them through the gateway's own pipelines.
 *
 * <p>A failure handler that throws is logged, as Netty's promises log a listener that throws, and the write path
 * goes on. Not thread-safe, and it need not be: every write on the short way in is made on the channel's event loop.
 */
final class SharedWritePromise implements ChannelPromise {
    private static final Logger log = LoggerFactory.getLogger(SharedWritePromise.class);
    private final Channel channel;
    private final WriteFailure onFailure;

    SharedWritePromise(Channel channel, WriteFailure onFailure) {
        this.channel = channel;
        this.onFailure = onFailure;
    }

    /** Whether failures of this promise go to {@code handler}. */
    boolean reportsTo(WriteFailure handler) {
        return onFailure == handler;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public boolean tryFailure(Throwable cause) {
        try {
            onFailure.failed(channel, cause);
        } catch (Throwable t) {
            log.warn("{} the write failure handler threw, after the write failed with {}", channel, cause, t);
        }
        return true;
    }

    @Override
    public ChannelPromise setFailure(Throwable cause) {
        tryFailure(cause);
        return this;
    }

    @Override
    public boolean trySuccess() {
        return true;
    }

    @Override
    public boolean trySuccess(Void result) {
        return true;
    }

    @Override
    public ChannelPromise setSuccess() {
        return this;
    }

    @Override
    public ChannelPromise setSuccess(Void result) {
        return this;
    }

    @Override
    public boolean setUncancellable() {
        return true;
    }

    @Override
    public ChannelPromise unvoid() {
        ChannelPromise own = channel.newPromise();
        own.addListener((WriteFailure) (ch, cause) -> tryFailure(cause));
        return own;
    }

    @Override
    public boolean isVoid() {
        return false;
    }

    @Override
    public boolean isDone() {
        return false;
    }

    @Override
    public boolean isSuccess() {
        return false;
    }

    @Override
    public boolean isCancellable() {
        return false;
    }

    @Override
    public boolean isCancelled() {
        return false;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return false;
    }

    @Override
    public Throwable cause() {
        return null;
    }

    @Override
    public Void getNow() {
        return null;
    }

    @Override
    public ChannelPromise addListener(GenericFutureListener<? extends Future<? super Void>> listener) {
        throw refused();
    }

    @Override
    @SafeVarargs
    @SuppressWarnings("varargs")
    public final ChannelPromise addListeners(GenericFutureListener<? extends Future<? super Void>>... listeners) {
        throw refused();
    }

    @Override
    public ChannelPromise removeListener(GenericFutureListener<? extends Future<? super Void>> listener) {
        return this;
    }

    @Override
    @SafeVarargs
    @SuppressWarnings("varargs")
    public final ChannelPromise removeListeners(GenericFutureListener<? extends Future<? super Void>>... listeners) {
        return this;
    }

    @Override
    public ChannelPromise sync() {
        throw refused();
    }

    @Override
    public ChannelPromise syncUninterruptibly() {
        throw refused();
    }

    @Override
    public ChannelPromise await() {
        throw refused();
    }

    @Override
    public ChannelPromise awaitUninterruptibly() {
        throw refused();
    }

    @Override
    public boolean await(long timeout, TimeUnit unit) {
        throw refused();
    }

    @Override
    public boolean await(long timeoutMillis) {
        throw refused();
    }

    @Override
    public boolean awaitUninterruptibly(long timeout, TimeUnit unit) {
        throw refused();
    }

    @Override
    public boolean awaitUninterruptibly(long timeoutMillis) {
        throw refused();
    }

    @Override
    public Void get() {
        throw refused();
    }

    @Override
    public Void get(long timeout, TimeUnit unit) {
        throw refused();
    }

    private static IllegalStateException refused() {
        return new IllegalStateException("the promise of a channel's shared writes is never done: call unvoid()"
                + " for a promise of your own (SharedWritePromise)");
    }

    @Override
    public String toString() {
        return "SharedWritePromise(" + channel + ")";
    }
}
