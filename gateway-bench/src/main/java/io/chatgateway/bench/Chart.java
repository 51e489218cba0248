package io.chatgateway.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * Line charts for the report as inline SVG: no script, nothing fetched. An axis is linear or logarithmic, with
 * ticks on round values (1, 2 or 5 times a power of ten; powers of ten on a log axis), so that a delivery latency
 * of 0.3 ms and a connect latency of 1 s can share one chart and both be read. Shaded bands mark the phases of a
 * run on a time axis.
 */
final class Chart {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    static final int WIDTH = 1000;
    /** Height of the plotting area; the chart adds the title, one row per legend line and the x axis. */
    static final int PLOT_HEIGHT = 294;
    private static final int LEFT = 70;
    private static final int RIGHT = 40;
    /** Title and the first legend row above the plot. */
    private static final int HEADER = 56;
    private static final int LEGEND_ROW = 16;
    private static final int BOTTOM = 50;

    private Chart() {
    }

    /** A named line; points that the y axis cannot show (e.g. 0 on a log axis) break the line there. */
    static final class Series {
        final String name;
        final List<double[]> points = new ArrayList<>();

        Series(String name) {
            this.name = name;
        }

        void add(double x, double y) {
            if (!Double.isNaN(y) && !Double.isInfinite(y)) {
                points.add(new double[] {x, y});
            }
        }

        double maxY() {
            return points.stream().mapToDouble(p -> p[1]).max().orElse(0);
        }

        /** The smallest y above zero, or {@link Double#NaN} when there is none. */
        double minPositiveY() {
            return points.stream().mapToDouble(p -> p[1]).filter(y -> y > 0).min().orElse(Double.NaN);
        }
    }

    /** A shaded stretch of the x axis, e.g. a phase of the run. */
    record Band(String label, double from, double to, String fill) {
    }

    /**
     * One axis: its range, its ticks and how a tick is written.
     *
     * @param log {@code min} and {@code max} are powers of ten and positions are logarithmic
     */
    record Axis(String label, double min, double max, boolean log, List<Double> ticks, DoubleFunction<String> format) {
        /** Where {@code v} falls between {@code min} (0) and {@code max} (1); NaN when a log axis cannot show it. */
        double fraction(double v) {
            if (log) {
                return v > 0 ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : Double.NaN;
            }
            return (v - min) / (max - min);
        }

        boolean shows(double v) {
            double f = fraction(v);
            return !Double.isNaN(f) && f >= -1e-9 && f <= 1 + 1e-9;
        }
    }

    /** 1, 2 or 5 times a power of ten, the smallest such step at least {@code rough}. */
    static double niceStep(double rough) {
        if (!(rough > 0)) {
            return 1;
        }
        double mag = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double m : new double[] {1, 2, 5}) {
            if (m * mag >= rough * (1 - 1e-12)) {
                return round(m * mag);
            }
        }
        return round(10 * mag);
    }

    /** A linear axis from 0 (or below, for negative data) to a round value at or above {@code max}. */
    static Axis linear(String label, double min, double max) {
        double lo = Math.min(0, min);
        double hi = max > lo ? max : lo + 1;
        double step = niceStep((hi - lo) / 5);
        lo = Math.floor(lo / step + 1e-9) * step;
        hi = Math.ceil(hi / step - 1e-9) * step;
        List<Double> ticks = new ArrayList<>();
        for (long k = Math.round(lo / step); k <= Math.round(hi / step); k++) {
            ticks.add(round(k * step));
        }
        return new Axis(label, round(lo), round(hi), false, ticks, Chart::number);
    }

    /**
     * A log axis over whole decades around {@code [min, max]} (both above zero). Ticks at every power of ten; over
     * three decades or fewer also at 2 and 5 times each.
     */
    static Axis log(String label, double min, double max) {
        if (!(min > 0) || !(max > 0)) {
            min = max = 1;
        }
        int lo = (int) Math.floor(Math.log10(Math.min(min, max)) + 1e-9);
        int hi = (int) Math.ceil(Math.log10(Math.max(min, max)) - 1e-9);
        if (hi <= lo) {
            hi = lo + 1;
        }
        List<Double> ticks = new ArrayList<>();
        for (int e = lo; e <= hi; e++) {
            double decade = round(Math.pow(10, e));
            ticks.add(decade);
            if (hi - lo <= 3 && e < hi) {
                ticks.add(round(2 * decade));
                ticks.add(round(5 * decade));
            }
        }
        return new Axis(label, round(Math.pow(10, lo)), round(Math.pow(10, hi)), true, ticks, Chart::number);
    }

    /**
     * The percentile axis of a latency distribution: x is {@code 1 / (1 - p)} on a log scale, labelled 0%, 90%,
     * 99%, ... up to at least 99.9%.
     */
    static Axis percentiles(double maxX) {
        int decades = Math.max(3, (int) Math.ceil(Math.log10(Math.max(1, maxX)) - 1e-9));
        List<Double> ticks = new ArrayList<>();
        for (int e = 0; e <= decades; e++) {
            ticks.add(Math.pow(10, e));
        }
        return new Axis("percentile", 1, Math.pow(10, decades), true, ticks, Chart::percentile);
    }

    /** The label of x = 1 / (1 - p) on the percentile axis: 1 is 0%, 10 is 90%, 1000 is 99.9%. */
    static String percentile(double x) {
        int nines = (int) Math.round(Math.log10(x));
        if (nines == 0) {
            return "0%";
        }
        return nines == 1 ? "90%" : nines == 2 ? "99%" : "99." + "9".repeat(nines - 2) + "%";
    }

    /** A tick value as people write it: {@code 0.001}, {@code 0.5}, {@code 2.5}, {@code 10}, {@code 1,500}. */
    static String number(double v) {
        if (v == 0) {
            return "0";
        }
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** Rounds away the binary noise of computed ticks (0.30000000000000004 is 0.3). */
    private static double round(double v) {
        return new BigDecimal(v).round(new MathContext(12)).doubleValue();
    }

    /** The chart; {@code "(no data)"} when no series has a point the axes can show. */
    static String svg(String title, Axis x, Axis y, List<Series> series, List<Band> bands) {
        boolean any = series.stream().anyMatch(s -> s.points.stream().anyMatch(p -> x.shows(p[0]) && y.shows(p[1])));
        if (!any) {
            return "<p>(no data for " + Report.esc(title) + ")</p>\n";
        }
        int pw = WIDTH - LEFT - RIGHT;
        // The legend runs in rows between the title and the plot, where it hides no line.
        int[][] legend = new int[series.size()][];
        int lx = LEFT;
        int row = 0;
        for (int i = 0; i < series.size(); i++) {
            int w = 16 + 7 * series.get(i).name.length();
            if (lx > LEFT && lx + w > LEFT + pw) {
                lx = LEFT;
                row++;
            }
            legend[i] = new int[] {lx, row};
            lx += w + 20;
        }
        int top = HEADER + LEGEND_ROW * row;
        int ph = PLOT_HEIGHT;
        int height = top + ph + BOTTOM;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                + "role=\"img\" class=\"chart\">", WIDTH, height));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>",
                LEFT, Report.esc(title)));
        for (Band band : bands) {
            double from = Math.max(0, Math.min(1, x.fraction(band.from())));
            double to = Math.max(0, Math.min(1, x.fraction(band.to())));
            if (Double.isNaN(from) || Double.isNaN(to) || to <= from) {
                continue;
            }
            double bx = LEFT + pw * from;
            double bw = pw * (to - from);
            b.append(String.format(Locale.ROOT, "<rect class=\"band\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                    + "fill=\"%s\"><title>%s</title></rect>", bx, top, bw, ph, band.fill(), Report.esc(band.label())));
            // A label only where it fits; the phase table under the charts lists every phase anyway.
            if (bw >= 7 * band.label().length() + 6) {
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555\">%s</text>",
                        bx + 3, top + ph - 6, Report.esc(band.label())));
            }
        }
        for (double t : y.ticks()) {
            double py = top + ph - ph * y.fraction(t);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>",
                    LEFT, py, LEFT + pw, py));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>",
                    LEFT - 6, py + 4, Report.esc(y.format().apply(t))));
        }
        for (double t : x.ticks()) {
            double px = LEFT + pw * x.fraction(t);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>",
                    px, top, px, top + ph));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                    px, top + ph + 16, Report.esc(x.format().apply(t))));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
                LEFT + pw / 2, height - 10, Report.esc(x.label())));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(16 %d) rotate(-90)\" font-size=\"12\" "
                + "text-anchor=\"middle\">%s</text>", top + ph / 2, Report.esc(y.label() + (y.log() ? " (log scale)" : ""))));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
                LEFT, top, pw, ph));
        int si = 0;
        for (Series s : series) {
            String color = COLORS[si % COLORS.length];
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            for (double[] p : s.points) {
                if (!x.shows(p[0]) || !y.shows(p[1])) {
                    pen = false;
                    continue;
                }
                double px = LEFT + pw * x.fraction(p[0]);
                double py = top + ph - ph * y.fraction(p[1]);
                path.append(pen ? "L" : "M").append(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
                pen = true;
            }
            b.append("<path class=\"series\" d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
                    .append("\" stroke-width=\"2\"/>");
            int ly = HEADER + LEGEND_ROW * legend[si][1];
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>",
                    legend[si][0], ly - 16, color));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>",
                    legend[si][0] + 16, ly - 10, Report.esc(s.name)));
            si++;
        }
        b.append("</svg>\n");
        return b.toString();
    }
}
