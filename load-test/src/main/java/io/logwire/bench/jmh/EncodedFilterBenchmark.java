package io.logwire.bench.jmh;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
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
 * A compiled filter (PROTOCOL.md section 5) on encoded entries in place
 * ({@link EntryPredicate#test(ByteBuf, int)}), stepping from entry to entry as a server's
 * QUERY scan does. Scores are entries scanned per second, on one thread.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EncodedFilterBenchmark {
    @Param({"NUMERIC_1PCT", "SCORE_AND_USERNAME"})
    public FilterBenchmark.FilterKind filter;

    @Param({"HEAP", "POOLED_DIRECT", "ADAPTIVE_DIRECT", "READ_ONLY_WRAPPED_DIRECT"})
    public BufferKind buffer;

    private ByteBuf buf;
    private EntryPredicate predicate;

    @Setup(Level.Trial)
    public void setUp() {
        buf = buffer.wrap(BenchData.encoded(BenchData.entries()));
        predicate = Filter.parse(filter.text).compile();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
    }

    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void scanEncoded(Blackhole bh) {
        ByteBuf b = buf;
        EntryPredicate p = predicate;
        int offset = 0;
        int matches = 0;
        for (int n = 0; n < BenchData.BATCH; n++) {
            if (p.test(b, offset)) {
                matches++;
            }
            offset += LogEntryCodec.entryLength(b, offset);
        }
        bh.consume(matches);
    }
}
