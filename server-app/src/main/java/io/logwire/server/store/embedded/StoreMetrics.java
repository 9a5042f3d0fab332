package io.logwire.server.store.embedded;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * Counters of one {@link EmbeddedLogStore}, for tests and metrics, and its Prometheus meters
 * once {@link #bindTo bound} (docs/operations.md "Metrics"). Thread-safe.
 */
final class StoreMetrics implements MeterBinder {
    /** Fsync latency buckets: 50 µs to 5 s. */
    private static final Duration[] FSYNC_BUCKETS = {Duration.ofNanos(50_000), Duration.ofNanos(100_000),
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(5)};
    /** Group-commit size buckets, in batches (at most {@link GroupCommitWriter#MAX_GROUP}). */
    private static final double[] GROUP_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

    final LongAdder fsyncs = new LongAdder();
    final LongAdder groupCommits = new LongAdder();
    final LongAdder appendedEntries = new LongAdder();
    final LongAdder rolls = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder segmentsSkipped = new LongAdder();
    final LongAdder columnFilesMade = new LongAdder();
    final LongAdder segmentsReadByColumns = new LongAdder();
    final LongAdder segmentsRemoved = new LongAdder();
    private volatile Timer fsyncTime;
    private volatile DistributionSummary groupBatches;

    /** Counts a file force that took {@code nanos}. */
    void fsynced(long nanos) {
        fsyncs.increment();
        Timer t = fsyncTime;
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Counts a group write of {@code batches} UPLOAD batches. */
    /** {@link System#nanoTime} of the last group commit (0: none since open). */
    volatile long lastCommitNanos;

    void groupCommitted(int batches) {
        groupCommits.increment();
        lastCommitNanos = System.nanoTime();
        DistributionSummary d = groupBatches;
        if (d != null) {
            d.record(batches);
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "logwire.store.fsyncs", "File forces (fsync/fdatasync) of segments", m -> m.fsyncs.sum());
        counter(registry, "logwire.store.group.commits", "Group writes, each of one or more UPLOAD batches",
                m -> m.groupCommits.sum());
        counter(registry, "logwire.store.appended.entries", "Entries written to the store",
                m -> m.appendedEntries.sum());
        counter(registry, "logwire.store.rolls", "Segment rolls", m -> m.rolls.sum());
        counter(registry, "logwire.store.overloaded", "Appends refused because the write queue was full",
                m -> m.overloaded.sum());
        counter(registry, "logwire.store.segments.skipped",
                "Times a scan skipped a segment whose field ranges or column dictionaries could not match",
                m -> m.segmentsSkipped.sum());
        counter(registry, "logwire.store.segments.read.by.columns",
                "Times a scan read a segment by its column file instead of walking its entries",
                m -> m.segmentsReadByColumns.sum());
        counter(registry, "logwire.store.column.files.made", "Column files made from sealed segments",
                m -> m.columnFilesMade.sum());
        counter(registry, "logwire.store.segments.removed", "Segments deleted by retention",
                m -> m.segmentsRemoved.sum());
        fsyncTime = Timer.builder("logwire.store.fsync").description("Time of one file force")
                .serviceLevelObjectives(FSYNC_BUCKETS).register(registry);
        groupBatches = DistributionSummary.builder("logwire.store.group.commit.batches")
                .description("UPLOAD batches written (and forced) together by one group commit")
                .serviceLevelObjectives(GROUP_BUCKETS).register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<StoreMetrics> f) {
        FunctionCounter.builder(name, this, f).description(description).register(registry);
    }
}
