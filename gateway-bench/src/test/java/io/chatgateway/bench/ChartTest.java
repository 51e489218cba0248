package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartTest {

    @Test
    void stepsAreOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(10, Chart.niceStep(7.9));
        assertEquals(0.5, Chart.niceStep(0.46));
        assertEquals(2, Chart.niceStep(1.1));
        assertEquals(5, Chart.niceStep(3));
        assertEquals(0.005, Chart.niceStep(0.003));
        assertEquals(1000, Chart.niceStep(1000));
    }

    @Test
    void linearTicksAreRoundAndCoverTheData() {
        assertEquals(List.of(0.0, 10.0, 20.0, 30.0, 40.0, 50.0), Chart.linear("s", 0, 47.3).ticks());
        assertEquals(List.of(0.0, 0.5, 1.0, 1.5, 2.0, 2.5), Chart.linear("ms", 0, 2.3).ticks());
        assertEquals(List.of(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), Chart.linear("x", 0, 0).ticks(), "no data: 0 to 1");
        for (double max : new double[] {0.07, 0.3, 1, 3.3, 12, 99, 101, 777, 28_232, 1_234_567}) {
            Chart.Axis a = Chart.linear("x", 0, max);
            List<Double> t = a.ticks();
            double step = t.get(1) - t.get(0);
            assertEquals(0.0, t.get(0), "from zero: " + t);
            assertTrue(t.get(t.size() - 1) >= max && t.get(t.size() - 1) - step < max, max + ": " + t);
            assertTrue(t.size() >= 4 && t.size() <= 11, max + ": " + t);
            for (double v : t) {
                String label = Chart.number(v);
                assertTrue(label.length() <= 9, "a short label: " + label);
                assertEquals(v, Double.parseDouble(label.replace(",", "")), 1e-12, "the label is the value: " + label);
            }
        }
    }

    @Test
    void logAxisSpansWholeDecadesAndShowsSubMillisecondAndSecondsTogether() {
        Chart.Axis a = Chart.log("ms", 0.21, 1340);
        assertEquals(List.of(0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0), a.ticks());
        assertEquals(0.2, a.fraction(1) - a.fraction(0.1), 1e-9, "every decade gets the same room");
        // On a linear axis to 1,340 ms a 0.3 ms line sat at 0.02 % of the height: on the floor.
        assertTrue(a.fraction(0.3) > 0.05, "0.3 ms is off the floor: " + a.fraction(0.3));
        assertTrue(a.fraction(1000) - a.fraction(0.3) > 0.6, "and well apart from 1 s");
        assertFalse(a.shows(0), "zero has no place on a log axis");
        assertEquals(List.of(0.1, 0.2, 0.5, 1.0), Chart.log("ms", 0.25, 0.9).ticks(), "a short range gets 2 and 5 too");
        assertEquals(List.of(1.0, 2.0, 5.0, 10.0), Chart.log("ms", 3, 3).ticks(), "one value still gets a decade");
    }

    @Test
    void percentileAxisIsLabelledInNines() {
        Chart.Axis a = Chart.percentiles(12_000);
        assertEquals(List.of("0%", "90%", "99%", "99.9%", "99.99%", "99.999%"),
                a.ticks().stream().map(a.format()::apply).toList());
        assertEquals(4, Chart.percentiles(2).ticks().size(), "at least up to 99.9%");
    }

    @Test
    void numbersAreWrittenAsPeopleWriteThem() {
        assertEquals("0.001", Chart.number(0.001));
        assertEquals("0.3", Chart.number(0.1 + 0.2));
        assertEquals("2.5", Chart.number(2.5));
        assertEquals("10", Chart.number(10));
        assertEquals("1,500", Chart.number(1500));
        assertEquals("0", Chart.number(0));
    }

    @Test
    void aLongLegendWrapsIntoRowsAndTheChartGrowsToHoldThem() {
        List<Chart.Series> series = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Chart.Series s = new Chart.Series("last_passing_step_time_to_last_member " + i + " (p50 12 ms, p99 80 ms)");
            s.add(1, 10 + i);
            s.add(2, 20 + i);
            series.add(s);
        }
        String svg = Chart.svg("t", Chart.linear("s", 0, 2), Chart.linear("ms", 0, 30), series, List.of());
        Matcher box = Pattern.compile("viewBox=\"0 0 (\\d+) (\\d+)\"").matcher(svg);
        assertTrue(box.find());
        int width = Integer.parseInt(box.group(1));
        assertTrue(Integer.parseInt(box.group(2)) > 56 + Chart.PLOT_HEIGHT + 50, "taller for the extra rows: " + svg);
        Matcher text = Pattern.compile("<text x=\"(\\d+)\" y=\"\\d+\" font-size=\"12\">(last_passing[^<]*)</text>")
                .matcher(svg);
        int found = 0;
        while (text.find()) {
            found++;
            assertTrue(Integer.parseInt(text.group(1)) + 7 * text.group(2).length() <= width, "inside the chart: "
                    + text.group());
        }
        assertEquals(4, found);
    }

    @Test
    void drawsBothScalesBreaksLinesAtGapsAndShadesBands() {
        Chart.Series fast = new Chart.Series("delivery");
        Chart.Series slow = new Chart.Series("connect");
        for (int s = 1; s <= 10; s++) {
            fast.add(s, s == 5 ? 0 : 0.3);
            slow.add(s, 1000);
        }
        Chart.Axis y = Chart.log("ms", 0.3, 1000);
        String svg = Chart.svg("latency", Chart.linear("s", 0, 10), y, List.of(fast, slow),
                List.of(new Chart.Band("warmup", 0, 3, "#fde3c4"), new Chart.Band("measure", 3, 10, "#d7efd2")));
        List<String> paths = new ArrayList<>();
        Matcher m = Pattern.compile("<path class=\"series\" d=\"([^\"]*)\"").matcher(svg);
        while (m.find()) {
            paths.add(m.group(1));
        }
        assertEquals(2, paths.size(), svg);
        assertEquals(2, paths.get(0).chars().filter(c -> c == 'M').count(), "the 0 second breaks the line: " + paths.get(0));
        double fastY = Double.parseDouble(paths.get(0).split("[ML,]")[2]);
        double slowY = Double.parseDouble(paths.get(1).split("[ML,]")[2]);
        double bottom = 56 + Chart.PLOT_HEIGHT;
        assertTrue(bottom - fastY > 10 && fastY - slowY > 100, "both lines stand apart, off the floor: " + fastY + " "
                + slowY);
        assertTrue(svg.contains("fill=\"#fde3c4\"><title>warmup</title>") && svg.contains("<title>measure</title>"), svg);
        assertTrue(svg.contains("ms (log scale)"), "the scale is said");
        assertFalse(svg.contains("width=\"900\""), "sized by the page, not fixed: " + svg.substring(0, 120));
        assertTrue(Chart.svg("empty", Chart.linear("s", 0, 1), y, List.of(new Chart.Series("none")), List.of())
                .contains("no data"));
    }
}
