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
 * In-place validation of an UPLOAD batch ({@link LogEntryCodec#validateBatch}, PROTOCOL.md
 * section 4): the server's per-entry cost before anything is stored. Scores are entries/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ValidateBenchmark {
    @Param({"HEAP", "POOLED_DIRECT", "POOLED_DIRECT_SLICE", "ADAPTIVE_DIRECT"})
    public BufferKind buffer;

    private ByteBuf buf;
    private int length;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] bytes = BenchData.encoded(BenchData.entries());
        buf = buffer.wrap(bytes);
        length = bytes.length;
        LogEntryCodec.validateBatch(buf, 0, length, BenchData.BATCH);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
    }

    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void validateBatch(Blackhole bh) {
        LogEntryCodec.validateBatch(buf, 0, length, BenchData.BATCH);
        bh.consume(buf);
    }
}
