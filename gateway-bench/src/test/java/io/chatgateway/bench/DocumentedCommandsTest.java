package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bench command written in the documentation, the compose file and the scripts' own usage comments names a
 * real scenario and only options that scenario has, so that a reader who copies one is not told "unknown option".
 * Commands are found where a reader would copy them: code blocks line by line, inline code spans (which may wrap
 * over lines), {@code BENCH_ARGS="..."} and the compose file's default {@code BENCH_ARGS}.
 */
class DocumentedCommandsTest {
    /** What runs the bench, then the scenario (or a placeholder), then the rest of the command. */
    private static final Pattern COMMAND = Pattern.compile(
            "(?:bench\\.sh|cluster-bench\\.sh|gateway-bench\\.jar)\\s+([^\\s`\"]+)([^`\"]*)");
    /** ab.sh's own options up to {@code --}, after which comes a bench.sh (or cluster-bench.sh) command. */
    private static final Pattern AB = Pattern.compile("ab\\.sh\\s.*?\\s--\\s");
    private static final Pattern CHAOS = Pattern.compile("chaos\\.sh\\s+(?=\\[?--)");
    private static final Pattern BENCH_ARGS = Pattern.compile("BENCH_ARGS(?:=\"|:-)([a-z-]+)([^\"}]*)");
    /** Words that stand for "any scenario" in the docs. */
    private static final Set<String> PLACEHOLDERS = Set.of("<scenario>", "<mode>", "[options]", "[bench");

    record Command(String where, String scenario, String args) {
    }

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("gateway-bench"))) {
                return p;
            }
        }
        throw new AssertionError("repository root not found above " + Path.of("").toAbsolutePath());
    }

    private static List<Path> sources(Path root) throws IOException {
        List<Path> files = new ArrayList<>(List.of(root.resolve("README.md"), root.resolve("docker-compose.yml")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        try (Stream<Path> scripts = Files.list(root.resolve("gateway-bench"))) {
            scripts.filter(p -> p.toString().endsWith(".sh")).sorted().forEach(files::add);
        }
        return files;
    }

    /** The places in a file's text where a reader finds a command to copy. */
    static List<String> snippets(String file, String text) {
        List<String> out = new ArrayList<>();
        if (!file.endsWith(".md")) {
            // Scripts and YAML: one line at a time, comments included (the scripts' usage examples live there).
            out.addAll(List.of(text.split("\n")));
            return out;
        }
        boolean fenced = false;
        StringBuilder prose = new StringBuilder();
        StringBuilder line = new StringBuilder();
        for (String l : text.split("\n", -1)) {
            if (l.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                // Shell continuations make one command of several lines.
                if (l.endsWith("\\")) {
                    line.append(l, 0, l.length() - 1).append(' ');
                } else {
                    out.add(line.append(l).toString());
                    line.setLength(0);
                }
            } else {
                prose.append(l).append(' ');
            }
        }
        Matcher code = Pattern.compile("`([^`]+)`").matcher(prose);
        while (code.find()) {
            out.add(code.group(1));
        }
        return out;
    }

    static List<Command> commands(String where, String snippet) {
        List<Command> found = new ArrayList<>();
        // An A/B run: what follows its options is the bench command, whichever script runs it.
        snippet = AB.matcher(snippet).replaceAll("bench.sh ");
        // chaos.sh runs the soak: its options are the soak's.
        snippet = CHAOS.matcher(snippet).replaceAll("bench.sh soak ");
        for (Pattern p : List.of(COMMAND, BENCH_ARGS)) {
            Matcher m = p.matcher(snippet);
            while (m.find()) {
                String rest = m.group(2);
                // A comment, a pipe or the next command ends this one.
                rest = rest.split("\\s#|\\s\\||&&|;", 2)[0].strip();
                // Prose that merely names the jar or a script ("gateway-bench.jar when the module is built") is
                // no command: a command names a scenario, a placeholder for one, or gives options.
                boolean command = Scenario.byName(m.group(1)) != null || m.group(1).startsWith("<")
                        || m.group(1).contains("|") || rest.matches("(^|.*\\s)\\[?--.*");
                if (command) {
                    found.add(new Command(where, m.group(1), rest));
                }
            }
        }
        return found;
    }

    /** What is wrong with one command, or an empty list. */
    static List<String> problems(Command c) {
        List<String> problems = new ArrayList<>();
        List<Scenario> scenarios = new ArrayList<>();
        if (PLACEHOLDERS.contains(c.scenario()) || c.scenario().matches("<[a-z|-]+>")) {
            scenarios.addAll(Scenario.all());
        } else {
            for (String name : c.scenario().split("\\|")) {
                // cluster-bench.sh's direct-local runs the direct scenario.
                Scenario s = Scenario.byName(name.equals("direct-local") ? "direct" : name);
                if (s == null) {
                    problems.add(c.where() + ": no scenario '" + name + "' in: " + c.scenario() + " " + c.args());
                } else {
                    scenarios.add(s);
                }
            }
        }
        for (String token : c.args().split("\\s+")) {
            String t = token.replaceAll("^[\\[(]+|[\\])]+$", "");
            if (!t.startsWith("--") || t.equals("--help")) {
                continue;
            }
            String name = t.substring(2).split("=", 2)[0];
            for (Scenario s : scenarios) {
                if (s.specs().stream().noneMatch(spec -> spec.name().equals(name))) {
                    problems.add(c.where() + ": " + s.name() + " has no option --" + name + " in: "
                            + c.scenario() + " " + c.args());
                }
            }
        }
        return problems;
    }

    @Test
    void everyDocumentedBenchCommandUsesRealScenariosAndOptions() throws IOException {
        Path root = root();
        List<Command> all = new ArrayList<>();
        for (Path f : sources(root)) {
            String name = root.relativize(f).toString();
            for (String snippet : snippets(name, Files.readString(f))) {
                all.addAll(commands(name, snippet));
            }
        }
        // The docs are full of commands: finding only a few would mean the extraction broke, not that all is well.
        assertTrue(all.size() >= 30, "found only " + all.size() + " bench commands: " + all);
        Set<String> problems = new TreeSet<>();
        all.forEach(c -> problems.addAll(problems(c)));
        assertEquals("", problems.stream().collect(Collectors.joining("\n")));
        assertTrue(all.stream().anyMatch(c -> c.where().equals("docker-compose.yml")), "the compose default is read");
        assertTrue(all.stream().anyMatch(c -> c.where().equals("gateway-bench/bench.sh")), "script comments are read");
    }

    @Test
    void readsTheBenchCommandOfAnAbRun() {
        List<Command> found = commands("x.md", "gateway-bench/ab.sh --runner cluster-bench.sh --rounds 3 --a '' "
                + "--b 'GATEWAY_HISTORY_SIZE=0' -- room --rooms 2 --reconnect-rate 5 --nope 1 --out x");
        assertEquals(1, found.size(), found.toString());
        assertEquals("room", found.get(0).scenario());
        List<String> problems = problems(found.get(0));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("room has no option --nope"), problems.get(0));
    }

    @Test
    void findsStaleOptionsWrongScenariosAndWrappedInlineCommands() {
        String md = "Run `BENCH_ARGS=\"room --url ws://gateway:8080/ws\"` or `java -jar gateway-bench.jar direct\n"
                + "--rate 5 --room x`, never `bench.sh chat --rate 1`.\n\n```sh\n"
                + "gateway-bench/bench.sh room \\\n    --rooms 2 --members 3 --duration 5s # --not-an-option\n```\n";
        List<Command> found = new ArrayList<>();
        snippets("x.md", md).forEach(s -> found.addAll(commands("x.md", s)));
        assertEquals(4, found.size(), found.toString());
        List<String> problems = new ArrayList<>();
        found.forEach(c -> problems.addAll(problems(c)));
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("room has no option --url"), problems.get(0));
        assertTrue(problems.get(1).contains("direct has no option --room"), problems.get(1));
        assertTrue(problems.get(2).contains("no scenario 'chat'"), problems.get(2));
    }

    @Test
    void readsAChaosRunAsASoakCommand() {
        List<Command> found = commands("x.md", "gateway-bench/chaos.sh --rooms 6 --nope 1 --out x");
        assertEquals(1, found.size(), found.toString());
        assertEquals("soak", found.get(0).scenario());
        List<String> problems = problems(found.get(0));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("soak has no option --nope"), problems.get(0));
    }
}
