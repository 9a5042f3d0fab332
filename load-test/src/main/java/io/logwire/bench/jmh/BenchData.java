package io.logwire.bench.jmh;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic batches of realistic entries (PROTOCOL.md section 3) shared by the
 * benchmarks: same seed, same bytes, on every run and every machine.
 */
final class BenchData {
    /** Entries per batch; every benchmark reports entries per second through it. */
    static final int BATCH = 1000;
    static final long SEED = 20_250_615L;

    /** Start of the simulated 30 days of access times (2025-06-15T14:13:20Z), u32 seconds. */
    static final long T0 = 1_750_000_000L;
    static final long SPAN = 30L * 86_400;

    /** A numeric and a string criterion: about 20% of entries pass the first, 1.4% both. */
    static final String OBJECT_FILTER = "score>4.0, username=Amy Brown";

    /**
     * A 2-criterion numeric filter for scans of encoded entries, about 1% selective: the last
     * three days of the window (10%) and a high score (10%).
     */
    static final String NUMERIC_FILTER = "accessTime>=" + (T0 + 27L * 86_400) + ", score>4.5";

    private static final String[] FIRST = {
        "trent", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
        "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "victor", "walter", "yusuf",
    };
    /** Non-ASCII names (2- and 3-byte UTF-8, one 4-byte emoji), about 3% of usernames. */
    private static final String[] NON_ASCII = {
        "zoë", "józef", "łukasz", "ünal", "søren", "françois", "田中", "müller", "ñandú", "zoë🚀",
    };
    private static final String[] SERVERS = {
        "web-01", "web-02", "web-03", "web-04", "api-01", "api-02", "db-01", "cache-01",
    };
    private static final int[] COMMON_PORTS = {80, 443, 8080, 8443, 22, 3306};

    private BenchData() {
    }

    /** {@link #BATCH} entries from {@link #SEED}. */
    static List<LogEntry> entries() {
        SplittableRandom r = new SplittableRandom(SEED);
        List<LogEntry> out = new ArrayList<>(BATCH);
        for (int n = 0; n < BATCH; n++) {
            out.add(entry(r));
        }
        return out;
    }

    private static LogEntry entry(SplittableRandom r) {
        String username;
        int kind = r.nextInt(100);
        if (kind < 5) {
            username = "Amy Brown"; // the object filter's name
        } else if (kind < 8) {
            username = NON_ASCII[r.nextInt(NON_ASCII.length)] + r.nextInt(1000);
        } else {
            username = FIRST[r.nextInt(FIRST.length)] + r.nextInt(1000);
        }
        String ip = (1 + r.nextInt(223)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
        String server = r.nextBoolean()
                ? "10.2." + r.nextInt(16) + "." + (1 + r.nextInt(254))
                : SERVERS[r.nextInt(SERVERS.length)];
        int port = r.nextInt(4) == 0 ? 1024 + r.nextInt(65536 - 1024) : COMMON_PORTS[r.nextInt(COMMON_PORTS.length)];
        long accessTime = T0 + r.nextLong(SPAN);
        // Byte counters spread over the whole u32 range on a log scale (some above 2^31).
        long dataSent = Math.min(LogEntry.U32_MAX, (long) Math.pow(2, r.nextDouble(32)));
        long dataReceived = Math.min(LogEntry.U32_MAX, (long) Math.pow(2, r.nextDouble(32)));
        float score = r.nextInt(500) / 100f; // 0.00 .. 4.99
        return new LogEntry(username, ip, port, accessTime, dataSent, dataReceived, score, server);
    }

    /** The batch's wire bytes. */
    static byte[] encoded(List<LogEntry> entries) {
        ByteBuf buf = Unpooled.buffer();
        LogEntryCodec.encodeAll(entries, buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    /** Fraction of {@code entries} that {@code filter} matches. */
    static double selectivity(List<LogEntry> entries, String filter) {
        EntryPredicate p = Filter.parse(filter).compile();
        return entries.stream().filter(p::test).count() / (double) entries.size();
    }
}
