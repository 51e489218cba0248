package io.chatgateway.server.deploy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx for the recipe tests, run on a recipe from deploy/nginx/ without touching the machine's own
 * nginx: a main configuration in a temporary directory includes the recipe where nginx.conf would (stream files at
 * the top level, http files inside {@code http {}}) and keeps the pid, logs and temporary files there.
 */
final class Nginx implements AutoCloseable {
    static final Path BINARY = Paths.get("/usr/sbin/nginx");
    /** Debian builds the stream module as a dynamic module (package libnginx-mod-stream). */
    static final Path STREAM_MODULE = Paths.get("/usr/lib/nginx/modules/ngx_stream_module.so");
    /** The certificate paths the recipes name, replaced in the tests' copies by a pair made for the test. */
    static final String CERT = "/etc/ssl/chat-gateway/fullchain.pem";
    static final String KEY = "/etc/ssl/chat-gateway/privkey.pem";

    record Result(int exit, String output) {
    }

    private final Process process;
    private final Path dir;

    private Nginx(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    static void require() {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError("The nginx recipe checks need " + BINARY
                    + ". Install it with: apt-get install -y nginx libnginx-mod-stream");
        }
    }

    static Path recipes() {
        return RepoRoot.find().resolve("deploy/nginx");
    }

    static String recipe(String name) throws IOException {
        return Files.readString(recipes().resolve(name), StandardCharsets.UTF_8);
    }

    /** A self-signed certificate for 127.0.0.1 in {@code dir}: {cert, key}. */
    static Path[] certificate(Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Result r = run(dir, List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString()),
                "openssl");
        if (r.exit() != 0) {
            throw new AssertionError("openssl could not make a test certificate: " + r.output());
        }
        return new Path[] {cert, key};
    }

    /** The recipe with its certificate paths pointing at {@code pair}; fails if it named none. */
    static String withCertificate(String recipe, Path[] pair) {
        String copy = recipe.replace(CERT, pair[0].toString()).replace(KEY, pair[1].toString());
        if (copy.equals(recipe)) {
            throw new AssertionError("the recipe names no certificate at " + CERT);
        }
        return copy;
    }

    static Result run(Path dir, List<String> cmd, String what) throws Exception {
        Path out = Files.createTempFile(dir, what, ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(what + " did not finish in 30 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    /** Writes {@code dir/nginx.conf} around {@code recipeText}; {@code foreground} for a server that runs. */
    private static Path mainConfig(Path dir, String recipeText, boolean insideHttp, boolean foreground)
            throws IOException {
        Path recipe = dir.resolve("recipe.conf");
        Files.writeString(recipe, recipeText);
        String include = "include " + recipe + ";\n";
        String main = (Files.exists(STREAM_MODULE) ? "load_module " + STREAM_MODULE + ";\n" : "")
                + (foreground ? "daemon off;\nworker_processes 1;\n" : "")
                + "pid " + dir.resolve("nginx.pid") + ";\n"
                + "error_log " + dir.resolve("error.log") + ";\n"
                + "events { worker_connections 1024; }\n"
                + (insideHttp ? "" : include)
                + "http {\n"
                + "    access_log " + dir.resolve("access.log") + ";\n"
                + "    client_body_temp_path " + dir.resolve("body") + ";\n"
                + "    proxy_temp_path " + dir.resolve("proxy") + ";\n"
                + "    fastcgi_temp_path " + dir.resolve("fastcgi") + ";\n"
                + "    uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
                + "    scgi_temp_path " + dir.resolve("scgi") + ";\n"
                + (insideHttp ? "    " + include : "")
                + "}\n";
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, main);
        return conf;
    }

    private static List<String> command(Path dir, Path conf, String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of(BINARY.toString(), "-p", dir + "/", "-c",
                conf.toString(), "-e", dir.resolve("error.log").toString()));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** {@code nginx -t} on the recipe text. */
    static Result test(Path dir, String recipeText, boolean insideHttp) throws Exception {
        Path conf = mainConfig(dir, recipeText, insideHttp, false);
        return run(dir, command(dir, conf, "-t"), "nginx-t");
    }

    /** Runs nginx on the recipe text in the foreground until closed; returns once {@code port} accepts. */
    static Nginx start(Path dir, String recipeText, boolean insideHttp, int port) throws Exception {
        Result t = test(dir, recipeText, insideHttp);
        if (t.exit() != 0) {
            throw new AssertionError("nginx -t refused the configuration: " + t.output());
        }
        Path conf = mainConfig(dir, recipeText, insideHttp, true);
        Process p = new ProcessBuilder(command(dir, conf)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile()).start();
        Nginx nginx = new Nginx(p, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!accepts(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String log = nginx.log();
                nginx.close();
                throw new AssertionError("nginx did not listen on " + port + ": " + log);
            }
            Thread.sleep(20);
        }
        return nginx;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String log() {
        try {
            return Files.readString(dir.resolve("nginx.out")) + Files.readString(dir.resolve("error.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM (nginx's fast shutdown) to the master this test started, SIGKILL if it lingers. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
