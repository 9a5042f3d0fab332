package io.logwire.server.store.embedded;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one {@link EmbeddedLogStore}, for tests and metrics. Thread-safe. */
final class StoreMetrics {
    final LongAdder fsyncs = new LongAdder();
    final LongAdder groupCommits = new LongAdder();
    final LongAdder appendedEntries = new LongAdder();
    final LongAdder rolls = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder segmentsSkipped = new LongAdder();
    final LongAdder segmentsRemoved = new LongAdder();
}
