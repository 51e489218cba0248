package io.chatgateway.pipeline;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flush path: one flush per channel for the writes of an event-loop iteration and the next, the write delay's
 * bound, and closes.
 */
class FlushBatchHandlerTest {
    /**
     * EmbeddedChannel runs its pending tasks after every write, so a test of what waits uses a write delay: the
     * scheduled drain stays put until the test moves the frozen clock.
     */
    private static final LoopFlusher.Flushers DELAYED = new LoopFlusher.Flushers(TimeUnit.MILLISECONDS.toNanos(50));
    /** Sits at the socket's side of the batching handler: what actually reaches the transport. */
    private static final class Recorder extends ChannelOutboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        int flushes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            events.add("write");
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            events.add("flush");
            ctx.flush();
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            events.add("close");
            ctx.close(promise);
        }
    }

    private static ByteBuf frame(int bytes) {
        return Unpooled.buffer(bytes).writeZero(bytes);
    }

    private static int drainOutbound(EmbeddedChannel ch) {
        int n = 0;
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(m);
            n++;
        }
        return n;
    }

    @Test
    void writeDelayFlushesNoLaterThanTheDelayAfterTheFirstWrite() {
        Recorder rec = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(rec,
                new FlushBatchHandler(new LoopFlusher.Flushers(TimeUnit.MILLISECONDS.toNanos(5))));
        ch.freezeTime();
        ch.pipeline().writeAndFlush(frame(10));
        ch.runPendingTasks();
        assertEquals(0, rec.flushes, "the end of the iteration does not flush under a write delay");
        ch.advanceTimeBy(3, TimeUnit.MILLISECONDS);
        ch.pipeline().writeAndFlush(frame(10));
        ch.runPendingTasks();
        assertEquals(0, rec.flushes);
        ch.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
        assertEquals(1, rec.flushes, "5 ms after the first write both leave in one flush");
        assertEquals(2, drainOutbound(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void aWriteWithoutAFlushIsFlushedByTheDrain() {
        Recorder rec = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(rec, new FlushBatchHandler(DELAYED));
        ch.freezeTime();
        ch.pipeline().write(frame(10));
        ch.pipeline().write(frame(10));
        ch.pipeline().flush();
        ch.pipeline().write(frame(10));
        assertEquals(0, rec.flushes, "neither a write nor a flush goes out before the drain");
        ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
        assertEquals(List.of("write", "write", "write", "flush"), rec.events,
                "the drain flushes once, the write after the flush included");
        assertEquals(3, drainOutbound(ch));
        ch.pipeline().write(frame(10));
        ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
        assertEquals(2, rec.flushes, "a write alone, with no flush after it, is flushed by the next drain");
        assertEquals(1, drainOutbound(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void closeFlushesWhatWaitsBeforeClosing() {
        Recorder rec = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(rec, new FlushBatchHandler(DELAYED));
        ch.freezeTime();
        ch.pipeline().writeAndFlush(frame(10));
        ch.pipeline().writeAndFlush(frame(10));
        assertEquals(List.of("write", "write"), rec.events);
        ch.pipeline().close();
        assertEquals(List.of("write", "write", "flush", "close"), rec.events, "the frames go out, then the close");
        assertEquals(2, drainOutbound(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void unwritableChannelIsFlushedAtOnce() {
        Recorder rec = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(rec, new FlushBatchHandler(DELAYED));
        ch.freezeTime();
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        ch.pipeline().writeAndFlush(frame(10));
        assertEquals(0, rec.flushes);
        ch.pipeline().writeAndFlush(frame(4000));
        assertEquals(1, rec.flushes, "past the high water mark the socket is given what waits before anything else");
        assertTrue(ch.isWritable());
        assertEquals(2, drainOutbound(ch));
        ch.runPendingTasks(); // not yet 50 ms
        assertEquals(1, rec.flushes, "nothing was left for the end of the iteration");
        ch.finishAndReleaseAll();
    }

    @Test
    void manyFlushesInOneIterationAreWrittenInBoundedBatches() {
        Recorder rec = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(rec, new FlushBatchHandler(DELAYED));
        ch.freezeTime();
        for (int i = 0; i < FlushBatchHandler.EXPLICIT_FLUSH_AFTER * 2 + 1; i++) {
            ch.pipeline().writeAndFlush(frame(1));
        }
        assertEquals(2, rec.flushes, "every 256 writes are flushed at once");
        ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        ch.runPendingTasks();
        assertEquals(3, rec.flushes, "the last one waits for the drain");
        assertEquals(FlushBatchHandler.EXPLICIT_FLUSH_AFTER * 2 + 1, drainOutbound(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void removingTheHandlerFlushesWhatWaits() {
        Recorder rec = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(rec, new FlushBatchHandler(DELAYED));
        ch.freezeTime();
        ch.pipeline().writeAndFlush(frame(1));
        ch.pipeline().remove(FlushBatchHandler.class);
        assertEquals(1, rec.flushes);
        ch.runPendingTasks(); // not yet 50 ms
        assertEquals(1, rec.flushes);
        assertEquals(1, drainOutbound(ch));
        ch.finishAndReleaseAll();
    }

    /**
     * Two channels with a {@link Recorder} under a {@link FlushBatchHandler} on one real I/O event loop (the local
     * transport's), connected to a server that counts the bytes it receives.
     */
    private static final class RealLoop implements AutoCloseable {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        final AtomicInteger received = new AtomicInteger();
        final LoopFlusher.Flushers flushers = new LoopFlusher.Flushers(0);
        final Recorder[] recs = {new Recorder(), new Recorder()};
        final Channel[] clients = new Channel[2];
        final Channel server;
        final EventLoop loop;

        RealLoop() throws InterruptedException {
            LocalAddress address = new LocalAddress("flush-batch-" + System.nanoTime());
            server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                    .childHandler(new ChannelInitializer<LocalChannel>() {
                        @Override
                        protected void initChannel(LocalChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    received.addAndGet(((ByteBuf) msg).readableBytes());
                                    ReferenceCountUtil.release(msg);
                                }
                            });
                        }
                    }).bind(address).sync().channel();
            for (int i = 0; i < 2; i++) {
                Recorder rec = recs[i];
                clients[i] = new Bootstrap().group(group).channel(LocalChannel.class)
                        .handler(new ChannelInitializer<LocalChannel>() {
                            @Override
                            protected void initChannel(LocalChannel ch) {
                                ch.pipeline().addLast(rec, new FlushBatchHandler(flushers));
                            }
                        }).connect(address).sync().channel();
            }
            loop = clients[0].eventLoop();
            assertSame(loop, clients[1].eventLoop());
        }

        /** Waits (bounded) until the server has {@code bytes}, then reads each client's flushes on the loop. */
        int[] flushesOnceReceived(int bytes) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (received.get() < bytes && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(bytes, received.get(), "every frame arrives");
            int[] after = new int[3];
            loop.submit(() -> {
                after[0] = recs[0].flushes;
                after[1] = recs[1].flushes;
                after[2] = flushers.of(loop).pendingCount();
            }).sync();
            return after;
        }

        @Override
        public void close() throws InterruptedException {
            for (Channel c : clients) {
                c.close().sync();
            }
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * On a real I/O event loop: several writes to each of two channels from one task leave in one flush per channel,
     * from one drain, and every frame arrives.
     */
    @Test
    @Timeout(10)
    void oneDrainPerIterationOnARealEventLoop() throws Exception {
        try (RealLoop r = new RealLoop()) {
            LoopFlusher flusher = r.flushers.of(r.loop);
            assertSame(flusher, r.flushers.of(r.loop), "one flusher per loop");
            int[] waitingAfterWrites = new int[2];
            r.loop.submit(() -> {
                for (int k = 0; k < 4; k++) {
                    r.clients[0].writeAndFlush(frame(8));
                }
                for (int k = 0; k < 3; k++) {
                    r.clients[1].writeAndFlush(frame(8));
                }
                waitingAfterWrites[0] = flusher.pendingCount();
                waitingAfterWrites[1] = r.recs[0].flushes + r.recs[1].flushes;
            }).sync();
            int[] after = r.flushesOnceReceived(7 * 8);
            assertEquals(2, waitingAfterWrites[0], "each channel is on the list once");
            assertEquals(0, waitingAfterWrites[1], "nothing is flushed before the iteration ends");
            assertEquals(1, after[0]);
            assertEquals(1, after[1]);
            assertEquals(0, after[2]);
        }
    }

    /**
     * On a real I/O event loop: what an iteration leaves for the next one (here a task queued at its very end, as
     * the reads of the next poll and the fan-out tasks they queue are) leaves with the writes of this one, in one
     * flush per channel, and is not held past the next iteration: a third write, queued from the next iteration's
     * end, gets a flush of its own.
     */
    @Test
    @Timeout(10)
    void writesOfTheNextIterationJoinThoseOfThisOne() throws Exception {
        try (RealLoop r = new RealLoop()) {
            SingleThreadEventLoop loop = (SingleThreadEventLoop) r.loop;
            loop.submit(() -> {
                r.clients[0].write(frame(8));
                loop.executeAfterEventLoopIteration(() -> loop.execute(() -> {
                    r.clients[0].write(frame(8));
                    r.clients[1].write(frame(8));
                    loop.executeAfterEventLoopIteration(() -> loop.execute(() -> r.clients[0].write(frame(8))));
                }));
            }).sync();
            int[] after = r.flushesOnceReceived(4 * 8);
            assertEquals(2, after[0], "the first two writes of channel 0 in one flush, its third in another");
            assertEquals(1, after[1]);
            assertEquals(0, after[2]);
        }
    }
}
