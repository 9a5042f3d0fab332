package io.logwire.bench.jmh;

import io.logwire.protocol.entry.LogEntryCodec;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * Decoding encoded entries to {@code LogEntry} objects (PROTOCOL.md section 3), as the
 * client does with ROWS and the server with query results it must inspect. Scores are entries/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DecodeBenchmark {
    @Param({"HEAP", "POOLED_DIRECT", "ADAPTIVE_DIRECT"})
    public BufferKind buffer;

    private ByteBuf buf;

    @Setup(Level.Trial)
    public void setUp() {
        buf = buffer.wrap(BenchData.encoded(BenchData.entries()));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
    }

    /** Already validated bytes, decoded one by one (the client's path for ROWS it has validated). */
    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void decodeValid(Blackhole bh) {
        int p = 0;
        for (int n = 0; n < BenchData.BATCH; n++) {
            bh.consume(LogEntryCodec.decodeValid(buf, p));
            p += LogEntryCodec.entryLength(buf, p);
        }
    }

    /** Validation plus decoding into a list, in one call. */
    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void decodeBatch(Blackhole bh) {
        bh.consume(LogEntryCodec.decodeBatch(buf, BenchData.BATCH));
    }
}
