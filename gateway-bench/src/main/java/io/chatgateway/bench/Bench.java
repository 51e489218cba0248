package io.chatgateway.bench;

import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one scenario from its command-line arguments: parses and checks the options, starts the workers, lets the
 * scenario coordinate them, prints the summary and writes the report. {@link Main} is the command line around it;
 * tests call it directly.
 */
public final class Bench {
    private Bench() {
    }

    /**
     * @param args {@code <scenario> [options]}
     * @return the result; {@code null} when only help was printed
     * @throws Options.UsageException for a bad command line (the message says what is wrong)
     */
    public static Result run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
            out.print(usage());
            return null;
        }
        Scenario scenario = Scenario.byName(args.get(0));
        if (scenario == null) {
            throw new Options.UsageException("unknown scenario '" + args.get(0) + "'\n\n" + usage());
        }
        Options options = Options.parse(scenario.specs(), args.subList(1, args.size()));
        if (options.helpRequested()) {
            out.print(help(scenario));
            return null;
        }
        Settings settings = Settings.from(options, scenario.connections(options));
        scenario.validate(options, settings);

        Result result = new Result(scenario.name());
        result.options = options.values();
        result.options.remove("jwt-secret");
        result.environment = environment(settings);
        out.printf("gateway-bench %s -> %s (%s, %s), %,d connections, %d process(es) x %d thread(s), "
                        + "%d source address(es); load average %s%n", scenario.name(), settings.targetList(),
                settings.target().transport(), io.netty.channel.epoll.Epoll.isAvailable() ? "epoll" : "nio",
                scenario.connections(options), settings.processes(), settings.threads(), settings.sources().size(),
                result.environment.get("load_start"));
        try (Timeline timeline = new Timeline(out, settings.quiet());
             Cluster cluster = Cluster.start(scenario, options, settings, timeline)) {
            Run run = new Run(options, settings, cluster, timeline, out);
            scenario.coordinate(run, result);
            timeline.phase("done");
            result.timeline = timeline.points();
            result.phases = timeline.phases();
        }
        result.environment.put("load_end", Limits.loadAverage());
        Report.printSummary(result, out);
        if (settings.out() != null) {
            Path dir = Path.of(settings.out());
            Report.write(result, dir);
            out.println("  report: " + dir.resolve("report.html").toAbsolutePath());
        }
        return result;
    }

    static Map<String, Object> environment(Settings s) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        try {
            env.put("host", InetAddress.getLocalHost().getHostName());
        } catch (Exception e) {
            env.put("host", "unknown");
        }
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("load_start", Limits.loadAverage());
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        env.put("netty_transport", io.netty.channel.epoll.Epoll.isAvailable() ? "epoll" : "nio");
        env.put("fd_limit_per_process", Limits.maxFileDescriptors());
        String ports = Limits.ephemeralPorts();
        env.put("ephemeral_ports", ports);
        if (!ports.equals("unknown")) {
            env.put("ephemeral_port_count", Limits.ephemeralPortCount());
        }
        env.put("processes", s.processes());
        env.put("threads_per_process", s.threads());
        env.put("source_addresses", s.sources().size());
        env.put("target", s.targetList());
        return env;
    }

    static String usage() {
        StringBuilder b = new StringBuilder();
        b.append("Usage: java -jar gateway-bench.jar <scenario> [options]   (<scenario> --help for its options)\n\n");
        b.append("Load generator for the chat gateway (protocol 1.1 over WebSocket or TCP).\n\nScenarios:\n");
        for (Scenario s : Scenario.all()) {
            b.append(String.format("  %-12s %s%n", s.name(), s.description()));
        }
        b.append("\nExit status: 0 when every check passed, 1 when a check failed, 2 for a bad command line,\n"
                + "3 when the run could not be carried out.\n");
        return b.toString();
    }

    static String help(Scenario s) {
        return "Usage: java -jar gateway-bench.jar " + s.name() + " [options]\n\n" + s.about() + "\n\nOptions:\n"
                + Options.help(s.specs());
    }
}
