package io.logwire.server.store.embedded;

import io.logwire.server.store.AppendResult;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.encode;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.entry;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static io.logwire.server.store.embedded.StoreTestSupport.segmentFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Backup of a live store, verification of the copy, and restore (StoreBackup). */
class StoreBackupTest {
    private static final long SEGMENT = 16 * 1024;

    @TempDir
    Path dir;

    @Test
    void aBackupUnderLoadHoldsEveryEntryAcknowledgedBeforeItStartedExactlyOnce() throws Exception {
        Path live = dir.resolve("live");
        Path backup = dir.resolve("backup");
        AtomicLong acknowledgedEnd = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        long ackedBeforeBackup;
        BackupManifest manifest;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(live).segmentBytes(SEGMENT)
                .fsyncPolicy(FsyncPolicy.ALWAYS).build())) {
            Thread writer = new Thread(() -> {
                long next = 0;
                while (!stop.get()) {
                    int n = 1 + (int) (next % 7);
                    AppendResult r = store.append(encode(entries(next, n)), n).join();
                    assertThat(r.firstSequence()).isEqualTo(next);
                    next += n;
                    acknowledgedEnd.set(next);
                }
            }, "test-writer");
            writer.start();
            while (acknowledgedEnd.get() < 3000) {
                Thread.sleep(1);
            }
            ackedBeforeBackup = acknowledgedEnd.get();
            manifest = StoreBackup.backup(live, backup);
            long ackedAfterBackup = acknowledgedEnd.get();
            while (acknowledgedEnd.get() < ackedAfterBackup + 500) {
                Thread.sleep(1);
            }
            stop.set(true);
            writer.join();
            assertThat(ackedAfterBackup).as("the writer kept going during the backup").isGreaterThan(ackedBeforeBackup);
        }
        assertThat(manifest.segments().size()).isGreaterThan(3);
        assertThat(manifest.firstSequence()).isZero();
        assertThat(manifest.endSequence()).isGreaterThanOrEqualTo(ackedBeforeBackup);
        assertThat(StoreBackup.verify(backup)).isEqualTo(manifest);

        Path restored = dir.resolve("restored");
        assertThat(StoreBackup.restore(backup, restored)).isEqualTo(manifest);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(restored).segmentBytes(SEGMENT).build())) {
            List<StoreTestSupport.Stored> all = readAll(store);
            assertThat(all).hasSize((int) manifest.entries());
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i).sequence()).isEqualTo(i);
                assertThat(all.get(i).entry()).isEqualTo(entry(i));
            }
            assertThat(store.nextSequence()).isEqualTo(manifest.endSequence());
            // The restored store takes new entries after the backup's end.
            assertThat(append(store, entries(0, 2)).firstSequence()).isEqualTo(manifest.endSequence());
        }
    }

    @Test
    void backupsWhileRetentionRemovesSegmentsUnderLoadAreContiguousAndComplete() throws Exception {
        Path live = dir.resolve("live");
        AtomicLong acknowledgedEnd = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(live).segmentBytes(SEGMENT)
                .retentionMaxBytes(4 * SEGMENT).retentionCheckInterval(java.time.Duration.ofMillis(1)).build())) {
            Thread writer = new Thread(() -> {
                long next = 0;
                while (!stop.get()) {
                    int n = 1 + (int) (next % 5);
                    store.append(encode(entries(next, n)), n).join();
                    next += n;
                    acknowledgedEnd.set(next);
                }
            }, "test-writer");
            writer.start();
            try {
                for (int round = 0; round < 8; round++) {
                    while (acknowledgedEnd.get() < 2_000L * (round + 1)) {
                        Thread.sleep(1);
                    }
                    long ackedBefore = acknowledgedEnd.get();
                    Path backup = dir.resolve("backup-" + round);
                    BackupManifest m = StoreBackup.backup(live, backup);
                    assertThat(StoreBackup.verify(backup)).isEqualTo(m);
                    assertThat(m.endSequence()).isGreaterThanOrEqualTo(ackedBefore);
                    assertThat(m.firstSequence()).as("retention ran").isPositive();
                    Path restored = dir.resolve("restored-" + round);
                    StoreBackup.restore(backup, restored);
                    List<StoreTestSupport.Stored> all = readAllOf(restored);
                    assertThat(all).hasSize((int) m.entries());
                    for (int i = 0; i < all.size(); i++) {
                        long seq = m.firstSequence() + i;
                        assertThat(all.get(i).sequence()).isEqualTo(seq);
                        assertThat(all.get(i).entry()).isEqualTo(entry(seq));
                    }
                }
            } finally {
                stop.set(true);
                writer.join();
            }
            assertThat(store.segmentsRemoved()).isPositive();
        }
    }

    @Test
    void aRecordBeingWrittenAtTheEndOfTheActiveSegmentIsCutFromTheCopy() throws Exception {
        Path live = dir.resolve("live");
        fill(live, 100);
        Path last = segmentFiles(live).get(segmentFiles(live).size() - 1);
        long whole = Files.size(last);
        // Half a record: what a copy sees while the writer is in the middle of a write.
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7}));
        }
        BackupManifest m = StoreBackup.backup(live, dir.resolve("backup"));
        assertThat(m.trimmedBytes()).isEqualTo(11);
        assertThat(m.entries()).isEqualTo(100);
        assertThat(m.segments().get(m.segments().size() - 1).bytes()).isEqualTo(whole);
        StoreBackup.verify(dir.resolve("backup"));
    }

    @Test
    void aDamagedSealedSegmentFailsTheBackup() throws Exception {
        Path live = dir.resolve("live");
        fill(live, 1000);
        List<Path> files = segmentFiles(live);
        assertThat(files.size()).isGreaterThan(2);
        flipByte(files.get(0), 100);
        assertThatThrownBy(() -> StoreBackup.backup(live, dir.resolve("backup")))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("damaged").hasMessageContaining("CRC mismatch");
        assertThat(dir.resolve("backup").resolve(BackupManifest.FILE_NAME)).doesNotExist();
    }

    @Test
    void aSegmentRemovedByRetentionBeforeItIsOpenedIsSkippedAndOneRemovedAfterIsStillCopied() throws Exception {
        Path live = dir.resolve("live");
        fill(live, 1000);
        List<Path> files = segmentFiles(live);
        long secondBase = StoreFiles.parseSegmentFileName(files.get(1).getFileName().toString());

        // Removed between the listing and the opening: the backup starts after it.
        BackupManifest m = StoreBackup.backup(live, dir.resolve("b1"), Clock.systemUTC(),
                new StoreBackup.Hooks(listed -> delete(listed.get(0)), () -> { }));
        assertThat(m.firstSequence()).isEqualTo(secondBase);
        assertThat(m.endSequence()).isEqualTo(1000);
        StoreBackup.verify(dir.resolve("b1"));

        // Removed after it was opened: an open file stays readable, so it is in the backup.
        List<Path> now = segmentFiles(live);
        BackupManifest m2 = StoreBackup.backup(live, dir.resolve("b2"), Clock.systemUTC(),
                new StoreBackup.Hooks(listed -> { }, () -> delete(now.get(0))));
        assertThat(m2.firstSequence()).isEqualTo(secondBase);
        assertThat(m2.segments()).hasSize(now.size());
        StoreBackup.verify(dir.resolve("b2"));
        assertThat(segmentFiles(live)).hasSize(now.size() - 1);
    }

    @Test
    void verifyDetectsATruncatedACorruptedAMissingAndAnExtraFile() throws Exception {
        Path live = dir.resolve("live");
        fill(live, 1000);
        Path backup = dir.resolve("backup");
        BackupManifest m = StoreBackup.backup(live, backup);
        Path first = backup.resolve("segments").resolve(m.segments().get(0).file());
        byte[] original = Files.readAllBytes(first);

        // Truncated at a record boundary: every remaining record is valid, only the manifest knows.
        long boundary = recordBoundaryBefore(first, original.length - 1);
        try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
            ch.truncate(boundary);
        }
        assertThatThrownBy(() -> StoreBackup.verify(backup)).hasMessageContaining("truncated");
        Files.write(first, original);
        StoreBackup.verify(backup);

        flipByte(first, original.length / 2);
        assertThatThrownBy(() -> StoreBackup.verify(backup)).hasMessageContaining("SHA-256");
        Files.write(first, original);

        Path moved = dir.resolve("elsewhere.log");
        Files.move(first, moved);
        assertThatThrownBy(() -> StoreBackup.verify(backup)).hasMessageContaining("missing");
        Files.move(moved, first);

        Path extra = backup.resolve("segments").resolve(StoreFiles.segmentFileName(999_999));
        Files.write(extra, new byte[0]);
        assertThatThrownBy(() -> StoreBackup.verify(backup)).hasMessageContaining("not listed");
        Files.delete(extra);

        Files.move(backup.resolve(BackupManifest.FILE_NAME), dir.resolve("m.json"));
        assertThatThrownBy(() -> StoreBackup.verify(backup)).hasMessageContaining("not a complete backup");
        Files.move(dir.resolve("m.json"), backup.resolve(BackupManifest.FILE_NAME));
        assertThat(StoreBackup.verify(backup)).isEqualTo(m);

        // A restore of a corrupted backup fails before it writes anything.
        flipByte(first, 40);
        Path target = dir.resolve("target");
        assertThatThrownBy(() -> StoreBackup.restore(backup, target)).isInstanceOf(StoreException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void restoreRefusesANonEmptyTargetAndABackupRefusesANonEmptyDirectory() throws Exception {
        Path live = dir.resolve("live");
        fill(live, 50);
        Path backup = dir.resolve("backup");
        StoreBackup.backup(live, backup);
        assertThatThrownBy(() -> StoreBackup.backup(live, backup)).hasMessageContaining("not empty");
        assertThatThrownBy(() -> StoreBackup.restore(backup, live)).hasMessageContaining("not empty");
        assertThat(readAllOf(live)).hasSize(50);
        assertThatThrownBy(() -> StoreBackup.backup(dir.resolve("nothing"), dir.resolve("b2")))
                .hasMessageContaining("no embedded store");
    }

    @Test
    void anEmptyStoreBacksUpAndRestores() throws Exception {
        Path live = dir.resolve("live");
        EmbeddedLogStore.open(config(live).build()).close();
        BackupManifest m = StoreBackup.backup(live, dir.resolve("backup"));
        assertThat(m.entries()).isZero();
        StoreBackup.restore(dir.resolve("backup"), dir.resolve("target"));
        assertThat(readAllOf(dir.resolve("target"))).isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private static void fill(Path live, int n) {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(live).segmentBytes(SEGMENT).build())) {
            List<CompletableFuture<AppendResult>> all = new ArrayList<>();
            for (int i = 0; i < n; i += 10) {
                all.add(store.append(encode(entries(i, Math.min(10, n - i))), Math.min(10, n - i)));
            }
            all.forEach(CompletableFuture::join);
        }
    }

    private static List<StoreTestSupport.Stored> readAllOf(Path storeDir) {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(storeDir).segmentBytes(SEGMENT).build())) {
            return readAll(store);
        }
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5A));
            b.rewind();
            ch.write(b, at);
        }
    }

    /** The offset of the last record boundary at or before {@code limit}, walking record lengths. */
    private static long recordBoundaryBefore(Path file, long limit) throws IOException {
        long p = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(4);
            while (true) {
                len.clear();
                ch.read(len, p);
                long next = p + 4 + Integer.toUnsignedLong(len.getInt(0));
                if (next > limit) {
                    return p;
                }
                p = next;
            }
        }
    }

    private static void delete(Path p) {
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
