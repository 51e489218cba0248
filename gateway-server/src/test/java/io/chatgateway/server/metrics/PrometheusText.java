package io.chatgateway.server.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it fails on anything a Prometheus
 * server would refuse (bad names, bad label syntax or escapes, unparseable values, a sample before its family's
 * TYPE, a family split in two, a duplicated series), so a scrape that parses here is one Prometheus can ingest.
 */
final class PrometheusText {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One family: its TYPE, HELP and samples. */
    static final class Family {
        final String name;
        String type;
        String help;
        final List<Sample> samples = new ArrayList<>();

        Family(String name) {
            this.name = name;
        }
    }

    /** One sample line. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private PrometheusText() {
    }

    static Map<String, Family> parse(String text) {
        Map<String, Family> families = new LinkedHashMap<>();
        Set<String> series = new HashSet<>();
        Set<String> closed = new HashSet<>();
        String current = null;
        String[] lines = text.split("\n", -1);
        if (!text.endsWith("\n")) {
            throw new AssertionError("exposition must end with a line feed");
        }
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + ": " + line;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                    String name = parts[2];
                    require(METRIC_NAME.matcher(name).matches(), "bad metric name", where);
                    if (!name.equals(current)) {
                        require(!closed.contains(name), "family appears twice", where);
                        if (current != null) {
                            closed.add(current);
                        }
                        current = name;
                    }
                    Family f = families.computeIfAbsent(name, Family::new);
                    if (parts[1].equals("TYPE")) {
                        require(parts.length == 4 && TYPES.contains(parts[3]), "bad TYPE", where);
                        require(f.type == null, "second TYPE", where);
                        require(f.samples.isEmpty(), "TYPE after samples", where);
                        f.type = parts[3];
                    } else {
                        require(f.help == null, "second HELP", where);
                        f.help = parts.length == 4 ? parts[3] : "";
                    }
                }
                continue;
            }
            Sample s = sample(line, where);
            String family = familyOf(s.name, families);
            require(family != null, "sample without a TYPE line for its family", where);
            if (!family.equals(current)) {
                require(!closed.contains(family), "family appears twice", where);
                if (current != null) {
                    closed.add(current);
                }
                current = family;
            }
            require(series.add(s.name + new TreeMap<>(s.labels)), "duplicate series", where);
            families.get(family).samples.add(s);
        }
        return families;
    }

    private static String familyOf(String sample, Map<String, Family> families) {
        if (families.containsKey(sample) && families.get(sample).type != null) {
            return sample;
        }
        for (String suffix : new String[] {"_total", "_created", "_bucket", "_count", "_sum"}) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                Family f = families.get(base);
                if (f != null && f.type != null) {
                    return base;
                }
            }
        }
        return null;
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        int n = line.length();
        while (i < n && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        require(METRIC_NAME.matcher(name).matches(), "bad metric name", where);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < n && line.charAt(i) == '{') {
            i++;
            while (true) {
                require(i < n, "unterminated labels", where);
                if (line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = line.indexOf('=', i);
                require(eq > i, "label without '='", where);
                String label = line.substring(i, eq);
                require(LABEL_NAME.matcher(label).matches() && !label.startsWith("__"), "bad label name", where);
                i = eq + 1;
                require(i < n && line.charAt(i) == '"', "label value not quoted", where);
                i++;
                StringBuilder v = new StringBuilder();
                while (true) {
                    require(i < n, "unterminated label value", where);
                    char c = line.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        require(i < n, "dangling escape", where);
                        char e = line.charAt(i++);
                        require(e == '\\' || e == '"' || e == 'n', "bad escape", where);
                        v.append(e == 'n' ? '\n' : e);
                    } else {
                        v.append(c);
                    }
                }
                require(labels.put(label, v.toString()) == null, "label repeated", where);
                require(i < n, "unterminated labels", where);
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
        }
        require(i < n && line.charAt(i) == ' ', "no space before the value", where);
        String[] rest = line.substring(i + 1).split(" ");
        require(rest.length == 1 || rest.length == 2, "value and optional timestamp expected", where);
        double value = value(rest[0], where);
        if (rest.length == 2) {
            try {
                Long.parseLong(rest[1]);
            } catch (NumberFormatException e) {
                throw new AssertionError("bad timestamp: " + where);
            }
        }
        return new Sample(name, labels, value);
    }

    private static double value(String v, String where) {
        switch (v) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new AssertionError("bad value: " + where);
                }
        }
    }

    private static void require(boolean ok, String problem, String where) {
        if (!ok) {
            throw new AssertionError("invalid Prometheus text (" + problem + ") at " + where);
        }
    }
}
