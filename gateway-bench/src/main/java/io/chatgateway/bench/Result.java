package io.chatgateway.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run found: headline metrics, the checks (each one counted, never assumed), histograms, the timeline and
 * anything else the scenario measured. Written as results.json, .hgrm files and report.html by {@link Report}.
 */
public final class Result {
    /** One check: a count that must be zero (or a condition that must hold), and what was seen. */
    public record Check(String name, boolean passed, String detail) {
    }

    final String scenario;
    final Map<String, Object> metrics = new LinkedHashMap<>();
    final Map<String, Object> extra = new LinkedHashMap<>();
    final Map<String, Histogram> histograms = new LinkedHashMap<>();
    final List<Check> checks = new ArrayList<>();
    final List<String[]> table = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    /** Sections of the report a scenario adds (self-contained HTML, e.g. a chart), after the timeline's. */
    final List<String> htmlSections = new ArrayList<>();
    Map<String, Object> environment = new LinkedHashMap<>();
    Map<String, String> options = new LinkedHashMap<>();
    List<Timeline.Point> timeline = List.of();
    List<Timeline.Phase> phases = List.of();
    Totals totals;

    Result(String scenario) {
        this.scenario = scenario;
    }

    public String scenario() {
        return scenario;
    }

    /** {@code true} when every check passed. */
    public boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    public List<Check> checks() {
        return checks;
    }

    /** A headline metric by name (e.g. {@code delivered_per_second}), or {@code null}. */
    public Object metric(String name) {
        return metrics.get(name);
    }

    /** A final counter summed over the workers (e.g. {@code unique}, {@code duplicates}), 0 when absent. */
    public long counter(String name) {
        return totals == null ? 0 : totals.get(name);
    }

    public Map<String, Histogram> histograms() {
        return histograms;
    }

    void row(String name, String value) {
        table.add(new String[] {name, value});
    }

    void check(String name, long count) {
        checks.add(new Check(name, count == 0, String.format(java.util.Locale.ROOT, "%,d", count)));
    }

    void check(String name, boolean passed, String detail) {
        checks.add(new Check(name, passed, detail));
    }
}
