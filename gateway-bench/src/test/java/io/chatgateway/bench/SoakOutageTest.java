package io.chatgateway.bench;

import io.chatgateway.server.cluster.RedisServer;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak's chaos mode in seconds: two nodes of a cluster whose Redis is killed mid-run and started again (empty).
 * The run must come through: refusals with unavailable are counted apart, clients come back, and nothing that was
 * acknowledged and still judgeable is lost, duplicated or reordered.
 */
@Timeout(180)
class SoakOutageTest {
    private final List<TestServer> nodes = new ArrayList<>();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private RedisServer redis;

    @AfterEach
    void stop() {
        nodes.forEach(TestServer::close);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aBrokerOutageIsCountedAndSurvivedWithOutages() throws Exception {
        redis = RedisServer.start();
        for (int i = 0; i < 2; i++) {
            TestServer node = TestServer.start(Map.of(Setting.REDIS_URI, redis.uri()));
            nodes.add(node);
            TestServer.await("node " + i + " joined the cluster",
                    () -> node.server().cluster().status().isBrokerAvailable());
        }
        String targets = "ws://127.0.0.1:" + nodes.get(0).httpPort() + "/ws,ws://127.0.0.1:"
                + nodes.get(1).httpPort() + "/ws";
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return Bench.run(List.of("soak", "--target", targets, "--rooms", "2", "--members", "8",
                        "--publishers", "2", "--direct-pairs", "2", "--rate", "60", "--reconnect-rate", "4",
                        "--presence-rate", "5", "--churn-rate", "4", "--churn-hold", "300ms", "--warmup", "0s",
                        "--duration", "8s", "--drain", "40s", "--connect-rate", "0", "--sample-every", "1s",
                        "--outages", "--quiet"), out, out);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(4_000);
        redis.kill();
        Thread.sleep(1_500);
        redis.restart();
        Result r = run.get();
        String printed = output.toString(StandardCharsets.UTF_8);
        System.out.println(printed); // what the outage did, for whoever reads the test's output
        assertTrue(r.passed(), printed);
        assertTrue(r.counter("reconnects") > 0, printed);
        assertTrue(printed.contains("disturbances"), printed);
    }
}
