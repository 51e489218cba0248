package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a connection refused at the front door costs the gateway: connections from one source address, far past
 * its per-address limit, as fast as {@code --connections} in flight allow. Each one sends what a real client sends
 * first (the WebSocket handshake, or an {@code auth} frame) and waits for the gateway's answer: a refusal (HTTP 503
 * or a {@code server_busy} frame, then the close) or, for the few the limit lets through, anything else, after
 * which the bench closes it. With {@code --server-pid} the gateway's CPU time over the measured window, divided by
 * the refusals in it, is the cost of one refusal.
 */
final class RefusalsScenario extends Scenario {
    /** The gateway's event-loop threads, as /proc names them ({@code gateway-io-3-1}). */
    static final String EVENT_LOOPS = "gateway-io";
    private static final byte[] AUTH = "{\"type\":\"auth\",\"token\":\"refusals\"}".getBytes(StandardCharsets.UTF_8);

    @Override
    String name() {
        return "refusals";
    }

    @Override
    String description() {
        return "connections from one address past its limit: refusals/s and gateway CPU per refused connection";
    }

    @Override
    String about() {
        return "Opens connections from one source address (--from) as fast as --connections in flight allow, for\n"
                + "--warmup then --duration, against a gateway whose per-address limit refuses nearly all of them\n"
                + "(start it with e.g. GATEWAY_CONNECT_RATE_PER_IP=1, or GATEWAY_MAX_CONNECTIONS_PER_IP=1 with\n"
                + "--hold 1). Each connection sends what a real client sends first (the WebSocket upgrade, or an auth\n"
                + "frame) and reads the answer: a refusal (HTTP 503, or a server_busy frame) and the close, or\n"
                + "anything else (admitted), after which the bench closes it. Reports refusals per second and, with\n"
                + "--server-pid, the gateway's CPU time per refused connection over the measured window, for the\n"
                + "whole process and for its event-loop threads alone (the few admitted connections are in both, so\n"
                + "they are upper bounds; the kernel's share of a loopback connection is partly billed to the bench).\n"
                + "--hold N keeps N admitted\n"
                + "connections open, to fill max-connections-per-ip before the flood.";
    }

    @Override
    List<Options.Spec> specs() {
        List<Options.Spec> l = common("64", "0", "10s", "0");
        l.removeIf(s -> s.name().equals("warmup"));
        l.add(new Options.Spec("warmup", "10s", "refusals before measuring, so that the gateway's JIT has compiled"
                + " the accept path (its compiler threads would otherwise be counted)"));
        l.add(new Options.Spec("from", "127.0.0.1", "the one source address every connection comes from"));
        l.add(new Options.Spec("hold", "0", "admitted connections to keep open (e.g. to reach max-connections-per-ip)"));
        return l;
    }

    @Override
    int connections(Options o) throws Options.UsageException {
        return o.intValue("connections", 1, 20_000);
    }

    @Override
    void validate(Options o, Settings s) throws Options.UsageException {
        if (s.targets().size() != 1) {
            throw new Options.UsageException("refusals measures one gateway: give one --target");
        }
        try {
            InetAddress.getByName(o.string("from"));
        } catch (java.net.UnknownHostException e) {
            throw new Options.UsageException("--from: " + o.get("from") + " (expected: an address)");
        }
    }

    /** One worker's counts. */
    private static final class Counts {
        final LongAdder attempts = new LongAdder();
        final LongAdder refused = new LongAdder();
        final LongAdder admitted = new LongAdder();
        final LongAdder closedSilently = new LongAdder();
        final LongAdder failed = new LongAdder();
        volatile boolean measuring;

        void count(LongAdder a) {
            if (measuring) {
                a.increment();
            }
        }
    }

    @Override
    void work(Worker w, Options o) throws Exception {
        Target target = w.settings.target();
        InetSocketAddress remote = new InetSocketAddress(target.host(), target.port());
        InetSocketAddress local = new InetSocketAddress(InetAddress.getByName(o.string("from")), 0);
        int inFlight = Math.max(1, connections(o) / w.count + (w.index < connections(o) % w.count ? 1 : 0));
        byte[] first = target.isWebSocket()
                ? ("GET " + target.uri().getRawPath() + " HTTP/1.1\r\nHost: " + target.host() + ":" + target.port()
                        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.US_ASCII)
                : java.nio.ByteBuffer.allocate(4 + AUTH.length).putInt(AUTH.length).put(AUTH).array();
        AtomicInteger held = new AtomicInteger(w.index == 0 ? o.intValue("hold", 0, 100_000) : 0);
        Counts counts = new Counts();
        w.barrier("ready", null);
        long start = System.nanoTime();
        long measureFrom = start + w.settings.warmup().toNanos();
        long end = measureFrom + w.settings.duration().toNanos();
        CountDownLatch done = new CountDownLatch(inFlight);
        for (int i = 0; i < inFlight; i++) {
            attempt(w, remote, local, first, counts, held, end, done);
        }
        while (System.nanoTime() < measureFrom) {
            Thread.sleep(Math.max(1, (measureFrom - System.nanoTime()) / 1_000_000));
        }
        counts.measuring = true;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        }
        counts.measuring = false;
        done.await(w.settings.connectTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        ObjectNode r = object();
        r.put("attempts", counts.attempts.sum());
        r.put("refused", counts.refused.sum());
        r.put("admitted", counts.admitted.sum());
        r.put("closed_without_answer", counts.closedSilently.sum());
        r.put("failed", counts.failed.sum());
        r.put("cpu_nanos", Limits.cpuNanos(ProcessHandle.current().pid()));
        w.barrier("final", r);
    }

    /** One connection, and when it ends the next one, until {@code end}. */
    private static void attempt(Worker w, InetSocketAddress remote, InetSocketAddress local, byte[] first,
                                Counts counts, AtomicInteger held, long end, CountDownLatch done) {
        if (System.nanoTime() >= end) {
            done.countDown();
            return;
        }
        counts.count(counts.attempts);
        ChannelFuture f = w.factory().bare()
                .option(ChannelOption.SO_LINGER, 0) // the bench closes admitted ones with a reset: no TIME_WAIT here
                .handler(new Answer(first, counts, held))
                .connect(remote, local);
        f.addListener(c -> {
            if (!c.isSuccess()) {
                counts.count(counts.failed);
                // A full accept queue or no ports left: back off a little rather than spin.
                f.channel().eventLoop().schedule(() -> attempt(w, remote, local, first, counts, held, end, done),
                        10, TimeUnit.MILLISECONDS);
                return;
            }
            f.channel().closeFuture().addListener(x -> attempt(w, remote, local, first, counts, held, end, done));
        });
    }

    /** Reads the gateway's first answer and classifies it. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final byte[] first;
        private final Counts counts;
        private final AtomicInteger held;
        private final ByteBuf seen = Unpooled.buffer(64);
        private boolean decided;

        Answer(byte[] first, Counts counts, AtomicInteger held) {
            this.first = first;
            this.counts = counts;
            this.held = held;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(first));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!decided && msg instanceof ByteBuf) {
                    ByteBuf b = (ByteBuf) msg;
                    seen.writeBytes(b, b.readerIndex(), Math.min(b.readableBytes(), seen.writableBytes()));
                    decide(ctx.channel());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void decide(Channel ch) {
            String s = seen.toString(StandardCharsets.ISO_8859_1);
            if (s.startsWith("HTTP/1.1 503") || s.contains("\"server_busy\"")) {
                decided = true;
                counts.count(counts.refused);
            } else if (s.startsWith("HTTP/1.1 101") || s.contains("\"type\"") || s.startsWith("HTTP/")
                    || seen.readableBytes() >= 64) {
                decided = true;
                counts.count(counts.admitted);
                if (held.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
                    ch.close();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!decided) {
                counts.count(counts.closedSilently);
            }
            seen.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    void coordinate(Run run, Result r) throws Exception {
        long pid = run.settings.serverPid();
        run.timeline.phase("warmup");
        run.cluster.meet("ready", PHASE_TIMEOUT, null);
        Thread.sleep(run.settings.warmup().toMillis());
        run.timeline.phase("measure");
        long cpuStart = pid > 0 ? Limits.cpuNanos(pid) : -1;
        long loopsStart = pid > 0 ? Limits.threadCpuNanos(pid, EVENT_LOOPS) : -1;
        long t0 = System.nanoTime();
        Thread.sleep(run.settings.duration().toMillis());
        long gatewayCpu = pid > 0 && cpuStart >= 0 ? Limits.cpuNanos(pid) - cpuStart : -1;
        long loopsCpu = pid > 0 && loopsStart >= 0 ? Limits.threadCpuNanos(pid, EVENT_LOOPS) - loopsStart : -1;
        double seconds = (System.nanoTime() - t0) / 1e9;
        run.timeline.phase("drain");
        List<JsonNode> finals = run.cluster.meet("final", PHASE_TIMEOUT, null);
        long attempts = sum(finals, "attempts");
        long refused = sum(finals, "refused");
        long admitted = sum(finals, "admitted");
        long silent = sum(finals, "closed_without_answer");
        long failed = sum(finals, "failed");

        r.metrics.put("attempts", attempts);
        r.metrics.put("refused", refused);
        r.metrics.put("admitted", admitted);
        r.metrics.put("closed_without_answer", silent);
        r.metrics.put("connect_failures", failed);
        r.metrics.put("refused_per_second", Math.round(refused / seconds));
        r.row("connections from " + run.options.get("from"), String.format(Locale.ROOT,
                "%,d in %.1f s: %,d refused, %,d admitted, %,d closed without an answer, %,d failed to connect",
                attempts, seconds, refused, admitted, silent, failed));
        r.row("refusals", String.format(Locale.ROOT, "%,.0f /s", refused / seconds));
        if (gatewayCpu >= 0 && refused > 0) {
            double us = gatewayCpu / 1000.0 / refused;
            int cores = Runtime.getRuntime().availableProcessors();
            r.metrics.put("gateway_cpu_us_per_refusal", Math.round(us * 100) / 100.0);
            r.metrics.put("gateway_cpu_cores_used", Math.round(gatewayCpu / 1e9 / seconds * 100) / 100.0);
            r.row("gateway CPU", String.format(Locale.ROOT, "%.1f us per refused connection (%.2f cores busy);"
                    + " %d dedicated cores would refuse ~%,.0f connections/s", us, gatewayCpu / 1e9 / seconds,
                    cores, cores * 1e6 / us));
            if (loopsCpu >= 0) {
                double loopUs = loopsCpu / 1000.0 / refused;
                r.metrics.put("gateway_event_loop_cpu_us_per_refusal", Math.round(loopUs * 100) / 100.0);
                r.row("gateway event loops", String.format(Locale.ROOT, "%.1f us per refused connection (threads %s*:"
                        + " without the JIT, GC and other background threads)", loopUs, EVENT_LOOPS));
            }
        } else if (pid <= 0) {
            r.notes.add("no --server-pid: the gateway's CPU per refusal was not measured");
        }
        r.check("connections refused", refused > 0, String.format(Locale.ROOT, "%,d", refused));
        boolean mostlyRefused = refused >= 0.9 * Math.max(1, refused + admitted);
        r.check("refused share of answered connections", mostlyRefused,
                String.format(Locale.ROOT, "%.1f%%", 100.0 * refused / Math.max(1, refused + admitted))
                        + (mostlyRefused ? "" : " (below 90%: the gateway's limit lets too many through to measure"
                        + " refusals; lower GATEWAY_CONNECT_RATE_PER_IP)"));
        r.check("closed without an answer (refusals must say server_busy)", silent);
    }
}
