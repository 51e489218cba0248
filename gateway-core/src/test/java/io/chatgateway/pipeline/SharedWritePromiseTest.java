package io.chatgateway.pipeline;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.policy.SlowConsumerPolicy;
import io.chatgateway.testing.BrokenPipe;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one promise per channel that shared frames carry on their short way in: successes are silent (no warning from
 * Netty's outbound buffer), each failure is reported once, whether it happens at the socket, in a queue below the
 * front (the {@code SslHandler}'s) or in a handler that asked for a promise of its own, and nobody can wait on it.
 */
class SharedWritePromiseTest {
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final List<Throwable> failures = new ArrayList<>();
    private final List<Channel> failedOn = new ArrayList<>();
    private final WriteFailure record = (ch, cause) -> {
        failedOn.add(ch);
        failures.add(cause);
    };
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final List<SharedFrame> frames = new ArrayList<>();

    SharedWritePromiseTest() {
        logged.start();
        root.addAppender(logged);
    }

    @AfterEach
    void release() {
        root.detachAppender(logged);
        for (SharedFrame f : frames) {
            f.release();
        }
    }

    /** A TCP connection's front, below {@code below} (listed from the socket inwards). */
    private EmbeddedChannel channel(ChannelHandler... below) {
        EmbeddedChannel ch = new EmbeddedChannel(below);
        ch.pipeline().addLast(PipelineNames.FLUSH, new FlushBatchHandler(new LoopFlusher.Flushers(0),
                new FlushBatchHandler.Front(false, metrics, new SlowConsumerPolicy(1 << 20, Duration.ofSeconds(5)))));
        return ch;
    }

    private SharedFrame frame(String json) {
        SharedFrame f = SharedFrame.of(Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        frames.add(f);
        return f;
    }

    private List<ILoggingEvent> warnings() {
        return logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .collect(Collectors.toList());
    }

    private String firstWarnings() {
        List<ILoggingEvent> w = warnings();
        return w.size() + " warnings, the first: " + w.subList(0, Math.min(2, w.size()));
    }

    /** Catches the promise each write carries at the socket's side of the front. */
    private static final class PromiseCatcher extends ChannelOutboundHandlerAdapter {
        final List<ChannelPromise> promises = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            promises.add(promise);
            ctx.write(msg, promise);
        }
    }

    /** Keeps every write in the channel's outbound buffer, unflushed, as a socket that takes nothing would. */
    private static final class NoFlush extends ChannelOutboundHandlerAdapter {
        @Override
        public void flush(ChannelHandlerContext ctx) {
        }
    }

    @Test
    void everySharedWriteOfAChannelCarriesOnePromiseAndItsSuccessesAreSilent() {
        PromiseCatcher caught = new PromiseCatcher();
        EmbeddedChannel ch = channel(caught);
        int n = 1000;
        for (int i = 0; i < n; i++) {
            frame("{\"type\":\"message\",\"n\":" + i + "}").writeTo(ch, record);
        }
        ch.runPendingTasks();
        int written = 0;
        for (Object m; (m = ch.readOutbound()) != null; written++) {
            ByteBuf b = (ByteBuf) m;
            assertEquals(b.readableBytes() - 4, b.getInt(b.readerIndex()), "one length-prefixed frame");
            b.release();
        }
        assertEquals(n, written, "every frame reached the socket");
        assertEquals(n, caught.promises.size());
        ChannelPromise first = caught.promises.get(0);
        assertTrue(caught.promises.stream().allMatch(p -> p == first), "one promise for all of them");
        assertFalse(first.isDone(), "never done");
        assertFalse(first.isVoid(), "not void, so that handlers which skip a void promise still report to it");
        assertSame(ch, first.channel());
        assertTrue(failures.isEmpty(), () -> "no failure: " + failures);
        assertTrue(warnings().isEmpty(),
                () -> "Netty's outbound buffer took every success quietly: " + firstWarnings());
    }

    @Test
    void eachWriteStillQueuedWhenTheChannelClosesIsReportedOnce() {
        EmbeddedChannel ch = channel(new NoFlush());
        for (int i = 0; i < 3; i++) {
            frame("{\"n\":" + i + "}").writeTo(ch, record);
        }
        ch.runPendingTasks();
        assertTrue(failures.isEmpty(), () -> "nothing failed before the close: " + failures);
        ch.close();
        assertEquals(3, failures.size(), () -> "one report per write: " + failures);
        assertTrue(failures.stream().allMatch(c -> c instanceof ClosedChannelException), failures::toString);
        assertTrue(failedOn.stream().allMatch(c -> c == ch));
        assertTrue(warnings().isEmpty(), () -> "no warning for the failures: " + firstWarnings());
        assertTrue(frames.stream().allMatch(f -> f.refCnt() == 1), "the failed writes released their duplicates");
    }

    @Test
    void aFailureAtTheSocketIsReportedForThatWriteAlone() {
        EmbeddedChannel ch = channel(BrokenPipe.INSTANCE);
        frame("{\"n\":1}").writeTo(ch, record);
        frame("{\"n\":2}").writeTo(ch, record);
        assertEquals(2, failures.size(), () -> "each write failed: " + failures);
        assertEquals("Broken pipe", failures.get(0).getMessage());
    }

    /** The {@code SslHandler} wraps a promise that is not void in a notifier of its own and keeps writes queued. */
    @Test
    void aFailureInTheTlsQueueReachesTheFailureHandler() throws Exception {
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).build();
        EmbeddedChannel ch = channel(client.newHandler(ByteBufAllocator.DEFAULT));
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(m); // the ClientHello: no server answers it, so the handshake never ends
        }
        frame("{\"n\":1}").writeTo(ch, record);
        frame("{\"n\":2}").writeTo(ch, record);
        ch.runPendingTasks();
        assertTrue(failures.isEmpty(), () -> "queued behind the handshake, not failed: " + failures);
        ch.close();
        ch.runPendingTasks();
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(m);
        }
        assertEquals(2, failures.size(), () -> "both queued writes reported: " + failures);
        assertTrue(failedOn.stream().allMatch(c -> c == ch));
        assertTrue(frames.stream().allMatch(f -> f.refCnt() == 1), "the TLS queue released their duplicates");
    }

    /** A handler below the front that needs the outcome does what it would do for a void promise: unvoid() it. */
    @Test
    void aHandlerThatNeedsTheOutcomeUnvoidsThePromiseAndItsFailureIsPassedOn() {
        List<ChannelPromise> own = new ArrayList<>();
        List<Throwable> seenByTheHandler = new ArrayList<>();
        ChannelOutboundHandlerAdapter watcher = new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                assertThrows(IllegalStateException.class, () -> promise.addListener(f -> { }),
                        "no listener on the shared promise");
                assertThrows(IllegalStateException.class, promise::syncUninterruptibly, "no waiting on it");
                ChannelPromise mine = promise.unvoid();
                assertNotSame(promise, mine);
                own.add(mine);
                ctx.write(msg, mine).addListener(f -> seenByTheHandler.add(f.cause()));
            }
        };
        EmbeddedChannel ch = channel(BrokenPipe.INSTANCE, watcher);
        frame("{\"n\":1}").writeTo(ch, record);
        assertEquals(1, own.size());
        assertEquals(1, seenByTheHandler.size(), "the handler saw its own promise fail");
        assertEquals(1, failures.size(), () -> "and the failure was passed on once: " + failures);
        assertSame(seenByTheHandler.get(0), failures.get(0));
    }

    /** A failure handler that throws is logged, and the channel's other queued writes are still reported. */
    @Test
    void aFailureHandlerThatThrowsIsLoggedAndTheOtherFailuresStillReported() {
        EmbeddedChannel ch = channel(new NoFlush());
        List<Throwable> seen = new ArrayList<>();
        WriteFailure throwing = (c, cause) -> {
            seen.add(cause);
            throw new IllegalStateException("handler bug");
        };
        frame("{\"n\":1}").writeTo(ch, throwing);
        frame("{\"n\":2}").writeTo(ch, throwing);
        ch.runPendingTasks();
        ch.close();
        assertEquals(2, seen.size(), () -> "both writes reported: " + seen);
        assertTrue(warnings().stream().anyMatch(e -> e.getThrowableProxy() != null
                && "handler bug".equals(e.getThrowableProxy().getMessage())), this::firstWarnings);
        assertFalse(ch.isOpen());
    }

    /** A second, different failure handler on the same channel gets a promise of the write's own. */
    @Test
    void aDifferentFailureHandlerGetsAPromiseOfItsOwn() {
        PromiseCatcher caught = new PromiseCatcher();
        EmbeddedChannel ch = channel(caught);
        List<Throwable> other = new ArrayList<>();
        frame("{\"n\":1}").writeTo(ch, record);
        frame("{\"n\":2}").writeTo(ch, (c, cause) -> other.add(cause));
        ch.runPendingTasks();
        assertEquals(2, caught.promises.size());
        assertTrue(caught.promises.get(0) instanceof SharedWritePromise);
        assertFalse(caught.promises.get(1) instanceof SharedWritePromise, "its own promise");
        assertTrue(caught.promises.get(1).isSuccess(), "which completes as any other");
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(m);
        }
        assertTrue(failures.isEmpty() && other.isEmpty());
    }
}
