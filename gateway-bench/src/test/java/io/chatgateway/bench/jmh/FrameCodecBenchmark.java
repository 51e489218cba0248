package io.chatgateway.bench.jmh;

import io.chatgateway.protocol.ClientFrame;
import io.chatgateway.protocol.FrameParser;
import io.chatgateway.protocol.RawJson;
import io.chatgateway.protocol.ServerFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Decode and encode of the frames on the message hot path: a client {@code send} parsed by {@link FrameParser},
 * and the {@code message} and {@code ack} the gateway writes for it with {@link ServerFrames}.
 *
 * <p>Run: {@code mvn -B -Pjmh -pl gateway-bench -am -DskipTests verify -Djmh.args="FrameCodec"}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms1g", "-Xmx1g"})
public class FrameCodecBenchmark {
    private final FrameParser parser = new FrameParser(65_536, FrameParser.DEFAULT_MAX_DEPTH);
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private byte[] send;
    private byte[] publishWithPadding;
    private RawJson body;

    @Setup
    public void setup() {
        send = ("{\"type\":\"send\",\"id\":17,\"to\":\"bench-u-4711\","
                + "\"body\":{\"s\":4710,\"q\":123456,\"t\":987654321012345}}").getBytes(StandardCharsets.UTF_8);
        publishWithPadding = ("{\"type\":\"publish\",\"room\":\"bench-room-3\",\"body\":{\"s\":3000,\"q\":99,\"t\":1,"
                + "\"p\":\"" + "x".repeat(512) + "\"}}").getBytes(StandardCharsets.UTF_8);
        body = RawJson.trusted("{\"s\":4710,\"q\":123456,\"t\":987654321012345}");
    }

    @Benchmark
    public ClientFrame parseSend() {
        return parser.parse(send);
    }

    @Benchmark
    public ClientFrame parsePublish512() {
        return parser.parse(publishWithPadding);
    }

    @Benchmark
    public int encodeMessage() {
        ByteBuf b = ServerFrames.message(alloc, "k3x9qa-2bc1", "bench-u-4710", "bench-u-4711", null, body,
                1_700_000_000_000L);
        int n = b.readableBytes();
        b.release();
        return n;
    }

    @Benchmark
    public int encodeAck() {
        ByteBuf b = ServerFrames.ack(alloc, RawJson.trusted("17"), 1, "k3x9qa-2bc1");
        int n = b.readableBytes();
        b.release();
        return n;
    }
}
