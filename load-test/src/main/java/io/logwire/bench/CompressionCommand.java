package io.logwire.bench;

import io.logwire.client.LogwireClient;
import io.logwire.client.UploadOnceResult;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.BatchId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@code compression}: ingest rate and compression ratio of generated entries with no compression, LZ4 and Zstandard. */
@Command(name = "compression", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Uploads N generated entries (realistic access-log data) once per codec -- none, lz4, zstd -- "
                + "with compression negotiated in HELLO (PROTOCOL.md 6.7), and reports each ingest rate and the "
                + "compression ratio of the upload batches (uncompressed bytes / compressed bytes). A codec the "
                + "server does not accept is reported as not negotiated. Needs a protocol-version-2 server."})
final class CompressionCommand extends Scenario {
    @Mixin
    ConnectOptions target = new ConnectOptions();

    @Option(names = "-n", defaultValue = "200000", description = "Entries per codec.")
    long entries;

    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Entries per UPLOAD_ONCE.")
    int batch;

    @Option(names = "--in-flight", defaultValue = "8", description = "Batches unanswered at a time.")
    int inFlight;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--warmup-entries", defaultValue = "20000", paramLabel = "N",
            description = "First upload N entries per codec, not measured (JIT warm-up: otherwise the first codec "
                    + "measured pays for it).")
    long warmup;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("compression");
        if (entries < 1 || batch < 1 || inFlight < 1) {
            throw new IllegalArgumentException("-n, --batch and --in-flight must be positive");
        }
        r.parameters().put("target", target.describe());
        r.parameters().put("entries", entries);
        r.parameters().put("batch", batch);
        CompressionCodec[] codecs = {null, CompressionCodec.LZ4, CompressionCodec.ZSTD};
        r.parameters().put("warmupEntries", warmup);
        for (CompressionCodec codec : codecs) {
            if (warmup > 0) {
                upload(codec, new DataGenerator(seed, "comp-warmup", DataGenerator.EntrySize.NATURAL), warmup, deadline);
            }
        }
        long perCodecBudget = (deadline - System.nanoTime()) / codecs.length;
        for (CompressionCodec codec : codecs) {
            String name = codec == null ? "none" : codec.cliName();
            var out = r.json().putObject(name);
            DataGenerator gen = new DataGenerator(seed, "comp-" + name + "-" + Long.toHexString(System.nanoTime()),
                    DataGenerator.EntrySize.NATURAL);
            long stop = System.nanoTime() + perCodecBudget;
            long raw = 0;
            long packed = 0;
            long sent = 0;
            long start = System.nanoTime();
            try (LogwireClient c = LogwireClient.connect(target.builder().compression(codec).maxInFlight(inFlight)
                    .build())) {
                boolean negotiated = codec == null || c.requestCompression() == codec;
                out.put("negotiated", negotiated);
                ArrayDeque<CompletableFuture<UploadOnceResult>> window = new ArrayDeque<>();
                for (long first = 0; first < entries && System.nanoTime() < stop; first += batch) {
                    int count = (int) Math.min(batch, entries - first);
                    List<LogEntry> b = new ArrayList<>(gen.batch(first, count, 0));
                    if (codec != null) {
                        long[] sizes = ratio(b, codec);
                        raw += sizes[0];
                        packed += sizes[1];
                    }
                    window.add(c.uploadOnce(BatchId.random(), b));
                    sent += count;
                    while (window.size() >= inFlight) {
                        window.poll().join();
                    }
                }
                for (CompletableFuture<UploadOnceResult> f : window) {
                    f.join();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            BenchResult.throughput(out, sent, 0, seconds);
            double ratio = packed > 0 ? (double) raw / packed : 1.0;
            out.put("ratio", BenchResult.round(ratio, 2));
            r.line("%-5s %,10d entries in %6.2f s = %,10.0f entries/s, ratio %.2f%s", name, sent, seconds,
                    sent / seconds, ratio, out.get("negotiated").asBoolean() ? "" : " (not accepted by the server)");
            if (sent < entries) {
                r.fail(name + ": cut short by --max-seconds after " + sent + " entries");
            }
        }
        return r;
    }

    /** Uploads {@code n} entries with {@code codec} negotiated, unmeasured (warm-up). */
    private void upload(CompressionCodec codec, DataGenerator gen, long n, long deadline) {
        try (LogwireClient c = LogwireClient.connect(target.builder().compression(codec).maxInFlight(inFlight)
                .build())) {
            ArrayDeque<CompletableFuture<UploadOnceResult>> window = new ArrayDeque<>();
            for (long first = 0; first < n && System.nanoTime() < deadline; first += batch) {
                int count = (int) Math.min(batch, n - first);
                window.add(c.uploadOnce(BatchId.random(), gen.batch(first, count, 0)));
                while (window.size() >= inFlight) {
                    window.poll().join();
                }
            }
            window.forEach(CompletableFuture::join);
        }
    }

    /** Bytes of the batch's entries before and after compressing them with {@code codec}. */
    private static long[] ratio(List<LogEntry> b, CompressionCodec codec) {
        ByteBuf buf = Unpooled.buffer();
        try {
            LogEntryCodec.encodeAll(b, buf);
            ByteBuf z = codec.compress(buf, buf.readerIndex(), buf.readableBytes(), ByteBufAllocator.DEFAULT);
            try {
                return new long[] {buf.readableBytes(), z.readableBytes()};
            } finally {
                z.release();
            }
        } finally {
            buf.release();
        }
    }
}
