package io.chatgateway.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Command-line options: {@code --name value} or {@code --name=value}; a flag without a value is {@code true}.
 * Each scenario declares its options with defaults and help; anything undeclared is an error that names it.
 * Numbers take {@code k} and {@code m} suffixes ({@code 50k}), durations {@code ms}, {@code s} and {@code m}
 * ({@code 500ms}, {@code 30s}, {@code 2m}; a bare number is seconds).
 */
public final class Options {
    /** One declared option. {@code defaultValue} {@code null} means unset. */
    public record Spec(String name, String defaultValue, String help) {
    }

    /** A usage error, to print with the scenario's help. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, Spec> specs;
    private final Map<String, String> values;
    private final Map<String, String> given;
    private final boolean help;

    private Options(Map<String, Spec> specs, Map<String, String> values, Map<String, String> given, boolean help) {
        this.specs = specs;
        this.values = values;
        this.given = given;
        this.help = help;
    }

    public static Options parse(List<Spec> declared, List<String> args) throws UsageException {
        Map<String, Spec> specs = new LinkedHashMap<>();
        for (Spec s : declared) {
            specs.put(s.name(), s);
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Spec s : declared) {
            if (s.defaultValue() != null) {
                values.put(s.name(), s.defaultValue());
            }
        }
        Map<String, String> given = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "' (options look like --name value)");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!specs.containsKey(name)) {
                throw new UsageException("unknown option --" + name + " (see --help)");
            }
            if (value == null) {
                if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                    value = args.get(++i);
                } else {
                    value = "true";
                }
            }
            values.put(name, value);
            given.put(name, value);
        }
        return new Options(specs, values, given, help);
    }

    public boolean helpRequested() {
        return help;
    }

    /** {@code true} when the option was given on the command line (not a default). */
    public boolean isGiven(String name) {
        return given.containsKey(name);
    }

    public String get(String name) {
        requireDeclared(name);
        return values.get(name);
    }

    public String string(String name) throws UsageException {
        String v = get(name);
        if (v == null || v.isEmpty()) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }

    public boolean flag(String name) {
        String v = get(name);
        return v != null && (v.equals("true") || v.equals("yes") || v.equals("1"));
    }

    public long count(String name, long min, long max) throws UsageException {
        String v = string(name);
        double d = number(name, v);
        if (d != Math.rint(d)) {
            throw new UsageException("--" + name + ": " + v + " (expected: a whole number)");
        }
        long n = (long) d;
        if (n < min || n > max) {
            throw new UsageException("--" + name + ": " + v + " (expected: " + min + ".." + max + ")");
        }
        return n;
    }

    public int intValue(String name, int min, int max) throws UsageException {
        return (int) count(name, min, max);
    }

    public double decimal(String name, double min) throws UsageException {
        String v = string(name);
        double d = number(name, v);
        if (!(d >= min) || Double.isInfinite(d)) {
            throw new UsageException("--" + name + ": " + v + " (expected: >= " + min + ")");
        }
        return d;
    }

    public Duration duration(String name, Duration min) throws UsageException {
        String v = string(name).trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            } else if (v.endsWith("m")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60_000));
            } else {
                d = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
            }
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": " + v + " (expected: a duration like 500ms, 30s, 2m)");
        }
        if (d.compareTo(min) < 0) {
            throw new UsageException("--" + name + ": " + v + " (expected: at least " + min.toMillis() + "ms)");
        }
        return d;
    }

    private static double number(String name, String v) throws UsageException {
        String s = v.trim().toLowerCase(Locale.ROOT).replace("_", "").replace(",", "");
        double scale = 1;
        if (s.endsWith("k")) {
            scale = 1_000;
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("m")) {
            scale = 1_000_000;
            s = s.substring(0, s.length() - 1);
        }
        try {
            return Double.parseDouble(s) * scale;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": " + v + " (expected: a number, e.g. 5000 or 5k)");
        }
    }

    /** Every option as given or defaulted, for results.json and for the command line of child processes. */
    public Map<String, String> values() {
        return new LinkedHashMap<>(values);
    }

    /** The options given on the command line, as arguments again. */
    public List<String> givenArgs() {
        List<String> out = new ArrayList<>();
        given.forEach((k, v) -> out.add("--" + k + "=" + v));
        return out;
    }

    private void requireDeclared(String name) {
        if (!specs.containsKey(name)) {
            throw new IllegalArgumentException("option --" + name + " is not declared");
        }
    }

    /** The help text of these options. */
    public static String help(List<Spec> specs) {
        StringBuilder sb = new StringBuilder();
        int width = 0;
        for (Spec s : specs) {
            width = Math.max(width, s.name().length());
        }
        for (Spec s : specs) {
            sb.append("  --").append(s.name());
            sb.append(" ".repeat(width - s.name().length() + 2));
            sb.append(s.help());
            if (s.defaultValue() != null && !s.defaultValue().isEmpty()) {
                sb.append(" [").append(s.defaultValue()).append(']');
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
