package io.logwire.bench;

import io.logwire.client.io.EntryFormat;
import io.logwire.client.io.EntryWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code generate}: writes the generator's entries as CSV or JSON Lines, exactly what {@code logwire upload} reads. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Writes a deterministic data set as CSV or JSON Lines (the format 'logwire upload' reads)."})
final class GenerateCommand extends Scenario {
    @Option(names = {"-n", "--entries"}, defaultValue = "1000000")
    long entries;

    @Option(names = {"-o", "--out"}, defaultValue = "-", description = "Output file; - = standard output.")
    String out;

    @Option(names = "--format", description = "csv or jsonl; default: from the file name, else csv.")
    EntryFormat format;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--marker", defaultValue = "bench", description = "The value of 'server' in every entry.")
    String marker;

    @Option(names = "--entry-size", defaultValue = "natural", paramLabel = "DIST",
            description = "natural, N or MIN-MAX (bytes encoded).")
    String entrySize;

    @Option(names = "--connections", defaultValue = "1",
            description = "Spread usernames over this many 'connections' (c0-.., c1-..) like ingest does.")
    int connections;

    @Override
    boolean stdoutIsData() {
        return out.equals("-");
    }

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("generate");
        EntryFormat f = format != null ? format : out.equals("-") ? EntryFormat.CSV : EntryFormat.forFileName(out);
        if (f == null) {
            f = EntryFormat.CSV;
        }
        DataGenerator gen = new DataGenerator(seed, marker, DataGenerator.EntrySize.parse(entrySize));
        long t0 = System.nanoTime();
        long written = 0;
        Writer w = out.equals("-") ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16)
                : Files.newBufferedWriter(Path.of(out), StandardCharsets.UTF_8);
        try (EntryWriter ew = f.writer(w)) {
            for (long g = 0; g < entries && System.nanoTime() < deadline; g++) {
                ew.write(gen.entry(g, (int) (g % connections)));
                written++;
            }
        } finally {
            if (out.equals("-")) {
                w.flush();
            } else {
                w.close();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        var p = r.parameters();
        p.put("entries", entries);
        p.put("out", out);
        p.put("format", f.name().toLowerCase(java.util.Locale.ROOT));
        p.put("seed", seed);
        p.put("marker", marker);
        p.put("entrySize", entrySize);
        r.json().put("written", written);
        r.json().put("seconds", BenchResult.round(seconds, 3));
        if (!out.equals("-")) {
            r.json().put("bytes", Files.size(Path.of(out)));
        }
        r.line("generate: %,d entries as %s to %s in %.2f s", written, f, out, seconds);
        if (written < entries) {
            r.fail("stopped by --max-seconds after " + written + " entries");
        }
        return r;
    }
}
