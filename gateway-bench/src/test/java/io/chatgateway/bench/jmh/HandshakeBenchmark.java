package io.chatgateway.bench.jmh;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.pipeline.NotFoundHttpHandler;
import io.chatgateway.policy.Grant;
import io.chatgateway.session.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One connection's life in the engine, through the real initializers on an {@link EmbeddedChannel}: accept (front
 * door, pipeline built), WebSocket upgrade with the token in the URL or a TCP {@code auth} frame, registration,
 * {@code welcome}, a {@code join} of a room that already has {@code members} members (0: no join), and the close
 * that undoes it all. The socket end is {@link FanOutBenchmark.Sink}. No kernel and no bench: the engine's CPU and
 * (with {@code -prof gc}) allocation per connection, which the connections scenario measures with everything else.
 *
 * <p>Run: {@code mvn -B -Pjmh -pl gateway-bench -am -DskipTests verify -Djmh.args="Handshake -prof gc"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms1g", "-Xmx1g"})
public class HandshakeBenchmark {
    @Param({"ws", "tcp"})
    public String transport;

    /** Members already in the room the new connection joins; 0 = it joins nothing. */
    @Param({"0", "3000"})
    public int members;

    private final List<EmbeddedChannel> residents = new ArrayList<>();
    private Gateway gateway;
    private long n;

    @Setup
    public void setup() {
        gateway = Gateway.builder(GatewayConfig.builder().rateLimit(0, 1).build())
                .authenticator(new DevelopmentAuthenticator())
                .build();
        for (int i = 0; i < members; i++) {
            EmbeddedChannel ch = tcp("resident" + i);
            residents.add(ch);
            gateway.router().join(Connection.of(ch), "r", Grant.OPEN, null);
            if (i <= GatewayConfig.DEFAULT_ROOM_EVENTS_MAX_MEMBERS) {
                // The join's announcements are tasks on every member's loop (each EmbeddedChannel has its own):
                // run them now, or they pile up and run nested in one another later.
                for (EmbeddedChannel member : residents) {
                    member.runPendingTasks();
                }
            }
        }
        EmbeddedChannel probe = connection();
        if (Connection.of(probe) == null || !Connection.of(probe).isAuthenticated()
                || (members > 0 && !Connection.of(probe).inRoom("r"))) {
            throw new IllegalStateException("the measured connection did not authenticate and join");
        }
        probe.finishAndReleaseAll();
    }

    @TearDown
    public void tearDown() {
        for (EmbeddedChannel ch : residents) {
            ch.finishAndReleaseAll();
        }
    }

    private EmbeddedChannel tcp(String user) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance());
        ch.pipeline().addFirst("sink", FanOutBenchmark.Sink.INSTANCE);
        ch.pipeline().addLast(gateway.tcpInitializer());
        ch.pipeline().fireChannelActive();
        ch.writeInbound(frame("{\"type\":\"auth\",\"token\":\"" + user + "\"}"));
        return ch;
    }

    private EmbeddedChannel connection() {
        String user = "u" + (n++);
        EmbeddedChannel ch;
        if (transport.equals("tcp")) {
            ch = tcp(user);
            if (members > 0) {
                ch.writeInbound(frame("{\"type\":\"join\",\"room\":\"r\"}"));
            }
        } else {
            ch = new EmbeddedChannel(DefaultChannelId.newInstance());
            ch.pipeline().addFirst("sink", FanOutBenchmark.Sink.INSTANCE);
            ch.pipeline().addLast(gateway.webSocketInitializer(NotFoundHttpHandler.INSTANCE));
            ch.pipeline().fireChannelActive();
            ch.writeInbound(Unpooled.copiedBuffer("GET /ws?token=" + user + " HTTP/1.1\r\nHost: bench\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", StandardCharsets.US_ASCII));
            if (members > 0) {
                // A client frame would have to be masked; the router's join is what the frame would run.
                gateway.router().join(Connection.of(ch), "r", Grant.OPEN, null);
            }
        }
        ch.runPendingTasks();
        return ch;
    }

    /** Connect, authenticate, (join,) close. */
    @Benchmark
    public void connectAuthJoinClose() {
        connection().finishAndReleaseAll();
    }

    private static ByteBuf frame(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer(4 + b.length).writeInt(b.length).writeBytes(b);
    }
}
