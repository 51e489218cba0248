package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The coordinator's view of the workers: in this process (one worker, in a thread) or in child processes (copies of
 * the bench speaking JSON lines on stdin and stdout, stderr passed through). It collects their progress into the
 * {@link Timeline}, waits for all of them at each barrier, and releases them together.
 */
final class Cluster implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final int size;
    private final Timeline timeline;
    private final Map<String, JsonNode[]> arrived = new HashMap<>();
    private final List<Handle> handles = new ArrayList<>();
    private volatile String fatal;
    private volatile boolean closing;

    private interface Handle {
        void release(ObjectNode command);

        void close();
    }

    private Cluster(int size, Timeline timeline) {
        this.size = size;
        this.timeline = timeline;
    }

    int size() {
        return size;
    }

    /** Starts the workers of a run: one in this process, or {@code settings.processes()} child processes. */
    static Cluster start(Scenario scenario, Options options, Settings settings, Timeline timeline) throws IOException {
        Cluster c = new Cluster(settings.processes(), timeline);
        if (settings.processes() == 1) {
            c.handles.add(c.local(scenario, options, settings));
        } else {
            for (int i = 0; i < settings.processes(); i++) {
                c.handles.add(c.child(scenario, options, settings, i));
            }
        }
        return c;
    }

    private Handle local(Scenario scenario, Options options, Settings settings) {
        Map<String, BlockingQueue<JsonNode>> releases = new ConcurrentHashMap<>();
        WorkerLink link = new WorkerLink() {
            @Override
            public void emit(ObjectNode event) {
                onEvent(0, event);
            }

            @Override
            public JsonNode awaitRelease(String name) throws InterruptedException {
                return releases.computeIfAbsent(name, k -> new LinkedBlockingQueue<>()).take();
            }
        };
        Thread t = new Thread(() -> {
            try (Worker w = new Worker(settings, 0, 1, link)) {
                scenario.work(w, options);
            } catch (InterruptedException e) {
                // closing
            } catch (Throwable e) {
                if (!closing) {
                    e.printStackTrace();
                    fail("worker 0 failed: " + e);
                }
            }
        }, "bench-worker-0");
        t.setDaemon(true);
        t.start();
        return new Handle() {
            @Override
            public void release(ObjectNode command) {
                releases.computeIfAbsent(command.get("name").asText(), k -> new LinkedBlockingQueue<>())
                        .add(command.get("data"));
            }

            @Override
            public void close() {
                t.interrupt();
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private Handle child(Scenario scenario, Options options, Settings settings, int index) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-XX:StartFlightRecording")) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add(Main.WORKER);
        cmd.add(scenario.name());
        cmd.add(Integer.toString(index));
        cmd.add(Integer.toString(settings.processes()));
        List<String> args = new ArrayList<>(options.givenArgs());
        args.removeIf(a -> a.startsWith("--user-prefix=") || a.startsWith("--out="));
        args.add("--user-prefix=" + settings.userPrefix());
        args.add("--processes=" + settings.processes());
        args.add("--threads=" + settings.threads());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        OutputStream stdin = p.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("{")) {
                        onEvent(index, JSON.readTree(line));
                    } else {
                        System.err.println("[worker " + index + "] " + line);
                    }
                }
            } catch (IOException e) {
                // the process is gone; handled below
            }
            try {
                int code = p.waitFor();
                if (!closing) {
                    fail("worker process " + index + " exited with code " + code + " before the run ended");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-worker-" + index + "-reader");
        reader.setDaemon(true);
        reader.start();
        return new Handle() {
            @Override
            public void release(ObjectNode command) {
                try {
                    synchronized (stdin) {
                        stdin.write((JSON.writeValueAsString(command) + "\n").getBytes(StandardCharsets.UTF_8));
                        stdin.flush();
                    }
                } catch (IOException e) {
                    fail("worker process " + index + " does not listen: " + e.getMessage());
                }
            }

            @Override
            public void close() {
                try {
                    stdin.close();
                } catch (IOException ignored) {
                    // it is going anyway
                }
                try {
                    if (!p.waitFor(15, TimeUnit.SECONDS)) {
                        p.destroy();
                        if (!p.waitFor(5, TimeUnit.SECONDS)) {
                            p.destroyForcibly();
                        }
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private void onEvent(int worker, JsonNode e) {
        switch (e.path("event").asText()) {
            case "progress":
                timeline.add(worker, e);
                break;
            case "barrier":
                synchronized (arrived) {
                    arrived.computeIfAbsent(e.get("name").asText(), k -> new JsonNode[size])[worker] = e.get("report");
                    arrived.notifyAll();
                }
                break;
            case "error":
                fail("worker " + worker + ": " + e.path("message").asText());
                break;
            default:
                break;
        }
    }

    private void fail(String message) {
        if (fatal == null) {
            fatal = message;
        }
        synchronized (arrived) {
            arrived.notifyAll();
        }
    }

    /** Waits until every worker has reached barrier {@code name}; returns their reports, by worker. */
    List<JsonNode> await(String name, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrived) {
            for (;;) {
                if (fatal != null) {
                    throw new IllegalStateException(fatal);
                }
                JsonNode[] reports = arrived.get(name);
                if (reports != null && Arrays.stream(reports).allMatch(r -> r != null)) {
                    arrived.remove(name);
                    return Arrays.asList(reports);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("workers did not reach '" + name + "' within " + timeout.toSeconds() + "s");
                }
                TimeUnit.NANOSECONDS.timedWait(arrived, left);
            }
        }
    }

    /** Releases barrier {@code name} for every worker, with {@code data}. */
    void release(String name, JsonNode data) {
        ObjectNode cmd = JsonNodeFactory.instance.objectNode();
        cmd.put("cmd", "release");
        cmd.put("name", name);
        cmd.set("data", data == null ? JsonNodeFactory.instance.objectNode() : data);
        for (Handle h : handles) {
            h.release(cmd);
        }
    }

    /** Waits at barrier {@code name} and releases it at once with {@code data}. */
    List<JsonNode> meet(String name, Duration timeout, JsonNode data) throws InterruptedException, TimeoutException {
        List<JsonNode> reports = await(name, timeout);
        release(name, data);
        return reports;
    }

    @Override
    public void close() {
        closing = true;
        for (Handle h : handles) {
            h.close();
        }
    }
}
