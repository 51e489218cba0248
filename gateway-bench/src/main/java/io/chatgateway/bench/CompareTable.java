package io.chatgateway.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The table of {@code gateway-bench/compare.sh}: one row per server from its capacity run's {@code results.json}
 * and the script's {@code server.json} (the server's CPU over the whole run), as Markdown.
 *
 * <pre>java -cp gateway-bench.jar io.chatgateway.bench.CompareTable DIR gateway ws socketio</pre>
 */
public final class CompareTable {
    private CompareTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: CompareTable DIR SERVER...");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        List<String> servers = new ArrayList<>(List.of(args).subList(1, args.length));
        print(dir, servers, System.out);
    }

    static void print(Path dir, List<String> servers, PrintStream out) throws IOException {
        out.println("| server | capacity: clients at p95 < limit | p95 there | stopped"
                + " | busier side at the last step (CPU per round per core: server / clients) | server CPU per delivery"
                + " | RSS before the first client | RSS at the largest step | RSS growth per client"
                + " | heap used / committed there | direct memory there | server CPU, whole run | bench CPU, whole run"
                + " | checks |");
        out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (String s : servers) {
            out.println(row(s, dir.resolve(s)));
        }
    }

    static String row(String server, Path dir) throws IOException {
        Path results = dir.resolve("results.json");
        if (!Files.isRegularFile(results)) {
            return "| " + server + " | (no results.json: see " + dir.resolve("bench.txt") + ") |||||||||||||";
        }
        JsonNode r = Cluster.JSON.readTree(Files.readString(results));
        JsonNode steps = r.path("steps");
        String pLabel = Histograms.label(r.path("metrics").path("percentile").asDouble(95)) + "_ms";
        JsonNode passing = null;
        JsonNode last = null;
        for (JsonNode s : steps) {
            last = s;
            if (s.path("passed").asBoolean()) {
                passing = s;
            }
        }
        JsonNode baseline = r.path("memory_baseline");
        JsonNode cpuStep = passing != null ? passing : last;
        String cpu = cpuStep != null && cpuStep.has("server_cpu_us_per_delivery")
                ? String.format(Locale.ROOT, "%.2f us", cpuStep.get("server_cpu_us_per_delivery").asDouble()) : "-";
        JsonNode mem = last == null ? null : last.path("memory");
        String growth = last != null && last.has("rss_growth_per_client_bytes")
                ? String.format(Locale.ROOT, "%.1f KiB", last.get("rss_growth_per_client_bytes").asDouble() / 1024)
                : "-";
        String cpuTotal = "-";
        String benchTotal = "-";
        Path serverJson = dir.resolve("server.json");
        if (Files.isRegularFile(serverJson)) {
            JsonNode sj = Cluster.JSON.readTree(Files.readString(serverJson));
            cpuTotal = String.format(Locale.ROOT, "%.1f s in %.0f s", sj.path("cpu_seconds").asDouble(),
                    sj.path("wall_seconds").asDouble());
            if (sj.has("bench_cpu_seconds")) {
                benchTotal = String.format(Locale.ROOT, "%.1f s", sj.path("bench_cpu_seconds").asDouble());
            }
        }
        return "| " + server
                + " | " + String.format(Locale.ROOT, "%,d", r.path("metrics").path("max_clients_under_limit").asLong())
                + " | " + (passing == null ? "-" : String.format(Locale.ROOT, "%.1f ms", passing.path(pLabel).asDouble()))
                + " | " + r.path("stop_reason").asText("-").replace("|", "/")
                + " | " + busierSide(r)
                + " | " + cpu
                + " | " + mib(baseline.path("rss_bytes"))
                + " | " + (mem == null ? "-" : mib(mem.path("rss_bytes")) + String.format(Locale.ROOT, " (%,d clients)",
                        last.path("clients").asLong()))
                + " | " + growth
                + " | " + (mem == null || mem.path("heap_committed_bytes").asLong(-1) < 0 ? "-"
                        : mib(mem.path("heap_used_bytes")) + " / " + mib(mem.path("heap_committed_bytes")))
                + " | " + (mem == null || mem.path("direct_bytes").asLong(-1) < 0 ? "-" : mib(mem.path("direct_bytes")))
                + " | " + cpuTotal
                + " | " + benchTotal
                + " | " + (r.path("passed").asBoolean() ? "passed" : "FAILED") + " |";
    }

    /** The busier side at the last step and what a round cost each, per core, as the run's {@link RoundCost} gave them. */
    private static String busierSide(JsonNode r) {
        JsonNode perCore = r.path("busier_side_cpu_ms_per_round_per_core");
        if (!r.has("busier_side") || perCore.isMissingNode()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%s (%.0f / %.0f ms)", r.path("busier_side").asText(),
                perCore.path("server").asDouble(), perCore.path("clients").asDouble());
    }

    private static String mib(JsonNode bytes) {
        long v = bytes.asLong(-1);
        return v < 0 ? "-" : String.format(Locale.ROOT, "%.1f MiB", v / 1048576.0);
    }
}
