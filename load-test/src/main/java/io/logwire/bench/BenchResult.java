package io.logwire.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of one scenario run: a JSON object (printed with {@code --json}) and the human
 * summary lines. Every result carries the scenario, its parameters, the machine's load average,
 * a status and the error count; latencies are HdrHistogram percentiles in microseconds.
 */
public final class BenchResult {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private final ObjectNode root = JSON.createObjectNode();
    private final List<String> lines = new ArrayList<>();
    private boolean failed;

    public BenchResult(String scenario) {
        root.put("scenario", scenario);
        root.put("date", Instant.now().toString());
        root.put("loadAverage", loadAverage());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.putObject("parameters");
    }

    public ObjectNode json() {
        return root;
    }

    public ObjectNode parameters() {
        return (ObjectNode) root.get("parameters");
    }

    /** Adds a line to the human summary. */
    public BenchResult line(String format, Object... args) {
        lines.add(String.format(Locale.ROOT, format, args));
        return this;
    }

    /** Marks the run failed (non-zero exit) and says why. */
    public BenchResult fail(String why) {
        failed = true;
        root.withArray("failures").add(why);
        lines.add("FAILED: " + why);
        return this;
    }

    public boolean failed() {
        return failed;
    }

    /** Throughput figures: entries/s and MB/s (10^6 bytes) over {@code seconds}. */
    public static ObjectNode throughput(ObjectNode into, long entries, long bytes, double seconds) {
        into.put("entries", entries);
        into.put("bytes", bytes);
        into.put("seconds", round(seconds, 3));
        into.put("entriesPerSecond", seconds > 0 ? Math.round(entries / seconds) : 0);
        into.put("megabytesPerSecond", seconds > 0 ? round(bytes / seconds / 1e6, 2) : 0);
        return into;
    }

    /** The percentiles of {@code h} (microseconds) as a JSON object. */
    public static ObjectNode latency(ObjectNode into, Histogram h) {
        into.put("unit", "us");
        into.put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            return into;
        }
        for (double p : PERCENTILES) {
            into.put(percentileName(p), h.getValueAtPercentile(p));
        }
        into.put("max", h.getMaxValue());
        into.put("mean", round(h.getMean(), 1));
        return into;
    }

    /** One summary line of a latency histogram, in milliseconds. */
    public static String latencyLine(String what, Histogram h) {
        if (h.getTotalCount() == 0) {
            return what + ": no samples";
        }
        return String.format(Locale.ROOT, "%s (ms, n=%d): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f", what,
                h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
    }

    static String percentileName(double p) {
        String s = p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
        return "p" + s;
    }

    /** A histogram for latencies in microseconds from 1 us to an hour, 3 significant digits. */
    public static Histogram newHistogram() {
        return new Histogram(1, 3_600_000_000L, 3);
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }

    /** The 1-minute load average, or -1 where /proc/loadavg is missing. */
    public static double loadAverage() {
        try {
            String s = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"));
            return Double.parseDouble(s.substring(0, s.indexOf(' ')));
        } catch (Exception e) {
            return -1;
        }
    }

    /** Prints the summary to {@code human} and, if {@code json}, the JSON object to {@code out}. */
    public void print(PrintStream out, PrintStream human, boolean json) {
        root.put("status", failed ? "failed" : "ok");
        root.put("loadAverageAfter", loadAverage());
        for (String l : lines) {
            human.println(l);
        }
        human.printf(Locale.ROOT, "load average %.2f -> %.2f on %d cores; status %s%n",
                root.get("loadAverage").asDouble(), root.get("loadAverageAfter").asDouble(),
                root.get("cores").asInt(), failed ? "FAILED" : "ok");
        if (json) {
            out.println(toJson());
        }
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
