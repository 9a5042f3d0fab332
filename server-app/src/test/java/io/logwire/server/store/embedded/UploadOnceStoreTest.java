package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.message.BatchId;
import io.logwire.server.store.BatchDigest;
import io.logwire.server.store.BatchIdReusedException;
import io.logwire.server.store.OnceResult;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.encode;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UploadOnceStoreTest {
    @TempDir
    Path dir;

    private static OnceResult once(EmbeddedLogStore store, BatchId id, List<LogEntry> batch) {
        ByteBuf buf = encode(batch);
        BatchDigest digest = BatchDigest.of(buf, batch.size());
        return store.appendOnce(id, digest, buf, batch.size()).join();
    }

    @Test
    void aRetryIsADuplicateWithTheOriginalSequencesAndStoresNothing() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            append(store, entries(0, 3));
            BatchId id = BatchId.random();
            OnceResult first = once(store, id, entries(100, 5));
            assertThat(first).isEqualTo(new OnceResult(5, 3, false));
            append(store, entries(200, 2));
            OnceResult again = once(store, id, entries(100, 5));
            assertThat(again).isEqualTo(new OnceResult(5, 3, true));
            assertThat(store.nextSequence()).isEqualTo(10);
        }
    }

    @Test
    void theSameIdWithOtherContentIsRefusedAndStoresNothing() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            BatchId id = BatchId.random();
            once(store, id, entries(0, 4));
            assertThatThrownBy(() -> once(store, id, entries(1, 4)))
                    .isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(BatchIdReusedException.class)
                    .hasMessageContaining("batch id reused with different content");
            assertThat(store.nextSequence()).isEqualTo(4);
        }
    }

    @Test
    void concurrentIdenticalBatchesAreStoredOnce() throws Exception {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            for (int round = 0; round < 50; round++) {
                BatchId id = BatchId.random();
                List<LogEntry> batch = entries(round * 10L, 7);
                List<CompletableFuture<OnceResult>> all = new ArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    CompletableFuture<OnceResult> f = new CompletableFuture<>();
                    all.add(f);
                    threads.add(new Thread(() -> {
                        ByteBuf buf = encode(batch);
                        store.appendOnce(id, BatchDigest.of(buf, 7), buf, 7).whenComplete((r, e) -> {
                            if (e != null) {
                                f.completeExceptionally(e);
                            } else {
                                f.complete(r);
                            }
                        });
                    }));
                }
                threads.forEach(Thread::start);
                for (Thread t : threads) {
                    t.join();
                }
                Set<Long> firsts = new HashSet<>();
                int originals = 0;
                for (CompletableFuture<OnceResult> f : all) {
                    OnceResult r = f.join();
                    firsts.add(r.firstSequence());
                    originals += r.duplicate() ? 0 : 1;
                }
                assertThat(originals).isEqualTo(1);
                assertThat(firsts).containsExactly(round * 7L);
            }
            assertThat(store.nextSequence()).isEqualTo(50 * 7);
        }
    }

    @Test
    void batchIdsSurviveARestartAndOldRecordsStillRead() {
        BatchId id = BatchId.random();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(4096).build())) {
            append(store, entries(0, 10)); // a record without a trailer, as older stores have
            assertThat(once(store, id, entries(10, 20)).firstSequence()).isEqualTo(10);
            for (int i = 0; i < 30; i++) {
                once(store, BatchId.random(), entries(30 + i * 5L, 5)); // rolls segments
            }
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(4096).build())) {
            assertThat(once(store, id, entries(10, 20))).isEqualTo(new OnceResult(20, 10, true));
            List<LogEntry> expected = new ArrayList<>(entries(0, 10));
            expected.addAll(entries(10, 20));
            for (int i = 0; i < 30; i++) {
                expected.addAll(entries(30 + i * 5L, 5));
            }
            assertThat(readAll(store)).isEqualTo(numbered(0, expected));
            assertThat(store.nextSequence()).isEqualTo(180);
        }
    }

    /**
     * A segment written byte by byte in the layout stores had before batch trailers existed
     * (no flag, no trailer): it opens, reads back, and new UPLOAD_ONCE batches go after it.
     */
    @Test
    void aStoreFromBeforeBatchIdsOpens() throws Exception {
        java.nio.file.Files.createDirectories(StoreFiles.segmentsDir(dir));
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        long seq = 0;
        for (int r = 0; r < 3; r++) {
            List<LogEntry> batch = entries(seq, 4);
            ByteBuf body = encode(batch);
            byte[] entryBytes = new byte[body.readableBytes()];
            body.readBytes(entryBytes);
            body.release();
            java.nio.ByteBuffer rec = java.nio.ByteBuffer.allocate(28 + entryBytes.length);
            rec.putInt(24 + entryBytes.length).putInt(0).putLong(seq).putLong(1_700_000_000_000L + r).putInt(4)
                    .put(entryBytes);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(rec.array(), 8, rec.capacity() - 8);
            rec.putInt(4, (int) crc.getValue());
            file.write(rec.array());
            seq += 4;
        }
        java.nio.file.Files.write(StoreFiles.segmentFile(StoreFiles.segmentsDir(dir), 0), file.toByteArray());
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            assertThat(readAll(store)).isEqualTo(numbered(0, entries(0, 12)));
            BatchId id = BatchId.random();
            assertThat(once(store, id, entries(12, 3))).isEqualTo(new OnceResult(3, 12, false));
            assertThat(once(store, id, entries(12, 3))).isEqualTo(new OnceResult(3, 12, true));
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            assertThat(readAll(store)).isEqualTo(numbered(0, entries(0, 15)));
        }
    }

    @Test
    void aBackupOfBatchesWithIdsVerifiesAndTheRestoredStoreKnowsTheIds() throws Exception {
        Path live = dir.resolve("live");
        BatchId id = BatchId.random();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(live).segmentBytes(4096).build())) {
            append(store, entries(0, 5));
            once(store, id, entries(5, 5));
            for (int i = 0; i < 20; i++) {
                once(store, BatchId.random(), entries(10 + i * 5L, 5));
            }
        }
        BackupManifest manifest = StoreBackup.backup(live, dir.resolve("backup"));
        assertThat(manifest.entries()).isEqualTo(110);
        assertThat(StoreBackup.verify(dir.resolve("backup"))).isEqualTo(manifest);
        StoreBackup.restore(dir.resolve("backup"), dir.resolve("restored"));
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir.resolve("restored")).segmentBytes(4096).build())) {
            assertThat(once(store, id, entries(5, 5))).isEqualTo(new OnceResult(5, 5, true));
            assertThat(store.nextSequence()).isEqualTo(110);
        }
    }

    @Test
    void idsOlderThanTheWindowAreForgotten() {
        StoreTestSupport.MutableClock clock = new StoreTestSupport.MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        BatchId id = BatchId.random();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).clock(clock)
                .dedupWindow(Duration.ofHours(1)).build())) {
            once(store, id, entries(0, 2));
            clock.advance(Duration.ofMinutes(59));
            assertThat(once(store, id, entries(0, 2)).duplicate()).isTrue();
        }
        clock.advance(Duration.ofMinutes(2));
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).clock(clock)
                .dedupWindow(Duration.ofHours(1)).build())) {
            OnceResult r = once(store, id, entries(0, 2));
            assertThat(r).isEqualTo(new OnceResult(2, 2, false));
        }
    }

    @Test
    void theCapForgetsTheOldestIds() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).dedupMaxBatches(3).build())) {
            BatchId first = BatchId.random();
            once(store, first, entries(0, 1));
            for (int i = 0; i < 3; i++) {
                once(store, BatchId.random(), entries(1 + i, 1));
            }
            assertThat(once(store, first, entries(0, 1)).duplicate()).isFalse();
        }
    }

    @Test
    void anEmptyBatchStoresNothingAndIsNotRemembered() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).build())) {
            append(store, entries(0, 2));
            BatchId id = BatchId.random();
            assertThat(once(store, id, List.of())).isEqualTo(new OnceResult(0, 2, false));
            assertThat(once(store, id, entries(5, 1))).isEqualTo(new OnceResult(1, 2, false));
        }
    }
}
