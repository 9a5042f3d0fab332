package io.logwire.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logwire.client.LogwireClient;
import io.logwire.client.RowStream;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;

/**
 * {@code query}: optionally loads a data set, then runs filters of exact selectivity over the
 * whole store and reports the scan rate (entries stored / seconds) and query latency.
 */
@Command(name = "query", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Runs filters of chosen selectivity over the store and reports the scan rate (entries in "
                + "the store / seconds to the last row) and latency. Selectivity S%% of a loaded run is the filter "
                + "'server=<marker>, port<S*100' (exact on multiples of 10,000 entries); 100%% is the empty filter "
                + "(everything in the store)."})
final class QueryCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = "--load", defaultValue = "1000000", paramLabel = "N",
            description = "First upload N entries (rounded up to a multiple of 10,000); 0 = query what --marker stored.")
    long load;

    @Option(names = "--marker", paramLabel = "TEXT",
            description = "The run to query (with --load 0: the marker of an earlier ingest/query run).")
    String marker;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--selectivity", split = ",", defaultValue = "0.01,1,50,100", paramLabel = "PCT",
            description = "Selectivities in percent.")
    List<Double> selectivities;

    @Option(names = "--repeat", defaultValue = "3", description = "Runs of each filter.")
    int repeat;

    @Option(names = {"-c", "--connections"}, defaultValue = "4", description = "Connections for --load.")
    int connections;

    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Batch size for --load.")
    int batch;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("query");
        long n = load <= 0 ? 0 : (load + DataGenerator.PORT_CYCLE - 1) / DataGenerator.PORT_CYCLE * DataGenerator.PORT_CYCLE;
        if (n == 0 && marker == null) {
            throw new IllegalArgumentException("--load 0 needs the --marker of an earlier run");
        }
        String m = marker != null ? marker : IngestCommand.runMarker(seed);
        var p = r.parameters();
        p.put("target", target.describe());
        p.put("load", n);
        p.put("marker", m);
        p.put("repeat", repeat);
        ServerInfo.fetch(target).describe(r, "server");
        if (n > 0) {
            DataGenerator gen = new DataGenerator(seed, m, DataGenerator.EntrySize.NATURAL);
            IngestRun ingest = new IngestRun(target,
                    IngestCommand.plan(connections, batch, 8, n, 0, 0, true, gen.maxEncodedBytes()), gen, deadline, run.progress());
            ingest.run(r);
            ingest.verify(r);
            if (r.failed()) {
                return r;
            }
        }
        try (LogwireClient client = LogwireClient.connect(target.builder().maxBufferedRows(65_536).build())) {
            ServerInfo info = ServerInfo.of(client);
            long stored = info.entriesStored();
            long runEntries = n > 0 ? n : count(client, "server=" + quote(m));
            r.json().put("entriesStored", stored);
            r.json().put("runEntries", runEntries);
            ArrayNode out = r.json().putArray("queries");
            Histogram all = BenchResult.newHistogram();
            for (double s : selectivities) {
                boolean full = s >= 100;
                String filter = full ? "" : "server=" + quote(m) + ", port<" + Math.round(s * DataGenerator.PORT_CYCLE / 100);
                long expected = full ? stored : Math.round(runEntries * s / 100);
                Histogram h = BenchResult.newHistogram();
                long rows = -1;
                double best = Double.MAX_VALUE;
                for (int i = 0; i < repeat && System.nanoTime() < deadline; i++) {
                    long t0 = System.nanoTime();
                    rows = count(client, filter);
                    long ns = System.nanoTime() - t0;
                    h.recordValue(Math.max(1, ns / 1000));
                    all.recordValue(Math.max(1, ns / 1000));
                    best = Math.min(best, ns / 1e9);
                }
                double median = h.getValueAtPercentile(50) / 1e6;
                ObjectNode q = out.addObject();
                q.put("selectivityPercent", s);
                q.put("filter", filter);
                q.put("rows", rows);
                q.put("expectedRows", expected);
                q.put("scanned", stored);
                q.put("bestSeconds", BenchResult.round(best, 4));
                q.put("entriesScannedPerSecond", Math.round(stored / best));
                q.put("medianEntriesScannedPerSecond", Math.round(stored / median));
                q.put("rowsPerSecond", Math.round(rows / best));
                BenchResult.latency(q.putObject("latency"), h);
                r.line("query %6s%% %-44s %,11d rows in %8.4f s (best of %d) = %,.0f entries/s scanned, %,.0f rows/s; "
                                + "p50 %.1f ms, max %.1f ms",
                        fmt(s), "'" + filter + "'", rows, best, h.getTotalCount(), stored / best, rows / best,
                        h.getValueAtPercentile(50) / 1e3, h.getMaxValue() / 1e3);
                if (rows != expected) {
                    r.fail("selectivity " + fmt(s) + "%: " + rows + " rows, expected " + expected);
                }
            }
            BenchResult.latency(r.json().putObject("queryLatency"), all);
            r.line("stored %,d entries (this run: %,d); the rows of every match are sent to and decoded by this client",
                    stored, runEntries);
        }
        return r;
    }

    private static String fmt(double s) {
        return s == Math.rint(s) ? Long.toString((long) s) : String.format(Locale.ROOT, "%s", s);
    }

    static String quote(String v) {
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Runs the filter and counts the rows (decoded by the client library, as an application would). */
    static long count(LogwireClient client, String filter) {
        long rows = 0;
        try (RowStream rs = client.query(filter, 0)) {
            while (rs.hasNext()) {
                rs.next();
                rows++;
            }
        }
        return rows;
    }
}
