package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.StoreException;
import io.logwire.server.store.StoreStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.copyDir;
import static io.logwire.server.store.embedded.StoreTestSupport.encode;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.read;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static io.logwire.server.store.embedded.StoreTestSupport.segmentFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedLogStoreTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsBatchesWithContiguousSequences() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).build())) {
            assertThat(store.nextSequence()).isZero();
            assertThat(store.stats()).isEqualTo(new StoreStats(0, 1, 0, -1, -1));

            List<LogEntry> a = entries(0, 3);
            List<LogEntry> b = entries(3, 5);
            assertThat(append(store, a)).isEqualTo(new AppendResult(3, 0));
            assertThat(append(store, b)).isEqualTo(new AppendResult(5, 3));

            List<Stored> expected = new ArrayList<>(numbered(0, a));
            expected.addAll(numbered(3, b));
            assertThat(readAll(store)).isEqualTo(expected);
            assertThat(store.nextSequence()).isEqualTo(8);
            StoreStats stats = store.stats();
            assertThat(stats.entriesStored()).isEqualTo(8);
            assertThat(stats.oldestSequence()).isZero();
            assertThat(stats.newestSequence()).isEqualTo(7);
            assertThat(stats.bytesOnDisk()).isEqualTo(2L * RecordFormat.HEADER_SIZE
                    + StoreTestSupport.encodedSize(a) + StoreTestSupport.encodedSize(b));
        }
    }

    @Test
    void emptyBatchStoresNothingAndReportsTheNextSequence() throws Exception {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            append(store, entries(0, 4));
            ByteBuf empty = Unpooled.directBuffer(0);
            assertThat(store.append(empty, 0).join()).isEqualTo(new AppendResult(0, 4));
            assertThat(empty.refCnt()).isZero();
            assertThat(append(store, entries(4, 1))).isEqualTo(new AppendResult(1, 4));
            assertThat(store.stats().entriesStored()).isEqualTo(5);
            assertThat(Files.size(segmentFiles(dir).get(0))).isEqualTo(store.stats().bytesOnDisk());
        }
    }

    @Test
    void refusesBytesThatAreNotCountEntriesAndReleasesThem() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            ByteBuf buf = encode(entries(0, 3));
            CompletableFuture<AppendResult> f = store.append(buf, 4);
            assertThatThrownBy(f::join).hasCauseInstanceOf(StoreException.class);
            assertThat(buf.refCnt()).isZero();
            ByteBuf extra = encode(entries(0, 3));
            extra.writeByte(0);
            assertThatThrownBy(() -> store.append(extra, 3).join()).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("left over");
            assertThat(extra.refCnt()).isZero();
            assertThat(store.nextSequence()).isZero();
        }
    }

    @Test
    void sequencesContinueAfterCloseAndReopen() {
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(4096).build();
        List<Stored> expected = new ArrayList<>();
        long next = 0;
        for (int round = 0; round < 3; round++) {
            try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
                assertThat(store.nextSequence()).isEqualTo(next);
                assertThat(readAll(store)).isEqualTo(expected);
                for (int k = 0; k < 20; k++) {
                    List<LogEntry> batch = entries(next, 1 + k % 7);
                    assertThat(append(store, batch).firstSequence()).isEqualTo(next);
                    expected.addAll(numbered(next, batch));
                    next += batch.size();
                }
            }
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            assertThat(readAll(store)).isEqualTo(expected);
            assertThat(store.stats().segments()).isGreaterThan(3);
            assertThat(store.stats().entriesStored()).isEqualTo(next);
        }
    }

    /** A crash after acknowledged writes: the files as they are while the store is still open. */
    @Test
    void reopensWhatACrashLeavesBehind(@TempDir Path copy) throws Exception {
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).segmentBytes(2048).build();
        List<Stored> expected = new ArrayList<>();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            long next = 0;
            for (int k = 0; k < 25; k++) {
                List<LogEntry> batch = entries(next, 1 + k % 5);
                append(store, batch);
                expected.addAll(numbered(next, batch));
                next += batch.size();
            }
            copyDir(dir, copy); // never closed: no final sync, lock file held by the original
        }
        try (EmbeddedLogStore crashed = EmbeddedLogStore.open(config(copy).segmentBytes(2048).build())) {
            assertThat(readAll(crashed)).isEqualTo(expected);
            long next = expected.size();
            assertThat(append(crashed, entries(next, 2)).firstSequence()).isEqualTo(next);
        }
    }

    @Test
    void cursorStartsAtAnySequenceUsingTheIndex() {
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(8192).indexIntervalBytes(512).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            List<Stored> all = new ArrayList<>();
            long next = 0;
            for (int k = 0; k < 60; k++) {
                List<LogEntry> batch = entries(next, 1 + k % 9);
                append(store, batch);
                all.addAll(numbered(next, batch));
                next += batch.size();
            }
            Random random = new Random(7);
            for (int k = 0; k < 50; k++) {
                int from = random.nextInt(all.size() + 3);
                assertThat(read(store, from, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL))
                        .as("from %d", from).isEqualTo(all.subList(Math.min(from, all.size()), all.size()));
            }
            try (Cursor c = store.openCursor(-1, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL)) {
                assertThat(c.advance((s, b, o, l) -> true, 100)).isZero(); // an unsigned u64 past everything
                assertThat(c.isExhausted()).isTrue();
            }
        }
    }

    @Test
    void cursorHonoursMaxScannedAndSinkStopsAndSeesLaterAppends() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(4096).build())) {
            for (int k = 0; k < 10; k++) {
                append(store, entries(k * 30L, 30));
            }
            Filter filter = Filter.parse("username=user3");
            EntryPredicate predicate = filter.compile();
            try (Cursor c = store.openCursor(0, predicate, filter)) {
                int handed = c.advance((s, b, o, l) -> true, 100);
                assertThat(c.position()).isEqualTo(100);
                assertThat(c.isExhausted()).isFalse();
                assertThat(handed).isEqualTo(1); // user3 is entry 3 (then 100, 197, ...)

                List<Long> seen = new ArrayList<>();
                int got = c.advance((s, b, o, l) -> {
                    seen.add(s);
                    return false; // stop right after the first match
                }, 1000);
                assertThat(got).isEqualTo(1);
                assertThat(seen).containsExactly(100L);
                assertThat(c.position()).isEqualTo(101);

                c.advance((s, b, o, l) -> {
                    seen.add(s);
                    return true;
                }, 10_000);
                assertThat(c.isExhausted()).isTrue();
                assertThat(c.position()).isEqualTo(300);
                assertThat(seen).containsExactly(100L, 197L, 294L);

                append(store, entries(300, 100)); // the cursor is a tail now
                c.advance((s, b, o, l) -> {
                    seen.add(s);
                    return true;
                }, 10_000);
                assertThat(seen).containsExactly(100L, 197L, 294L, 391L);
                assertThat(c.position()).isEqualTo(400);
            }
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryFailsClearly() {
        try (EmbeddedLogStore first = EmbeddedLogStore.open(config(dir).build())) {
            assertThatThrownBy(() -> EmbeddedLogStore.open(config(dir).build()))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("already in use by another logwire store")
                    .hasMessageContaining(dir.toAbsolutePath().toString());
            append(first, entries(0, 1)); // the first one is unharmed
        }
        try (EmbeddedLogStore again = EmbeddedLogStore.open(config(dir).build())) { // released at close
            assertThat(again.nextSequence()).isEqualTo(1);
        }
    }

    @Test
    void createsAMissingDataDirectory() {
        Path nested = dir.resolve("a/b/c");
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(nested).build())) {
            append(store, entries(0, 2));
        }
        assertThat(nested.resolve("segments/00000000000000000000.log")).isRegularFile();
    }

    @Test
    void closeDrainsPendingAppendsAndIsIdempotent() {
        EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).build());
        List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            pending.add(store.append(encode(entries(k * 4L, 4)), 4));
        }
        store.close();
        store.close();
        for (int k = 0; k < 50; k++) {
            assertThat(pending.get(k)).isCompletedWithValue(new AppendResult(4, k * 4L));
        }
        ByteBuf late = encode(entries(0, 1));
        assertThatThrownBy(() -> store.append(late, 1).join()).hasCauseInstanceOf(StoreException.class)
                .hasMessageContaining("closed");
        assertThat(late.refCnt()).isZero();
        assertThatThrownBy(() -> store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL))
                .isInstanceOf(StoreException.class);
        try (EmbeddedLogStore reopened = EmbeddedLogStore.open(config(dir).build())) {
            assertThat(reopened.nextSequence()).isEqualTo(200);
        }
    }

    @Test
    void fsyncPoliciesForceWhenTheySay() throws Exception {
        try (EmbeddedLogStore never = EmbeddedLogStore.open(config(dir.resolve("never")).build())) {
            append(never, entries(0, 10));
            assertThat(never.fsyncCount()).isZero();
            never.sync();
            assertThat(never.fsyncCount()).isPositive();
        }
        try (EmbeddedLogStore batch = EmbeddedLogStore.open(config(dir.resolve("batch"))
                .fsyncPolicy(FsyncPolicy.BATCH).batchFsyncInterval(Duration.ofMillis(10)).build())) {
            append(batch, entries(0, 10)); // acknowledged before any force
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (batch.fsyncCount() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(batch.fsyncCount()).isPositive();
        }
        try (EmbeddedLogStore always = EmbeddedLogStore.open(config(dir.resolve("always"))
                .fsyncPolicy(FsyncPolicy.ALWAYS).build())) {
            for (int k = 0; k < 3; k++) {
                append(always, entries(k, 1));
                assertThat(always.fsyncCount()).isEqualTo(k + 1); // before the acknowledgement
            }
        }
    }

    @Test
    void rollsSegmentsAtRecordBoundaries() throws Exception {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(1024).build())) {
            long next = 0;
            for (int k = 0; k < 40; k++) {
                next += append(store, entries(next, 3)).stored();
            }
            List<Path> files = segmentFiles(dir);
            assertThat(files).hasSizeGreaterThan(5);
            Segment[] segments = store.segmentSnapshot();
            assertThat(segments).hasSameSizeAs(files);
            for (int i = 0; i < segments.length; i++) {
                Segment s = segments[i];
                assertThat(files.get(i).getFileName().toString()).isEqualTo(StoreFiles.segmentFileName(s.baseSequence()));
                assertThat(s.state().endOffset()).isLessThanOrEqualTo(1024);
                if (s.isSealed()) {
                    assertThat(Files.size(files.get(i))).isEqualTo(s.state().endOffset()); // zeros cut at the seal
                } else {
                    // the active one grows as written, or was preallocated full length
                    assertThat(Files.size(files.get(i))).isIn(s.state().endOffset(), 1024L);
                }
                assertThat(s.isSealed()).isEqualTo(i < segments.length - 1);
                if (i > 0) {
                    assertThat(s.baseSequence()).isEqualTo(segments[i - 1].endSequence());
                }
            }
            assertThat(readAll(store)).hasSize((int) next);
        }
    }
}
