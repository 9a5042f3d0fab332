package io.logwire.bench;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;

import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic access-log entries: entry {@code g} of a run is a pure function of the seed,
 * the run marker, {@code g} and the sending connection, so any run can be regenerated and
 * checked. Designed for exact query selectivities and for the end-to-end check:
 * <ul>
 *   <li>{@code server} = the run marker, so one run's entries are found among any others;</li>
 *   <li>{@code port} = {@code (g * 7919 + offset(seed)) mod 10000}: a permutation of 0..9999 over
 *       every 10,000 consecutive entries, so {@code port<1}, {@code port<100},
 *       {@code port<5000} match exactly 0.01 %, 1 % and 50 % of a multiple of 10,000 entries;</li>
 *   <li>{@code dataSent} = {@code g} (unique key: lost and duplicated entries are counted by it);</li>
 *   <li>{@code username} = {@code c<connection>-u<n>} plus padding to the chosen entry size, so
 *       stored entries can be counted per sending connection.</li>
 * </ul>
 */
public final class DataGenerator {
    /** Ports cycle through this many values: selectivities are exact on multiples of it. */
    public static final int PORT_CYCLE = 10_000;
    private static final int PORT_STRIDE = 7919; // prime, coprime to PORT_CYCLE
    /** accessTime of entry 0: 2024-01-01T00:00:00Z, in epoch seconds (u32). */
    public static final long BASE_TIME = 1_704_067_200L;
    private static final String PAD = "x".repeat(65_000);

    private final long seed;
    private final String marker;
    private final EntrySize size;
    private final int portOffset;
    private final int markerBytes;

    /**
     * An upper estimate of one entry's encoded bytes, for sizing what the tool keeps in memory:
     * natural entries are at most 64 bytes besides the marker.
     */
    public long maxEncodedBytes() {
        return Math.max(size.max(), 64 + markerBytes) + 8;
    }

    public DataGenerator(long seed, String marker, EntrySize size) {
        this.seed = seed;
        this.marker = marker;
        this.markerBytes = marker.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        this.size = size;
        this.portOffset = (int) Math.floorMod(mix(seed ^ 0x5DEECE66DL), (long) PORT_CYCLE);
    }

    public String marker() {
        return marker;
    }

    /** The port of entry {@code g}. */
    public int port(long g) {
        return (int) Math.floorMod(g * PORT_STRIDE + portOffset, (long) PORT_CYCLE);
    }

    /** Entry {@code g}, sent by connection {@code connection}. */
    public LogEntry entry(long g, int connection) {
        long h = mix(seed * 0x9E3779B97F4A7C15L + g);
        long h2 = mix(h);
        String user = "c" + connection + "-u" + (h & 0xFFFF) % 5000;
        String ip = "10." + ((h >>> 16) & 0xFF) + "." + ((h >>> 24) & 0xFF) + "." + ((h >>> 32) & 0xFF);
        int pad = size.padding(h2, LogEntryCodec.OVERHEAD + user.length() + ip.length() + markerBytes);
        if (pad > 0) {
            user = user + "-" + PAD.substring(0, pad - 1);
        }
        long accessTime = BASE_TIME + g / 1000;
        long received = (h2 >>> 8) & 0xFF_FFFFL;
        float score = ((h2 >>> 40) & 0xFFFF) / 655.36f; // 0 .. 100
        return new LogEntry(user, ip, port(g), accessTime, g & LogEntry.U32_MAX, received, score, marker);
    }

    /** Entries {@code first .. first+count-1}, all sent by {@code connection}. */
    public List<LogEntry> batch(long first, int count, int connection) {
        List<LogEntry> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(entry(first + i, connection));
        }
        return out;
    }

    /** The sending connection recorded in an entry's username, or -1. */
    public static int connectionOf(LogEntry e) {
        String u = e.username();
        int dash = u.indexOf('-');
        if (!u.startsWith("c") || dash < 2) {
            return -1;
        }
        try {
            return Integer.parseInt(u, 1, dash, 10);
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    /** SplitMix64's finaliser: a good 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The entry-size distribution: {@code natural} (no padding, about 50-60 bytes encoded),
     * {@code N} (every entry about N bytes of strings), or {@code MIN-MAX} (uniform).
     */
    public record EntrySize(int min, int max) {
        public static final EntrySize NATURAL = new EntrySize(0, 0);

        public static EntrySize parse(String s) {
            String t = s.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.equals("natural")) {
                return NATURAL;
            }
            int dash = t.indexOf('-');
            int min = Integer.parseInt(dash < 0 ? t : t.substring(0, dash));
            int max = dash < 0 ? min : Integer.parseInt(t.substring(dash + 1));
            if (min < 0 || max < min || max > 60_000) {
                throw new IllegalArgumentException("entry size must be natural, N or MIN-MAX with 0 <= MIN <= MAX <= 60000: " + s);
            }
            return new EntrySize(min, max);
        }

        /** Padding bytes to add to an entry of {@code have} encoded bytes; 0 when already as large. */
        int padding(long random, int have) {
            if (max == 0) {
                return 0;
            }
            int target = min + (int) Math.floorMod(random, (long) (max - min + 1));
            return Math.max(0, target - have);
        }

        @Override
        public String toString() {
            return max == 0 ? "natural" : min == max ? Integer.toString(min) : min + "-" + max;
        }
    }
}
