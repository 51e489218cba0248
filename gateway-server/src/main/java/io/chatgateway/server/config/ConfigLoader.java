package io.chatgateway.server.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Loads the configuration once, in layers: defaults &lt; config file &lt; {@code GATEWAY_*} environment &lt;
 * command-line flags. A key the file does not know, a flag nobody defined or a malformed value fails the load with
 * every problem listed; an unknown {@code GATEWAY_*} variable is reported as a warning (environments carry
 * variables meant for other tools).
 */
public final class ConfigLoader {
    private static final String ENV_PREFIX = "GATEWAY_";

    /** What {@link #load} found. */
    public record Loaded(ServerConfig config, List<String> warnings, boolean helpRequested) {
    }

    private ConfigLoader() {
    }

    /**
     * @param args command-line arguments: {@code --key=value}, {@code --key value}, {@code --help}
     * @param env  the environment
     */
    public static Loaded load(List<String> args, Map<String, String> env) throws ConfigException {
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<Setting, String> flags = new EnumMap<>(Setting.class);
        boolean help = parseFlags(args, flags, problems);
        if (help) {
            return new Loaded(null, warnings, true);
        }

        Map<Setting, String> raw = new EnumMap<>(Setting.class);
        Map<Setting, ServerConfig.Source> sources = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            if (s.defaultValue() != null) {
                raw.put(s, s.defaultValue());
                sources.put(s, ServerConfig.Source.DEFAULT);
            }
        }

        String file = flags.containsKey(Setting.CONFIG) ? flags.get(Setting.CONFIG) : env.get(Setting.CONFIG.env());
        if (file != null && !file.isBlank()) {
            readFile(Path.of(file.trim()), raw, sources, problems);
        }

        for (String name : new TreeSet<>(env.keySet())) {
            if (!name.startsWith(ENV_PREFIX)) {
                continue;
            }
            Setting s = Setting.byEnv(name);
            if (s == null) {
                warnings.add("unknown environment variable " + name + " ignored (see --help for the settings)");
                continue;
            }
            raw.put(s, env.get(name));
            sources.put(s, ServerConfig.Source.ENV);
        }

        flags.forEach((s, v) -> {
            raw.put(s, v);
            sources.put(s, ServerConfig.Source.FLAG);
        });

        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Loaded(new ServerConfig(raw, sources), warnings, false);
    }

    private static boolean parseFlags(List<String> args, Map<Setting, String> flags, List<String> problems) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
            if (!arg.startsWith("--")) {
                problems.add("unexpected argument '" + arg + "' (expected: --setting=value)");
                continue;
            }
            int eq = arg.indexOf('=');
            String key = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
            Setting s = Setting.byKey(key);
            if (s == null) {
                problems.add("unknown flag --" + key + " (see --help)");
                continue;
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                problems.add("flag --" + key + " needs a value");
                continue;
            }
            flags.put(s, value);
        }
        return false;
    }

    private static void readFile(Path path, Map<Setting, String> raw, Map<Setting, ServerConfig.Source> sources,
                                 List<String> problems) {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException e) {
            problems.add("config file " + path + " cannot be read: " + e);
            return;
        }
        for (String key : new TreeSet<>(props.stringPropertyNames())) {
            Setting s = Setting.byKey(key.trim());
            if (s == null || s == Setting.CONFIG) {
                problems.add("config file " + path + ": unknown key '" + key + "'");
                continue;
            }
            raw.put(s, props.getProperty(key).trim());
            sources.put(s, ServerConfig.Source.FILE);
        }
    }

    /** The settings table for {@code --help}. */
    public static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: java -jar gateway-server.jar [--setting=value ...]\n\n");
        sb.append("Each setting may also come from a properties file (--config) or the environment.\n");
        sb.append("Precedence: defaults < config file < environment < flags.\n\n");
        for (Setting s : Setting.values()) {
            sb.append(String.format("  %-30s %-36s default: %s%n      %s%n", s.flag(), s.env(),
                    s.defaultValue() == null ? "(unset)" : s.defaultValue(), s.description()));
        }
        return sb.toString();
    }
}
