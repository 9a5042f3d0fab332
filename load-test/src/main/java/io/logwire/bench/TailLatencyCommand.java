package io.logwire.bench;

import io.logwire.client.LogwireClient;
import io.logwire.client.RowStream;
import io.logwire.client.UploadOnceResult;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.message.BatchId;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** {@code tail-latency}: time from an upload's acknowledgement to the delivery of its entries to a TAIL subscriber. */
@Command(name = "tail-latency", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Subscribes a TAIL to this run's entries, uploads batches (UPLOAD_ONCE) at --rate batches/s for "
                + "--duration seconds on another connection, and records for every entry the time from its batch's "
                + "acknowledgement to its arrival at the tail (0 when it arrived first), in an HdrHistogram. Fails "
                + "if an entry is missing, repeated or out of order. Needs a protocol-version-2 server."})
final class TailLatencyCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = "--duration", defaultValue = "10", description = "Seconds of uploading.")
    int duration;

    @Option(names = "--rate", defaultValue = "200", description = "Batches per second.")
    int rate;

    @Option(names = {"-b", "--batch"}, defaultValue = "10", description = "Entries per batch.")
    int batch;

    @Option(names = "--tail-port", paramLabel = "PORT",
            description = "Subscribe the TAIL on this port of --host instead of --port: another server sharing "
                    + "the store (ClickHouse with --clickhouse-keeper), to time delivery across servers.")
    Integer tailPort;

    @Option(names = "--tail-ca", paramLabel = "FILE",
            description = "With --tail-port: the certificate to trust there (default: --ca).")
    java.nio.file.Path tailCa;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("tail-latency");
        if (rate < 1 || batch < 1 || duration < 1) {
            throw new IllegalArgumentException("--rate, --batch and --duration must be positive");
        }
        String marker = "tail-" + Long.toHexString(System.nanoTime());
        var p = r.parameters();
        p.put("target", target.describe());
        var tailTarget = target.builder();
        if (tailPort != null) {
            tailTarget.port(tailPort);
            if (tailCa != null) {
                tailTarget.caFile(tailCa);
            }
            p.put("tailPort", tailPort);
        }
        p.put("durationSeconds", duration);
        p.put("batchesPerSecond", rate);
        p.put("batch", batch);
        Histogram h = BenchResult.newHistogram();
        ConcurrentHashMap<Long, Long> ackedAt = new ConcurrentHashMap<>(); // batch number -> nanoTime of its ack
        AtomicLong received = new AtomicLong();
        AtomicLong disorder = new AtomicLong();
        long sent = 0;
        try (LogwireClient tailConn = LogwireClient.connect(tailTarget.build());
             LogwireClient up = LogwireClient.connect(target.builder().build())) {
            RowStream tail = tailConn.tail("server=\"" + marker + "\"", LogwireClient.TAIL_FROM_NOW);
            Thread reader = new Thread(() -> {
                long last = -1;
                long expected = 0;
                try {
                    while (tail.hasNext()) {
                        SeqEntry row = tail.nextRow();
                        long now = System.nanoTime();
                        if (row.sequence() <= last || row.entry().accessTime() != expected) {
                            disorder.incrementAndGet();
                        }
                        last = row.sequence();
                        expected = row.entry().accessTime() + 1;
                        Long ack = ackedAt.get(row.entry().dataSent());
                        // Delivery may beat the acknowledgement: that counts as 0.
                        h.recordValue(ack == null ? 0 : Math.max(0, (now - ack) / 1000));
                        received.incrementAndGet();
                    }
                } catch (RuntimeException e) {
                    // the stream was closed
                }
            }, "tail-reader");
            reader.start();
            Thread.sleep(200); // let the TAIL start before the first upload
            long start = System.nanoTime();
            long end = Math.min(deadline - TimeUnit.SECONDS.toNanos(5), start + TimeUnit.SECONDS.toNanos(duration));
            long interval = 1_000_000_000L / rate;
            long g = 0;
            for (long b = 0; System.nanoTime() < end; b++) {
                long due = start + b * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                List<LogEntry> entries = new ArrayList<>(batch);
                for (int i = 0; i < batch; i++, g++) {
                    entries.add(new LogEntry("u" + (g % 13), "10.2.0.1", 443, g, b, 1, 0.5f, marker));
                }
                UploadOnceResult res = up.sync().uploadOnce(BatchId.random(), entries);
                ackedAt.put(b, System.nanoTime());
                sent += res.stored();
            }
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (received.get() < sent && System.nanoTime() < waitUntil) {
                Thread.sleep(5);
            }
            tail.close();
            reader.join(5000);
        }
        r.json().put("uploaded", sent);
        r.json().put("delivered", received.get());
        r.json().put("outOfOrder", disorder.get());
        BenchResult.latency(r.json().putObject("deliveryLatencyMicros"), h);
        r.line("%,d entries uploaded, %,d delivered to the tail", sent, received.get());
        r.line(BenchResult.latencyLine("ack -> tail delivery", h));
        if (received.get() != sent) {
            r.fail("the tail delivered " + received.get() + " of " + sent + " entries");
        }
        if (disorder.get() != 0) {
            r.fail(disorder.get() + " entries out of order or repeated");
        }
        return r;
    }
}
