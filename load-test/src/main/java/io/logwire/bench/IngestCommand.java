package io.logwire.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.client.io.EntryFormat;
import io.logwire.client.io.EntryReader;
import io.logwire.protocol.entry.LogEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code ingest}: pipelined uploads over N connections, then the end-to-end lost/duplicated check. */
@Command(name = "ingest", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Uploads generated entries over pipelined connections and reports entries/s, MB/s and the "
                + "upload acknowledgement latency; then queries the run back (by its marker in 'server') and "
                + "reports lost and duplicated entries, which must be 0."})
final class IngestCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = {"-c", "--connections"}, defaultValue = "8", description = "Connections.")
    int connections;

    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Entries per UPLOAD.")
    int batch;

    @Option(names = "--in-flight", defaultValue = "4", description = "UPLOADs in flight per connection.")
    int inFlight;

    @Option(names = {"-n", "--entries"}, defaultValue = "1000000",
            description = "Entries to upload; 0 = run for --duration instead.")
    long entries;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "S",
            description = "Seconds to upload when --entries is 0.")
    int duration;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "ENTRIES_PER_S",
            description = "Open loop: send batches at this total rate, latency from each batch's due time; 0 = as fast "
                    + "as the in-flight window allows.")
    double rate;

    @Option(names = "--entry-size", defaultValue = "natural", paramLabel = "DIST",
            description = "Entry size distribution: natural, N (bytes encoded) or MIN-MAX (uniform).")
    String entrySize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the generated data.")
    long seed;

    @Option(names = "--marker", paramLabel = "TEXT",
            description = "The run's 'server' value; default: run-<seed>-<random>, unique per run.")
    String marker;

    @Option(names = "--client-threads", defaultValue = "0",
            description = "Client event-loop threads; 0 = min(connections, cores).")
    int clientThreads;

    @Option(names = "--pregenerate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Generate and encode all entries before the timed part (when they fit in half the heap).")
    boolean pregenerate;

    @Option(names = "--file", paramLabel = "FILE",
            description = "Upload the entries of this CSV / JSON Lines file (as 'logwire upload' reads it; loaded into "
                    + "memory before the timed part) instead of generated ones; the check is then by count.")
    Path file;

    @Option(names = "--peer", paramLabel = "NAME",
            description = "Also print one 'peer=NAME entries=.. seconds=.. entries_per_s=..' line (bench/peers format).")
    String peer;

    @Option(names = "--warmup-entries", defaultValue = "0", paramLabel = "N",
            description = "First upload N entries untimed and unchecked (marker <marker>-warmup) so the JIT has "
                    + "compiled both sides; at --rate when one is given (so the warm-up does not fill queues the "
                    + "measured part then inherits). They stay in the store.")
    long warmupEntries;

    @Option(names = "--no-check", description = "Skip the end-to-end query-back check.")
    boolean noCheck;

    @Override
    BenchResult execute(long deadline) throws Exception {
        if (connections < 1 || batch < 1 || inFlight < 1 || entries < 0 || entries > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--connections, --batch, --in-flight must be >= 1 and --entries 0..2^31-1");
        }
        BenchResult r = new BenchResult("ingest");
        List<LogEntry> loaded = null;
        if (file != null) {
            loaded = readFile(file);
            entries = loaded.size();
        }
        String m = marker != null ? marker : runMarker(seed);
        DataGenerator gen = new DataGenerator(seed, m, DataGenerator.EntrySize.parse(entrySize));
        IngestRun.Plan plan = plan(connections, batch, inFlight, entries == 0 ? -1 : entries, duration, clientThreads,
                pregenerate, gen.maxEncodedBytes()).withRate(rate);
        var p = r.parameters();
        p.put("target", target.describe());
        p.put("tls", !target.plaintext);
        p.put("connections", connections);
        p.put("batch", batch);
        p.put("inFlight", inFlight);
        p.put("rate", rate);
        p.put("entries", entries);
        p.put("durationSeconds", entries == 0 ? duration : 0);
        p.put("entrySize", entrySize);
        p.put("seed", seed);
        p.put("marker", m);
        p.put("pregenerated", plan.pregenerate());
        ServerInfo before = ServerInfo.fetch(target);
        before.describe(r, "server");
        p.put("file", file == null ? null : file.toString());
        p.put("warmupEntries", warmupEntries);
        if (warmupEntries > 0) {
            BenchResult scratch = new BenchResult("warmup");
            DataGenerator warmupGen = new DataGenerator(seed + 1, m + "-warmup", DataGenerator.EntrySize.parse(entrySize));
            new IngestRun(target, plan(connections, batch, inFlight, warmupEntries, 0, clientThreads, pregenerate,
                    warmupGen.maxEncodedBytes()).withRate(rate), warmupGen, deadline, false).run(scratch);
            r.line("warm-up: %,d entries uploaded untimed%s", warmupEntries, scratch.failed() ? " (with errors)" : "");
        }
        // What a --file run's count check starts from: the store after the warm-up.
        long storedBeforeRun = warmupEntries > 0 ? ServerInfo.fetch(target).entriesStored() : before.entriesStored();
        IngestRun ingest = new IngestRun(target, plan, gen, deadline, run.progress());
        if (loaded != null) {
            ingest.entries(loaded);
        }
        ingest.run(r);
        if (!noCheck) {
            if (loaded != null) {
                ingest.verifyCount(r, storedBeforeRun);
            } else {
                ingest.verify(r);
            }
        }
        if (peer != null) {
            JsonNode in = r.json().path("ingest");
            JsonNode check = r.json().path("check");
            System.out.printf(Locale.ROOT, "peer=%s entries=%d seconds=%.3f entries_per_s=%d status=%s "
                            + "durability=%s mb_per_s=%.1f connections=%d batch=%d in_flight=%d lost=%s duplicated=%s "
                            + "ack_p50_ms=%.3f ack_p99_ms=%.3f tls=%s warmup_entries=%d load_avg=%.2f%n",
                    peer, in.path("entries").asLong(), in.path("seconds").asDouble(), in.path("entriesPerSecond").asLong(),
                    r.failed() ? "failed" : "ok", before.fsync().equals("always") ? "fsync-before-ack" : "fsync-" + before.fsync(),
                    in.path("megabytesPerSecond").asDouble(), connections, batch, inFlight,
                    check.path("lost").asText("unchecked"), check.path("duplicated").asText("unchecked"),
                    r.json().path("uploadAckLatency").path("p50").asLong() / 1e3,
                    r.json().path("uploadAckLatency").path("p99").asLong() / 1e3, !target.plaintext, warmupEntries,
                    BenchResult.loadAverage());
        }
        return r;
    }

    /** The whole file in memory (untimed), read as {@code logwire upload} reads it. */
    private static List<LogEntry> readFile(Path f) throws Exception {
        List<LogEntry> out = new ArrayList<>();
        EntryFormat fmt = EntryFormat.forFileName(f.toString());
        try (BufferedInputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
            if (fmt == null) {
                fmt = EntryFormat.sniff(in);
            }
            try (EntryReader reader = fmt.reader(f.toString(), in)) {
                for (LogEntry e = reader.next(); e != null; e = reader.next()) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    static String runMarker(long seed) {
        return "run-" + seed + "-" + Long.toString(System.nanoTime() & 0xFFFFFFFFL, 36);
    }

    static IngestRun.Plan plan(int connections, int batch, int inFlight, long entries, int duration, int clientThreads,
                               boolean pregenerate, long bytesPerEntry) {
        int threads = clientThreads > 0 ? clientThreads
                : Math.min(connections, Runtime.getRuntime().availableProcessors());
        // Encoded entries are kept (one byte[] per batch, plus one batch of objects at a time);
        // they must fit in half the heap, judged by the largest entry the generator makes.
        boolean fits = entries > 0 && entries * bytesPerEntry < Runtime.getRuntime().maxMemory() / 2;
        return new IngestRun.Plan(connections, batch, inFlight, entries, duration, threads, pregenerate && fits);
    }
}
