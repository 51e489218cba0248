package io.chatgateway.bench.jmh;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.pipeline.NotFoundHttpHandler;
import io.chatgateway.policy.Grant;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The whole inbound-to-outbound path of the engine, in process, through real pipelines on {@link EmbeddedChannel}s
 * (TCP framing, metering, slow-consumer bound, JSON parse, protocol handler, router, delivery, TCP encoder): one
 * {@code publish} fanned out to a room of {@code members} connections, and one direct {@code send}. A sink at the
 * socket end of every pipeline releases what is written, so the cost measured is the gateway's own, per message;
 * divide by {@code members - 1} for the cost per delivery. No sockets and a single thread: this is the CPU cost of
 * the engine, not of the kernel or of crossing event loops (the room scenario measures those).
 *
 * <p>Run: {@code mvn -B -Pjmh -pl gateway-bench -am -DskipTests verify -Djmh.args="FanOut"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms1g", "-Xmx1g"})
public class FanOutBenchmark {
    @Param({"100", "1000"})
    public int members;

    /** Transport of the members (the publisher and the sender are TCP connections either way). */
    @Param({"tcp", "ws"})
    public String transport;

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private EmbeddedChannel publisher;
    private EmbeddedChannel sender;
    private EmbeddedChannel recipient;
    private ByteBuf publish;
    private ByteBuf send;

    @Setup(Level.Trial)
    public void setup() {
        Gateway gateway = Gateway.builder(GatewayConfig.builder().rateLimit(0, 1).build())
                .authenticator(new DevelopmentAuthenticator())
                .build();
        for (int i = 0; i < members; i++) {
            // Each its own id: channel groups and the registry key channels by id (EmbeddedChannel shares one).
            EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance());
            ch.pipeline().addFirst("sink", Sink.INSTANCE);
            if (i < 2 || transport.equals("tcp")) {
                ch.pipeline().addLast(gateway.tcpInitializer());
                ch.pipeline().fireChannelActive();
                ch.writeInbound(frame("{\"type\":\"auth\",\"token\":\"u" + i + "\"}"));
                ch.writeInbound(frame("{\"type\":\"join\",\"room\":\"r\"}"));
            } else {
                // A WebSocket member: upgrade with the token in the URL, then join through the router (a client
                // frame would have to be masked; the join itself is not what is measured).
                ch.pipeline().addLast(gateway.webSocketInitializer(NotFoundHttpHandler.INSTANCE));
                ch.pipeline().fireChannelActive();
                ch.writeInbound(Unpooled.copiedBuffer("GET /ws?token=u" + i + " HTTP/1.1\r\nHost: bench\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", StandardCharsets.US_ASCII));
                Connection c = Connection.of(ch);
                if (c == null || !c.isAuthenticated()) {
                    throw new IllegalStateException("WebSocket member " + i + " did not authenticate");
                }
                gateway.router().join(c, "r", Grant.OPEN, null);
            }
            channels.add(ch);
        }
        publisher = channels.get(0);
        sender = channels.get(1);
        recipient = channels.get(2);
        publish = Unpooled.unreleasableBuffer(frame("{\"type\":\"publish\",\"room\":\"r\","
                + "\"body\":{\"s\":0,\"q\":1,\"t\":123456789}}").asReadOnly());
        send = Unpooled.unreleasableBuffer(frame("{\"type\":\"send\",\"to\":\"u2\","
                + "\"body\":{\"s\":1,\"q\":1,\"t\":123456789}}").asReadOnly());
        // A benchmark that measures a rejected frame measures nothing: check the writes once.
        Sink.INSTANCE.capture = true;
        long before = Sink.INSTANCE.writes;
        publishToRoom();
        if (Sink.INSTANCE.writes - before != members) {
            throw new IllegalStateException("a publish made " + (Sink.INSTANCE.writes - before)
                    + " writes, expected " + members + " (members - 1 deliveries and the ack); last: " + Sink.INSTANCE.last);
        }
        before = Sink.INSTANCE.writes;
        sendDirect();
        if (Sink.INSTANCE.writes - before != 2) {
            throw new IllegalStateException("a send made " + (Sink.INSTANCE.writes - before) + " writes, expected 2");
        }
        Sink.INSTANCE.capture = false;
    }

    /** Runs what the handlers scheduled (flush-consolidation tasks), so no queue grows across iterations. */
    @Setup(Level.Iteration)
    public void runPendingTasks() {
        for (EmbeddedChannel ch : channels) {
            ch.runPendingTasks();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    /**
     * One publish to the room: members - 1 deliveries, each flushed as its event loop would flush it next (the
     * flush-consolidation task each delivery schedules). Without running those tasks every member's writes piled up
     * unflushed for a whole iteration, which measured a growing backlog instead of a delivery.
     */
    @Benchmark
    public void publishToRoom() {
        publisher.writeInbound(publish.duplicate());
        for (int i = 1; i < channels.size(); i++) {
            channels.get(i).runPendingTasks();
        }
    }

    /** One direct message: one delivery (flushed, as above) and one ack. */
    @Benchmark
    public void sendDirect() {
        sender.writeInbound(send.duplicate());
        recipient.runPendingTasks();
    }

    private static ByteBuf frame(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer(4 + b.length).writeInt(b.length).writeBytes(b);
    }

    /**
     * Stands in for the socket: releases what reaches it and reports the write done. It decodes the last write only
     * while the setup checks the writes ({@code capture}): decoding every write cost more than the engine's own work
     * per delivery and dominated the allocation figures.
     */
    @io.netty.channel.ChannelHandler.Sharable
    static final class Sink extends ChannelOutboundHandlerAdapter {
        static final Sink INSTANCE = new Sink();
        long writes;
        boolean capture;
        String last;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            writes++;
            if (capture && msg instanceof ByteBuf) {
                last = ((ByteBuf) msg).toString(StandardCharsets.UTF_8);
            }
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }
    }
}
