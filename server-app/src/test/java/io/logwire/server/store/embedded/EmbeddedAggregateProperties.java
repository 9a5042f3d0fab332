package io.logwire.server.store.embedded;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.TooManyGroupsException;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.server.store.AggregateOracle;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.LogStoreContractTest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * AGGREGATE on the embedded store, sequential and split into partitions scanned in parallel
 * and merged, against the plain evaluation of {@link AggregateOracle} on random data sets and
 * random queries.
 */
class EmbeddedAggregateProperties {
    static final String[] FILTERS = {"", "port>1000", "username!=amy, score<1", "dataSent<=50000", "server=srv-0",
            "score>=0.5", "port=7"};
    static final String[] AGGS = {"count", "sum(dataSent)", "avg(score)", "min(port)", "max(accessTime)",
            "sum(score)", "min(score)", "max(dataReceived)", "avg(port)"};
    static final String[] GROUPS = {"", " by username", " by server, ip", " by port", " by score",
            " by username, server"};

    @Provide
    Arbitrary<List<LogEntry>> entries() {
        return Combinators.combine(
                Arbitraries.of("amy", "bob", "Cleo", "d\u00e9j\u00e0", ""),
                Arbitraries.of("10.0.0.1", "10.0.0.2", "::1"),
                Arbitraries.integers().between(0, 2000),
                Arbitraries.longs().between(0, 4_294_967_295L),
                Arbitraries.longs().between(0, 100_000),
                Arbitraries.longs().between(0, 4_294_967_295L),
                Arbitraries.of(0f, -0f, 0.25f, 0.5f, 1.5f, -3.75f, 1e30f, 1e-30f),
                Arbitraries.of("srv-0", "srv-1", "srv-2"))
                .as(LogEntry::new).list().ofMaxSize(60);
    }

    @Provide
    Arbitrary<String> queries() {
        return Combinators.combine(Arbitraries.of(FILTERS),
                        Arbitraries.of(AGGS).list().ofMinSize(1).ofMaxSize(4),
                        Arbitraries.of(GROUPS),
                        Arbitraries.integers().between(0, 6))
                .as((f, aggs, by, top) -> f + " | " + String.join(", ", aggs) + by + (top == 0 ? "" : " top " + top));
    }

    @Property(tries = 40)
    void parallelAndSequentialAggregatesAreThePlainEvaluation(
            @ForAll("entries") List<LogEntry> some, @ForAll @IntRange(min = 1, max = 40) int copies,
            @ForAll("queries") String text) throws IOException {
        List<LogEntry> all = Stream.generate(() -> some).limit(copies).flatMap(List::stream).toList();
        AggregateQuery query = AggregateQuery.parse(text);
        Path dir = Files.createTempDirectory("agg-prop");
        try (EmbeddedLogStore store = EmbeddedLogStore.open(EmbeddedStoreConfig.builder(dir)
                .fsyncPolicy(FsyncPolicy.NEVER).segmentBytes(16 * 1024).scanParallelism(3).build())) {
            for (int i = 0; i < all.size(); i += 97) {
                LogStoreContractTest.append(store, all.subList(i, Math.min(all.size(), i + 97)));
            }
            var want = AggregateOracle.evaluate(query, all);
            AggregateOracle.assertSame(text + " (sequential)", store.aggregate(query, 100_000, () -> false,
                    Long.MAX_VALUE / 4), want);
            AggregateOracle.assertSame(text + " (partitions)", store.aggregate(query, 100_000, () -> false, 50), want);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Property(tries = 5)
    void theGroupCapHoldsAcrossMergedPartitions(@ForAll @IntRange(min = 10, max = 200) int cap) throws IOException {
        Path dir = Files.createTempDirectory("agg-cap");
        try (EmbeddedLogStore store = EmbeddedLogStore.open(EmbeddedStoreConfig.builder(dir)
                .fsyncPolicy(FsyncPolicy.NEVER).scanParallelism(3).build())) {
            // 2000 entries with distinct accessTimes, spread so each partition alone stays under the cap.
            LogStoreContractTest.append(store, LogStoreContractTest.entries(0, 2000));
            AggregateQuery q = AggregateQuery.parse("| count by accessTime");
            assertThatThrownBy(() -> store.aggregate(q, cap, () -> false, 100))
                    .isInstanceOf(TooManyGroupsException.class);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
