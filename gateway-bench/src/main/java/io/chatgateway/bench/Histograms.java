package io.chatgateway.bench;

import org.HdrHistogram.Histogram;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;

/**
 * Histogram helpers. Latencies are recorded in microseconds with 3 significant digits; histograms travel between
 * the bench's processes in HdrHistogram's compressed form, base64-encoded, and are merged exactly.
 */
public final class Histograms {
    /** Percentiles every report shows. */
    public static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private Histograms() {
    }

    public static Histogram create() {
        Histogram h = new Histogram(3);
        h.setAutoResize(true);
        return h;
    }

    public static String encode(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(buf);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n));
    }

    public static Histogram decode(String base64) {
        try {
            Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
            h.setAutoResize(true);
            return h;
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("not an encoded histogram", e);
        }
    }

    /** p50, p90, p99, p99.9 and max in milliseconds, plus the count. */
    public static Map<String, Object> summaryMillis(Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.getTotalCount());
        for (double p : PERCENTILES) {
            m.put(label(p), millis(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p)));
        }
        m.put("max", millis(h.getTotalCount() == 0 ? 0 : h.getMaxValue()));
        m.put("mean", h.getTotalCount() == 0 ? 0 : Math.round(h.getMean()) / 1000.0);
        return m;
    }

    /** {@code p50}, {@code p99.9}. */
    public static String label(double p) {
        return p == Math.rint(p) ? "p" + (long) p : "p" + p;
    }

    static double millis(long micros) {
        return micros / 1000.0;
    }

    /** The percentile distribution in the .hgrm text format (values in milliseconds), as HdrHistogram's plotter reads it. */
    public static String hgrm(Histogram h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            h.outputPercentileDistribution(ps, 5, 1000.0);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
