package io.logwire.bench.jmh;

import io.logwire.protocol.entry.LogEntry;
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
 * Encoding {@code LogEntry} objects into a reused buffer ({@link LogEntryCodec#encode},
 * PROTOCOL.md section 3), as the client does for UPLOAD. Scores are entries/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EncodeBenchmark {
    @Param({"HEAP", "POOLED_DIRECT", "ADAPTIVE_DIRECT"})
    public BufferKind buffer;

    private LogEntry[] entries;
    private ByteBuf out;

    @Setup(Level.Trial)
    public void setUp() {
        entries = BenchData.entries().toArray(LogEntry[]::new);
        // Room for the whole batch, so the measurement never includes growing the buffer.
        out = buffer.empty(BenchData.encoded(BenchData.entries()).length);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.release();
    }

    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void encode(Blackhole bh) {
        ByteBuf buf = out.clear();
        for (LogEntry e : entries) {
            LogEntryCodec.encode(e, buf);
        }
        bh.consume(buf.writerIndex());
    }
}
