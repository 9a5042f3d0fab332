package io.logwire.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logwire.client.ClientConfig;
import io.logwire.client.ClientResources;
import io.logwire.client.LogwireClient;
import io.logwire.client.RowStream;
import io.logwire.client.UploadResult;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The ingest engine, shared by {@code ingest} and {@code query --load}: {@code connections}
 * pipelined clients, connection {@code c} uploading batches {@code c, c+C, c+2C, ...} of the
 * generator's entries with at most {@code inFlight} unanswered each; then the end-to-end check.
 *
 * <p>Upload acknowledgement latency is measured from the moment the client library has taken
 * the batch (an in-flight slot was free) to the UPLOAD_OK. With a {@code rate} the load is open
 * loop: batch k of a connection is due at {@code start + k * period} and its latency is measured
 * from that intended time (no coordinated omission).
 */
final class IngestRun {
    /** What to run. {@code entries} < 0 = until {@code durationSeconds}. */
    record Plan(int connections, int batch, int inFlight, long entries, int durationSeconds, int clientThreads,
                boolean pregenerate, double rate) {
        Plan(int connections, int batch, int inFlight, long entries, int durationSeconds, int clientThreads,
             boolean pregenerate) {
            this(connections, batch, inFlight, entries, durationSeconds, clientThreads, pregenerate, 0);
        }

        Plan withRate(double entriesPerSecond) {
            return new Plan(connections, batch, inFlight, entries, durationSeconds, clientThreads, pregenerate,
                    entriesPerSecond);
        }
    }

    private final ConnectOptions target;
    private final Plan plan;
    private final DataGenerator gen;
    private List<LogEntry> fileEntries;
    private final long stopAt;
    private final boolean progress;

    private final Recorder ackLatency = new Recorder(1, 3_600_000_000L, 3);
    private final AtomicLong ackedEntries = new AtomicLong();
    private final AtomicLong ackedBytes = new AtomicLong();
    private final AtomicLong sentEntries = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final BitSet ackedBatches = new BitSet(); // guarded by itself
    private final BitSet failedBatches = new BitSet(); // guarded by ackedBatches
    private AtomicLongArray ackedPerConnection;
    private final AtomicLong lastAckNanos = new AtomicLong();

    IngestRun(ConnectOptions target, Plan plan, DataGenerator gen, long stopAt, boolean progress) {
        this.target = target;
        this.plan = plan;
        this.gen = gen;
        this.stopAt = stopAt;
        this.progress = progress;
    }

    /** Uploads these entries (read from a file) instead of generated ones; the check is then by count. */
    IngestRun entries(List<LogEntry> entries) {
        this.fileEntries = entries;
        return this;
    }

    /** Runs the load and reports into {@code result}; returns the acknowledged entry count. */
    long run(BenchResult result) throws InterruptedException {
        int c = plan.connections();
        ackedPerConnection = new AtomicLongArray(c);
        long totalBatches = plan.entries() < 0 ? Long.MAX_VALUE : (plan.entries() + plan.batch() - 1) / plan.batch();
        ClientConfig config = target.builder().maxInFlight(plan.inFlight()).build();
        List<List<byte[]>> pre = plan.pregenerate() && plan.entries() >= 0 ? pregenerate(totalBatches) : null;
        try (ClientResources resources = ClientResources.create(plan.clientThreads())) {
            List<LogwireClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < c; i++) {
                    clients.add(LogwireClient.connect(config, resources));
                }
                long start = System.nanoTime();
                long end = plan.entries() < 0 ? Math.min(stopAt, start + plan.durationSeconds() * 1_000_000_000L) : stopAt;
                List<Thread> senders = new ArrayList<>();
                for (int i = 0; i < c; i++) {
                    int conn = i;
                    LogwireClient client = clients.get(i);
                    Thread t = new Thread(() -> send(conn, client, totalBatches, start, end, pre == null ? null : pre.get(conn)),
                            "bench-sender-" + i);
                    senders.add(t);
                }
                senders.forEach(Thread::start);
                try (Progress p = Progress.start(progress, "ingest", plan.entries() < 0 ? -1 : plan.entries(), "",
                        ackedEntries::get, () -> String.format(Locale.ROOT, " %,.0f entries/s",
                                ackedEntries.get() / Math.max(1e-9, (System.nanoTime() - start) / 1e9)))) {
                    for (Thread t : senders) {
                        t.join();
                    }
                }
                double seconds = (Math.max(lastAckNanos.get(), start) - start) / 1e9;
                boolean cut = plan.entries() >= 0 && System.nanoTime() >= stopAt && ackedEntries.get() < plan.entries();
                Histogram h = ackLatency.getIntervalHistogram();
                ObjectNode ing = result.json().putObject("ingest");
                BenchResult.throughput(ing, ackedEntries.get(), ackedBytes.get(), seconds);
                ing.put("sentEntries", sentEntries.get());
                ing.put("errors", errors.get());
                if (firstError.get() != null) {
                    ing.put("firstError", firstError.get());
                }
                BenchResult.latency(result.json().putObject("uploadAckLatency"), h);
                result.json().put("errors", errors.get());
                result.line("ingest: %,d entries (%,d bytes of entries) acknowledged in %.3f s = %,.0f entries/s, %.1f MB/s; "
                                + "%d connections x batch %d x in-flight %d, %s, entry size %s",
                        ackedEntries.get(), ackedBytes.get(), seconds, seconds > 0 ? ackedEntries.get() / seconds : 0,
                        seconds > 0 ? ackedBytes.get() / seconds / 1e6 : 0, c, plan.batch(), plan.inFlight(),
                        target.plaintext ? "plaintext" : "TLS", ackedEntries.get() > 0 ? "" + ackedBytes.get() / ackedEntries.get() + " B avg" : "-");
                result.line("%s", BenchResult.latencyLine(plan.rate() > 0
                        ? String.format(Locale.ROOT, "upload ack latency from due time, open loop at %,.0f entries/s",
                        plan.rate()) : "upload ack latency", h));
                if (errors.get() > 0) {
                    result.fail(errors.get() + " upload errors, first: " + firstError.get());
                }
                if (cut) {
                    result.fail("stopped by --max-seconds after " + ackedEntries.get() + " of " + plan.entries() + " entries");
                }
                return ackedEntries.get();
            } finally {
                clients.forEach(LogwireClient::close);
            }
        }
    }

    /**
     * Every batch of the run, encoded before the clock starts: the timed part then costs the
     * client only the framing and TLS, as for a shipper that forwards encoded entries, so the
     * run measures the server rather than the load generator's encoding.
     */
    private List<List<byte[]>> pregenerate(long totalBatches) {
        List<List<byte[]>> out = new ArrayList<>();
        for (int conn = 0; conn < plan.connections(); conn++) {
            List<byte[]> mine = new ArrayList<>();
            for (long b = conn; b < totalBatches; b += plan.connections()) {
                mine.add(encode(batchOf(b, conn)));
            }
            out.add(mine);
        }
        return out;
    }

    private static byte[] encode(List<LogEntry> entries) {
        int size = 0;
        for (LogEntry e : entries) {
            size += LogEntryCodec.encodedSize(e);
        }
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[size]).clear();
        for (LogEntry e : entries) {
            LogEntryCodec.encode(e, buf);
        }
        return buf.array();
    }

    private int batchSize(long b) {
        long first = b * plan.batch();
        return (int) (plan.entries() < 0 ? plan.batch() : Math.min(plan.batch(), plan.entries() - first));
    }

    private List<LogEntry> batchOf(long b, int conn) {
        long first = b * plan.batch();
        int count = batchSize(b);
        if (fileEntries != null) {
            return fileEntries.subList((int) first, (int) first + count);
        }
        return gen.batch(first, count, conn);
    }

    private void send(int conn, LogwireClient client, long totalBatches, long start, long end,
                      List<byte[]> pre) {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        int k = 0;
        // Open loop: this connection's batches are due every period (connections staggered evenly).
        double periodNs = plan.rate() > 0 ? 1e9 * plan.batch() * plan.connections() / plan.rate() : 0;
        for (long b = conn; b < totalBatches && System.nanoTime() < end; b += plan.connections(), k++) {
            long due = 0;
            if (periodNs > 0) {
                due = start + (long) ((k + (double) conn / plan.connections()) * periodNs);
                long now;
                while ((now = System.nanoTime()) < due) {
                    java.util.concurrent.locks.LockSupport.parkNanos(due - now);
                }
            }
            long batchIndex = b;
            long size;
            int count = batchSize(b);
            CompletableFuture<UploadResult> f;
            try {
                // Both wait while the in-flight window is full.
                if (pre != null) {
                    byte[] encoded = pre.set(k, null); // sent: let it go
                    size = encoded.length;
                    f = client.uploadEncoded(Unpooled.wrappedBuffer(encoded), count);
                } else {
                    List<LogEntry> entries = batchOf(b, conn);
                    long bytes = 0;
                    for (LogEntry e : entries) {
                        bytes += LogEntryCodec.encodedSize(e);
                    }
                    size = bytes;
                    f = client.upload(entries);
                }
            } catch (RuntimeException e) {
                onError(batchIndex, e);
                break;
            }
            long sent = periodNs > 0 ? due : System.nanoTime();
            sentEntries.addAndGet(count);
            pending.add(f.whenComplete((r, t) -> {
                long now = System.nanoTime();
                if (t != null || r.stored() != count) {
                    onError(batchIndex, t != null ? t : new IllegalStateException("stored " + r.stored() + " of " + count));
                    return;
                }
                ackLatency.recordValue(Math.max(1, (now - sent) / 1000));
                ackedEntries.addAndGet(count);
                ackedBytes.addAndGet(size);
                ackedPerConnection.addAndGet(conn, count);
                synchronized (ackedBatches) {
                    ackedBatches.set(Math.toIntExact(batchIndex));
                }
                lastAckNanos.accumulateAndGet(now, Math::max);
            }));
            if (pending.size() > 4 * plan.inFlight()) {
                pending.removeIf(CompletableFuture::isDone);
            }
        }
        for (CompletableFuture<?> f : pending) {
            try {
                f.get(Math.max(1, (stopAt - System.nanoTime()) / 1_000_000) + 1000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // counted by the completion callback, or the run is cut short
            }
        }
    }

    private void onError(long batchIndex, Throwable t) {
        errors.incrementAndGet();
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        firstError.compareAndSet(null, c.getClass().getSimpleName() + ": " + c.getMessage());
        synchronized (ackedBatches) {
            failedBatches.set(Math.toIntExact(batchIndex));
        }
    }

    /**
     * The check for entries from a file (no per-entry key): the store grew by exactly the
     * acknowledged count. Lost = acknowledged but not stored, duplicated = stored beyond what was sent.
     */
    void verifyCount(BenchResult result, long storedBefore) {
        long after = ServerInfo.fetch(target).entriesStored();
        long grew = after - storedBefore;
        long lost = Math.max(0, ackedEntries.get() - grew);
        long duplicated = Math.max(0, grew - sentEntries.get());
        ObjectNode v = result.json().putObject("check");
        v.put("kind", "count");
        v.put("acknowledged", ackedEntries.get());
        v.put("storeGrewBy", grew);
        v.put("lost", lost);
        v.put("duplicated", duplicated);
        result.line("check: the store grew by %,d entries, %,d acknowledged: lost %d, duplicated %d", grew,
                ackedEntries.get(), lost, duplicated);
        if (lost != 0 || duplicated != 0) {
            result.fail("count check: lost " + lost + ", duplicated " + duplicated);
        }
    }

    /**
     * The end-to-end check: queries back every entry of the run (by its marker in {@code server})
     * and compares with what was acknowledged: lost (acknowledged, not stored), duplicated (stored
     * twice), altered (stored but different), and stored per connection. Fails the result
     * unless lost = duplicated = altered = 0.
     */
    void verify(BenchResult result) {
        long t0 = System.nanoTime();
        BitSet seen = new BitSet();
        long duplicated = 0;
        long altered = 0;
        long foreign = 0;
        long rows = 0;
        long[] storedPerConnection = new long[plan.connections()];
        ClientConfig config = target.builder().maxBufferedRows(65_536).build();
        String filter = "server=\"" + gen.marker() + "\"";
        try (LogwireClient client = LogwireClient.connect(config); RowStream rs = client.query(filter, 0)) {
            while (rs.hasNext()) {
                LogEntry e = rs.next();
                rows++;
                long g = e.dataSent();
                int conn = DataGenerator.connectionOf(e);
                if (conn < 0 || conn >= plan.connections() || g > Integer.MAX_VALUE) {
                    foreign++;
                    continue;
                }
                if (seen.get((int) g)) {
                    duplicated++;
                } else {
                    seen.set((int) g);
                }
                storedPerConnection[conn]++;
                if (!e.equals(gen.entry(g, conn))) {
                    altered++;
                }
            }
        }
        long lost = 0;
        long storedUnacked = 0;
        synchronized (ackedBatches) {
            for (int b = ackedBatches.nextSetBit(0); b >= 0; b = ackedBatches.nextSetBit(b + 1)) {
                long first = (long) b * plan.batch();
                long count = plan.entries() < 0 ? plan.batch() : Math.min(plan.batch(), plan.entries() - first);
                lost += count - seen.get((int) first, (int) (first + count)).cardinality();
            }
            for (int b = failedBatches.nextSetBit(0); b >= 0; b = failedBatches.nextSetBit(b + 1)) {
                long first = (long) b * plan.batch();
                storedUnacked += seen.get((int) first, (int) (first + plan.batch())).cardinality();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode v = result.json().putObject("check");
        v.put("marker", gen.marker());
        v.put("rowsQueried", rows);
        v.put("acknowledged", ackedEntries.get());
        v.put("lost", lost);
        v.put("duplicated", duplicated);
        v.put("altered", altered);
        v.put("foreign", foreign);
        v.put("storedUnacknowledged", storedUnacked);
        v.put("seconds", BenchResult.round(seconds, 3));
        var per = v.putArray("perConnection");
        long mismatched = 0;
        for (int i = 0; i < plan.connections(); i++) {
            ObjectNode o = per.addObject();
            o.put("acknowledged", ackedPerConnection.get(i));
            o.put("stored", storedPerConnection[i]);
            if (ackedPerConnection.get(i) != storedPerConnection[i]) {
                mismatched++;
            }
        }
        result.line("check: queried back %,d entries of run %s in %.2f s: lost %d, duplicated %d, altered %d, "
                        + "connections with a count mismatch %d, stored though not acknowledged %d",
                rows, gen.marker(), seconds, lost, duplicated, altered, mismatched, storedUnacked);
        if (lost != 0 || duplicated != 0 || altered != 0 || foreign != 0) {
            result.fail("end-to-end check: lost " + lost + ", duplicated " + duplicated + ", altered " + altered
                    + ", foreign " + foreign);
        } else if (mismatched != 0 && storedUnacked == 0) {
            result.fail("end-to-end check: " + mismatched + " connections stored a different count than acknowledged");
        }
    }
}
