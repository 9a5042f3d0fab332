package io.logwire.bench.jmh;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A compiled filter (PROTOCOL.md section 5) on decoded {@code LogEntry} objects. Scores are
 * entries tested per second, on one thread.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FilterBenchmark {
    /** Which filter: see {@link FilterKind}. */
    @Param({"SCORE_AND_USERNAME", "NUMERIC_1PCT"})
    public FilterKind filter;

    private LogEntry[] entries;
    private EntryPredicate predicate;

    @Setup(Level.Trial)
    public void setUp() {
        List<LogEntry> list = BenchData.entries();
        entries = list.toArray(LogEntry[]::new);
        predicate = Filter.parse(filter.text).compile();
        System.out.printf("%n[%s] '%s' matches %.1f%% of the batch%n", filter, filter.text,
                100 * BenchData.selectivity(list, filter.text));
    }

    @Benchmark
    @OperationsPerInvocation(BenchData.BATCH)
    public void testObjects(Blackhole bh) {
        EntryPredicate p = predicate;
        int matches = 0;
        for (LogEntry e : entries) {
            if (p.test(e)) {
                matches++;
            }
        }
        bh.consume(matches);
    }

    /** The filters measured. */
    public enum FilterKind {
        /** {@value BenchData#OBJECT_FILTER}: a numeric and a string criterion. */
        SCORE_AND_USERNAME(BenchData.OBJECT_FILTER),
        /** {@value BenchData#NUMERIC_FILTER}: two numeric criteria, about 1% selective. */
        NUMERIC_1PCT(BenchData.NUMERIC_FILTER);

        final String text;

        FilterKind(String text) {
            this.text = text;
        }
    }
}
