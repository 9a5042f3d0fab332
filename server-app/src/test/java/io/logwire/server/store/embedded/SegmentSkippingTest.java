package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.Cursor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.entry;
import static io.logwire.server.store.embedded.StoreTestSupport.read;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;

/** Filters with numeric criteria skip segments that cannot match, and find what a full scan finds. */
class SegmentSkippingTest {
    private static final int ENTRIES = 3000;

    @TempDir
    Path dir;

    /** Entry {@code i}, with a port that grows slowly, so each segment holds a narrow port range. */
    private static LogEntry slowPort(long i) {
        LogEntry e = entry(i);
        return new LogEntry(e.username(), e.ip(), 1000 + (int) (i / 100), e.accessTime(), e.dataSent(),
                e.dataReceived(), e.score(), e.server());
    }

    private EmbeddedLogStore openFilled() {
        EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(8192).build());
        List<LogEntry> batch = new ArrayList<>();
        for (long i = 0; i < ENTRIES; i++) {
            batch.add(slowPort(i));
            if (batch.size() == 25) {
                append(store, batch);
                batch = new ArrayList<>();
            }
        }
        return store;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            // filter; whether segments can be skipped
            "accessTime>=1700002500; true",
            "accessTime<1700000100; true",
            "port=1017; true",
            "port>1020, port<=1022; true",
            "port!=1005; false",
            "score>500; true",
            "dataSent<0; true",
            "username=user3, accessTime>1700001500; true",
            "username=user3; false",
            "score>=0; false",
    })
    void skipsSegmentsAndFindsWhatAFullScanFinds(String text, boolean skips) {
        Filter filter = Filter.parse(text);
        EntryPredicate predicate = filter.compile();
        try (EmbeddedLogStore store = openFilled()) {
            assertThat(store.stats().segments()).isGreaterThan(10);
            List<Stored> expected = readAll(store).stream().filter(s -> predicate.test(s.entry())).toList();
            long before = store.segmentsSkipped();
            List<Stored> actual = read(store, 0, predicate, filter);
            long skipped = store.segmentsSkipped() - before;
            assertThat(actual).isEqualTo(expected);
            if (skips) {
                assertThat(skipped).isPositive();
            } else {
                assertThat(skipped).isZero();
            }
            // Without the AST (no skipping possible) the answer is the same.
            assertThat(read(store, 0, predicate, Filter.MATCH_ALL)).isEqualTo(expected);
            // And from a position inside the store.
            assertThat(read(store, 1234, predicate, filter))
                    .isEqualTo(expected.stream().filter(s -> s.sequence() >= 1234).toList());
        }
    }

    @Test
    void aSkippedActiveSegmentIsLookedAtAgainWhenItGrows() {
        Filter filter = Filter.parse("port>=5000");
        try (EmbeddedLogStore store = openFilled();
             Cursor cursor = store.openCursor(0, filter.compile(), filter)) {
            List<Long> seen = new ArrayList<>();
            cursor.advance((seq, buf, off, len) -> seen.add(seq), Integer.MAX_VALUE);
            assertThat(seen).isEmpty();
            assertThat(cursor.isExhausted()).isTrue();
            assertThat(cursor.position()).isEqualTo(ENTRIES);
            long skipped = store.segmentsSkipped();
            assertThat(skipped).isEqualTo(store.stats().segments()); // every one, the active one too

            LogEntry e = entry(ENTRIES);
            append(store, List.of(new LogEntry(e.username(), e.ip(), 6000, e.accessTime(), e.dataSent(),
                    e.dataReceived(), e.score(), e.server())));
            cursor.advance((seq, buf, off, len) -> seen.add(seq), Integer.MAX_VALUE);
            assertThat(seen).containsExactly((long) ENTRIES);
        }
    }
}
