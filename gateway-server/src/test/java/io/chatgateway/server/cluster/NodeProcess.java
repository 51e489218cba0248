package io.chatgateway.server.cluster;

import io.chatgateway.server.Main;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gateway node in a child JVM started with the test class path, so that a test can kill it with SIGKILL the way a
 * crashed or OOM-killed process goes: no shutdown hook, no goodbye to Redis.
 */
final class NodeProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Listening: WebSocket ws://[^:]+:(\\d+)/\\S*, TCP [^:]+:(\\d+)");

    private final Process process;
    private final CompletableFuture<int[]> ports = new CompletableFuture<>();
    private final List<String> output = new ArrayList<>();

    private NodeProcess(List<String> flags) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx192m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(flags);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread reader = new Thread(this::read, "node-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a node on ephemeral ports with these flags ({@code --key=value}) and waits until it listens. */
    static NodeProcess start(List<String> flags) {
        List<String> all = new ArrayList<>(List.of("--http-port=0", "--tcp-port=0", "--bind=127.0.0.1",
                "--shutdown-timeout-seconds=2"));
        all.addAll(flags);
        NodeProcess node;
        try {
            node = new NodeProcess(all);
        } catch (IOException e) {
            throw new AssertionError("cannot start a node JVM", e);
        }
        try {
            node.ports.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            node.kill();
            throw new AssertionError("node JVM did not start listening within 30 s; output:\n" + node.output(), e);
        }
        return node;
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                }
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
        ports.completeExceptionally(new IllegalStateException("node JVM exited"));
    }

    int httpPort() {
        return ports.join()[0];
    }

    int tcpPort() {
        return ports.join()[1];
    }

    long pid() {
        return process.pid();
    }

    String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** SIGKILL: the node dies without a word to anyone. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
