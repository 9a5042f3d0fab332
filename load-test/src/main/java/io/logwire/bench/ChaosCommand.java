package io.logwire.bench;

import io.logwire.client.ClientConfig;
import io.logwire.client.LogwireClient;
import io.logwire.client.ResilientUploader;
import io.logwire.client.RowStream;
import io.logwire.client.UploadOnceResult;
import io.logwire.client.testing.ChaosProxy;
import io.logwire.protocol.entry.LogEntry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code chaos}: exactly-once upload through a proxy that cuts connections at random; counts
 * lost and duplicated entries (both must be 0).
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Uploads N entries with the client library's exactly-once uploader (UPLOAD_ONCE, retried with "
                + "the same batch id after each failure) through a local TCP proxy that cuts a random connection "
                + "every --cut-every ms, then reads the run back directly and counts lost and duplicated entries "
                + "(the check fails unless both are 0). Needs a protocol-version-2 server."})
final class ChaosCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = "-n", defaultValue = "200000", description = "Entries to upload.")
    long entries;

    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Entries per batch.")
    int batch;

    @Option(names = "--in-flight", defaultValue = "8", description = "Batches unanswered at a time.")
    int inFlight;

    @Option(names = "--cut-every", defaultValue = "200", paramLabel = "MS",
            description = "Mean milliseconds between connection cuts.")
    long cutEvery;

    @Option(names = "--retries", defaultValue = "1000", description = "Retries per batch.")
    int retries;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("chaos");
        if (entries < 1 || entries > Integer.MAX_VALUE || batch < 1) {
            throw new IllegalArgumentException("-n must be 1..2147483647 and -b positive");
        }
        String marker = "chaos-" + Long.toHexString(System.nanoTime());
        var p = r.parameters();
        p.put("target", target.describe());
        p.put("entries", entries);
        p.put("batch", batch);
        p.put("cutEveryMillis", cutEvery);
        p.put("marker", marker);
        long start = System.nanoTime();
        long sent = 0;
        try (ChaosProxy proxy = new ChaosProxy(target.host, target.port, cutEvery)) {
            ClientConfig viaProxy = target.builder().host("127.0.0.1").port(proxy.port())
                    .serverName(target.serverName != null ? target.serverName : target.host)
                    .timeout(Duration.ofSeconds(10)).maxInFlight(inFlight).build();
            List<CompletableFuture<UploadOnceResult>> pending = new ArrayList<>();
            try (ResilientUploader up = new ResilientUploader(viaProxy, retries, Duration.ofMillis(20),
                    Duration.ofSeconds(1))) {
                for (long first = 0; first < entries && System.nanoTime() < deadline; first += batch) {
                    int count = (int) Math.min(batch, entries - first);
                    List<LogEntry> b = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        long g = first + i;
                        b.add(new LogEntry("user" + (g % 97), "10.1." + (g % 250) + ".7", (int) (g % 65536), g,
                                g % 100_000, 500, 0.5f, marker));
                    }
                    pending.add(up.upload(b));
                    sent += count;
                }
                long failedBatches = 0;
                Throwable firstFailure = null;
                for (CompletableFuture<UploadOnceResult> f : pending) {
                    try {
                        f.get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        failedBatches++;
                        if (firstFailure == null) {
                            firstFailure = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                        }
                    }
                }
                r.json().put("failedBatches", failedBatches);
                if (failedBatches > 0) {
                    r.fail(failedBatches + " batches failed after their retries; the first: " + firstFailure);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                r.json().put("cuts", proxy.cuts());
                r.json().put("connections", proxy.accepted());
                r.json().put("retries", up.retries());
                r.json().put("duplicateAcks", up.duplicates());
                BenchResult.throughput(r.json().putObject("upload"), sent, 0, seconds);
                r.line("uploaded %,d entries through %d cut connections (%d retries, %d batches acknowledged as "
                        + "already stored) in %.1f s", sent, proxy.cuts(), up.retries(), up.duplicates(), seconds);
            }
        }
        // Read the run back directly (not through the proxy).
        BitSet seen = new BitSet((int) sent);
        long duplicated = 0;
        long rows = 0;
        try (LogwireClient c = LogwireClient.connect(target.builder().maxBufferedRows(65_536).build());
             RowStream s = c.query("server=\"" + marker + "\"", 0)) {
            while (s.hasNext()) {
                LogEntry e = s.next();
                rows++;
                int g = (int) e.accessTime();
                if (seen.get(g)) {
                    duplicated++;
                }
                seen.set(g);
            }
        }
        long lost = sent - seen.cardinality();
        r.json().put("sent", sent);
        r.json().put("stored", rows);
        r.json().put("lost", lost);
        r.json().put("duplicated", duplicated);
        r.line("sent %,d, stored %,d: lost %d, duplicated %d", sent, rows, lost, duplicated);
        if (sent < entries) {
            r.fail("cut short by --max-seconds after " + sent + " entries");
        }
        if (lost != 0 || duplicated != 0) {
            r.fail("lost " + lost + ", duplicated " + duplicated);
        }
        return r;
    }
}
