package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * {@code java -jar gateway-bench.jar <scenario> [options]}. Also the entry point of the bench's child processes
 * ({@code worker <scenario> <index> <count> [options]}), which speak JSON lines with their parent.
 */
public final class Main {
    static final String WORKER = "worker";

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals(WORKER)) {
            System.exit(worker(Arrays.asList(args).subList(1, args.length)));
        }
        try {
            Result r = Bench.run(Arrays.asList(args), System.out, System.err);
            System.exit(r == null || r.passed() ? 0 : 1);
        } catch (Options.UsageException e) {
            System.err.println("gateway-bench: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("gateway-bench: the run failed: " + e.getMessage());
            e.printStackTrace();
            System.exit(3);
        }
    }

    /** A child process: one worker, driven over stdin/stdout. */
    private static int worker(List<String> args) {
        // Only JSON lines may reach the parent on stdout; anything else printed goes to stderr.
        PrintStream json = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        Map<String, BlockingQueue<JsonNode>> releases = new ConcurrentHashMap<>();
        WorkerLink link = new WorkerLink() {
            @Override
            public void emit(ObjectNode event) {
                synchronized (json) {
                    json.println(event.toString());
                    json.flush();
                }
            }

            @Override
            public JsonNode awaitRelease(String name) throws InterruptedException {
                return releases.computeIfAbsent(name, k -> new LinkedBlockingQueue<>()).take();
            }
        };
        Thread stdin = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    JsonNode cmd = Cluster.JSON.readTree(line);
                    if ("release".equals(cmd.path("cmd").asText())) {
                        releases.computeIfAbsent(cmd.get("name").asText(), k -> new LinkedBlockingQueue<>())
                                .add(cmd.get("data"));
                    }
                }
            } catch (IOException e) {
                // parent gone
            }
            // The parent closed our stdin: the run is over (or the parent died). Do not linger.
            System.exit(0);
        }, "bench-worker-stdin");
        stdin.setDaemon(true);
        try {
            Scenario scenario = Scenario.byName(args.get(0));
            int index = Integer.parseInt(args.get(1));
            int count = Integer.parseInt(args.get(2));
            Options options = Options.parse(scenario.specs(), args.subList(3, args.size()));
            Settings settings = Settings.from(options, scenario.connections(options));
            stdin.start();
            try (Worker w = new Worker(settings, index, count, link)) {
                scenario.work(w, options);
            }
            return 0;
        } catch (Throwable e) {
            e.printStackTrace();
            ObjectNode err = JsonNodeFactory.instance.objectNode();
            err.put("event", "error");
            err.put("message", e.toString());
            link.emit(err);
            return 1;
        }
    }
}
