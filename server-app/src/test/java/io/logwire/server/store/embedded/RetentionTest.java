package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.StoreStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.logwire.server.store.embedded.StoreTestSupport.MutableClock;
import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.await;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static io.logwire.server.store.embedded.StoreTestSupport.segmentFiles;
import static org.assertj.core.api.Assertions.assertThat;

class RetentionTest {
    private static final long SEGMENT = 2048;

    @TempDir
    Path dir;

    private static long fill(EmbeddedLogStore store, long from, int batches) {
        long next = from;
        for (int k = 0; k < batches; k++) {
            next += append(store, entries(next, 4)).stored();
        }
        return next;
    }

    private static List<Stored> model(long from, long to) {
        return numbered(from, entries(from, (int) (to - from)));
    }

    @Test
    void sizeLimitDropsWholeOldestSegmentsOnly() throws Exception {
        long limit = 6 * SEGMENT;
        // A long check interval: only the run after each roll, and ours, apply it.
        // Without preallocation, so that the files add up to exactly the bytes stored.
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(SEGMENT).retentionMaxBytes(limit)
                .retentionCheckInterval(Duration.ofHours(1)).preallocate(false).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            long next = fill(store, 0, 150);
            store.enforceRetention();
            StoreStats stats = store.stats();
            // The run after the last roll (maintenance thread) may still be deleting the files of
            // segments it already took out of the list; wait for it rather than race it.
            await(() -> segmentFiles(dir).size() == stats.segments(), "retention's deletes are done");
            assertThat(stats.bytesOnDisk()).isLessThanOrEqualTo(limit).isGreaterThan(limit - 2 * SEGMENT);
            assertThat(stats.oldestSequence()).isPositive();
            assertThat(stats.newestSequence()).isEqualTo(next - 1);
            assertThat(stats.entriesStored()).isEqualTo(next - stats.oldestSequence());
            assertThat(store.segmentsRemoved()).isPositive();

            // Whole files went: the first one left starts at the oldest sequence; the bytes match.
            List<Path> files = segmentFiles(dir);
            assertThat(files).hasSize((int) stats.segments());
            assertThat(StoreFiles.parseSegmentFileName(files.get(0).getFileName().toString()))
                    .isEqualTo(stats.oldestSequence());
            long onDisk = 0;
            for (Path f : files) {
                onDisk += Files.size(f);
            }
            assertThat(onDisk).isEqualTo(stats.bytesOnDisk());

            // A cursor from 0 starts at the oldest retained entry.
            try (Cursor c = store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL)) {
                assertThat(c.position()).isEqualTo(stats.oldestSequence());
            }
            assertThat(readAll(store)).isEqualTo(model(stats.oldestSequence(), next));
        }
    }

    @Test
    void retentionRunsByItselfAfterRolls() throws Exception {
        long limit = 4 * SEGMENT;
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(SEGMENT).retentionMaxBytes(limit)
                .retentionCheckInterval(Duration.ofHours(1)).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            fill(store, 0, 200);
            // It runs at each roll, when the new active segment is empty; that one grows until
            // the next roll (or periodic check), so the store can exceed the limit by one segment.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (store.stats().bytesOnDisk() > limit + SEGMENT && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(store.stats().bytesOnDisk()).isLessThanOrEqualTo(limit + SEGMENT);
            assertThat(store.segmentsRemoved()).isPositive();
            assertThat(store.stats().oldestSequence()).isPositive();
        }
    }

    @Test
    void neverRemovesTheActiveSegment() {
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(SEGMENT).retentionMaxBytes(1)
                .retentionCheckInterval(Duration.ofHours(1)).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            long next = fill(store, 0, 60);
            store.enforceRetention();
            Segment[] left = store.segmentSnapshot();
            assertThat(left).hasSize(1);
            assertThat(left[0].isSealed()).isFalse();
            StoreStats stats = store.stats();
            assertThat(stats.segments()).isEqualTo(1);
            assertThat(stats.newestSequence()).isEqualTo(next - 1);
            assertThat(readAll(store)).isEqualTo(model(left[0].baseSequence(), next));
            assertThat(append(store, entries(next, 1)).firstSequence()).isEqualTo(next);
        }
    }

    @Test
    void ageLimitDropsSegmentsWhoseLastRecordIsOlder() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(SEGMENT).retentionMaxAge(Duration.ofHours(1))
                .retentionCheckInterval(Duration.ofHours(1)).clock(clock).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            long old = fill(store, 0, 60);
            long segmentsBefore = store.stats().segments();
            clock.advance(Duration.ofMinutes(30));
            assertThat(store.enforceRetention()).isZero(); // not old enough yet

            clock.advance(Duration.ofMinutes(31));
            long next = fill(store, old, 60); // these are new
            store.enforceRetention();
            StoreStats stats = store.stats();
            // Every segment written only before the jump is gone; the one the new batches
            // started in (it was active) is kept, since its last record is new.
            assertThat(stats.oldestSequence()).isPositive().isLessThanOrEqualTo(old);
            assertThat(stats.segments()).isLessThan(segmentsBefore + 10);
            for (Segment s : store.segmentSnapshot()) {
                assertThat(s.state().lastAppendMillis()).isEqualTo(clock.millis());
            }
            assertThat(readAll(store)).isEqualTo(model(stats.oldestSequence(), next));

            clock.advance(Duration.ofHours(2));
            store.enforceRetention(); // everything is old now, but the active segment stays
            assertThat(store.stats().segments()).isEqualTo(1);
            assertThat(store.nextSequence()).isEqualTo(next);
        }
    }

    @Test
    void aCursorKeepsReadingASegmentThatRetentionRemoves() throws Exception {
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(SEGMENT).retentionMaxBytes(3 * SEGMENT)
                .retentionCheckInterval(Duration.ofHours(1)).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            Path firstFile = segmentFiles(dir).get(0);
            List<Long> seen = new ArrayList<>();
            List<Stored> got = new ArrayList<>();
            try (Cursor c = store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL)) {
                long next = fill(store, 0, 10);
                long firstEnd = store.segmentSnapshot()[0].endSequence();
                c.advance((seq, buf, off, len) -> {
                    got.add(new Stored(seq, LogEntryCodec.decodeValid(buf, off)));
                    return true;
                }, 3); // inside the first segment, holding it
                next = fill(store, next, 100);
                store.enforceRetention();
                assertThat(firstFile).doesNotExist(); // deleted though a cursor holds it
                long oldest = store.stats().oldestSequence();
                assertThat(oldest).isGreaterThan(firstEnd);
                while (!c.isExhausted()) {
                    c.advance((seq, buf, off, len) -> {
                        got.add(new Stored(seq, LogEntryCodec.decodeValid(buf, off)));
                        return true;
                    }, 1000);
                }
                for (Stored s : got) {
                    seen.add(s.sequence());
                }
                // All of the segment it was in, then on from the oldest retained entry.
                List<Stored> expected = new ArrayList<>(model(0, firstEnd));
                expected.addAll(model(oldest, next));
                assertThat(got).isEqualTo(expected);
                assertThat(seen).isSorted();
            }
        }
    }
}
