package io.chatgateway.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What lets the bench measure other servers: sio:// targets, the socket.io framing, the non-intrusive memory
 * snapshot's scrape parsing, and compare.sh's table.
 */
class PeersProtocolTest {

    @Test
    void anSioTargetIsAWebSocketToTheEngineIoEndpoint() throws Exception {
        Target t = Target.parse("sio://127.0.0.1:18091", null);
        assertTrue(t.isSocketIo());
        assertTrue(t.isWebSocket());
        assertEquals("ws://127.0.0.1:18091/socket.io/?EIO=4&transport=websocket", t.uri().toString());
        assertFalse(Target.parse("ws://127.0.0.1:1/ws", null).isSocketIo());
        assertThrows(Options.UsageException.class, () -> Target.parse("sio://127.0.0.1:1", "tcp"));
        assertNull(CapacityScenario.metricsUrl("auto", t), "a socket.io server has no /metrics");
        assertEquals("http://127.0.0.1:1/metrics",
                CapacityScenario.metricsUrl("auto", Target.parse("ws://127.0.0.1:1/ws", null)).toString());
        assertNull(CapacityScenario.metricsUrl("none", Target.parse("ws://127.0.0.1:1/ws", null)));
    }

    /** Collects what passes the framing towards the client. */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        final List<Object> reads = new ArrayList<>();
        final List<Object> events = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                reads.add(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                ((ByteBuf) msg).release();
            } else {
                reads.add(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static String written(EmbeddedChannel ch) {
        ByteBuf b = ch.readOutbound();
        try {
            return b == null ? null : b.toString(StandardCharsets.UTF_8);
        } finally {
            if (b != null) {
                b.release();
            }
        }
    }

    @Test
    void socketIoFramingConnectsAnswersPingsAndCarriesFramesAsMEvents() {
        Sink sink = new Sink();
        EmbeddedChannel ch = new EmbeddedChannel(new SocketIoFraming(), sink);
        ch.pipeline().fireUserEventTriggered(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE);
        assertTrue(sink.events.isEmpty(), "the WebSocket handshake alone is not a connected socket.io socket");

        ch.writeInbound(text("0{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000}"));
        assertEquals("40", written(ch), "the open packet is answered with a namespace connect");
        ch.writeInbound(text("40{\"sid\":\"y\"}"));
        assertEquals(List.of(ClientHandshakeStateEvent.HANDSHAKE_COMPLETE), sink.events);

        ch.writeInbound(text("2"));
        assertEquals("3", written(ch));

        ch.writeInbound(text("42[\"m\",{\"type\":\"welcome\",\"user\":\"u\",\"heartbeat\":60}]"));
        assertEquals(List.of("{\"type\":\"welcome\",\"user\":\"u\",\"heartbeat\":60}"), sink.reads);

        ch.writeOutbound(text("{\"type\":\"auth\",\"token\":\"u\"}"));
        assertEquals("42[\"m\",{\"type\":\"auth\",\"token\":\"u\"}]", written(ch));

        ch.writeInbound(text("42[\"other\",1]"));
        assertEquals(Boolean.FALSE, sink.reads.get(1), "another event is an unexpected frame");
        assertTrue(ch.isOpen());
        ch.writeInbound(text("41"));
        assertFalse(ch.isOpen(), "a namespace disconnect closes the connection");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theScrapeGivesHeapUsedAndCommittedOverThePoolsAndNettysDirectMemory() {
        Map<String, Double> v = MemoryProbe.prometheus(String.join("\n",
                "# TYPE jvm_memory_used_bytes gauge",
                "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"} 1048576.0",
                "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"} 2097152.0",
                "jvm_memory_used_bytes{area=\"nonheap\",id=\"Metaspace\"} 9.0E7",
                "jvm_memory_committed_bytes{area=\"heap\",id=\"G1 Eden Space\"} 4194304.0",
                "jvm_memory_committed_bytes{area=\"heap\",id=\"G1 Old Gen\"} 8388608.0",
                "netty_direct_memory_used_bytes 65536.0",
                "netty_direct_memory_max_bytes 1.0E9", ""));
        assertEquals(3145728.0, v.get("heap_used"));
        assertEquals(12582912.0, v.get("heap_committed"));
        assertEquals(65536.0, v.get("direct"));
    }

    @Test
    void theCompareTableSetsEachServersCapacityCpuAndMemorySideBySide() throws Exception {
        Path dir = Files.createTempDirectory("compare");
        Files.createDirectories(dir.resolve("ws"));
        Files.writeString(dir.resolve("ws/results.json"), "{\"passed\":true,"
                + "\"metrics\":{\"max_clients_under_limit\":2000,\"percentile\":95.0},"
                + "\"memory_baseline\":{\"rss_bytes\":52428800,\"heap_used_bytes\":-1,\"heap_committed_bytes\":-1,\"direct_bytes\":-1},"
                + "\"stop_reason\":\"p95 300.0 ms over the limit of 250 ms\","
                + "\"steps\":[{\"clients\":1000,\"p95_ms\":40.5,\"passed\":true,\"server_cpu_us_per_delivery\":1.5,"
                + "\"memory\":{\"rss_bytes\":62914560,\"heap_used_bytes\":-1,\"heap_committed_bytes\":-1,\"direct_bytes\":-1},"
                + "\"rss_growth_per_client_bytes\":10485.76},"
                + "{\"clients\":2000,\"p95_ms\":120.0,\"passed\":true,\"server_cpu_us_per_delivery\":1.25,"
                + "\"memory\":{\"rss_bytes\":73400320,\"heap_used_bytes\":-1,\"heap_committed_bytes\":-1,\"direct_bytes\":-1},"
                + "\"rss_growth_per_client_bytes\":10485.76},"
                + "{\"clients\":3000,\"p95_ms\":300.0,\"passed\":false,\"server_cpu_us_per_delivery\":1.0,"
                + "\"memory\":{\"rss_bytes\":83886080,\"heap_used_bytes\":-1,\"heap_committed_bytes\":-1,\"direct_bytes\":-1},"
                + "\"rss_growth_per_client_bytes\":10922.67}]}");
        Files.writeString(dir.resolve("ws/server.json"), "{\"server\":\"ws\",\"pid\":1,\"cpu_seconds\":12.5,\"bench_cpu_seconds\":20.25,\"wall_seconds\":60.0}");
        String row = CompareTable.row("ws", dir.resolve("ws"));
        // Results of a bench before the busier side was measured: the column says nothing.
        assertEquals("| ws | 2,000 | 120.0 ms | p95 300.0 ms over the limit of 250 ms | - | 1.25 us | 50.0 MiB"
                + " | 80.0 MiB (3,000 clients) | 10.7 KiB | - | - | 12.5 s in 60 s | 20.3 s | passed |", row);
        // With it: the side named by the run, and each side's CPU per round per core at the last step.
        String withSide = Files.readString(dir.resolve("ws/results.json"))
                .replace("\"passed\":true,", "\"passed\":true,\"busier_side\":\"clients\","
                        + "\"busier_side_cpu_ms_per_round_per_core\":{\"server\":90.0,\"clients\":120.0},");
        Files.createDirectories(dir.resolve("ws2"));
        Files.writeString(dir.resolve("ws2/results.json"), withSide);
        assertEquals("| ws2 | 2,000 | 120.0 ms | p95 300.0 ms over the limit of 250 ms | clients (90 / 120 ms) | 1.25 us"
                + " | 50.0 MiB | 80.0 MiB (3,000 clients) | 10.7 KiB | - | - | - | - | passed |",
                CompareTable.row("ws2", dir.resolve("ws2")));
        String missing = CompareTable.row("socketio", dir.resolve("socketio"));
        assertTrue(missing.contains("no results.json"));
        java.io.ByteArrayOutputStream table = new java.io.ByteArrayOutputStream();
        CompareTable.print(dir, java.util.List.of("ws"), new java.io.PrintStream(table, true, "UTF-8"));
        String header = table.toString("UTF-8").lines().findFirst().orElseThrow();
        assertEquals(header.chars().filter(c -> c == '|').count(), row.chars().filter(c -> c == '|').count(),
                "a row has the header's columns");
        assertEquals(header.chars().filter(c -> c == '|').count(), missing.chars().filter(c -> c == '|').count(),
                "so has the row of a run without results");
    }
}
