package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.server.store.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.await;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static io.logwire.server.store.embedded.StoreTestSupport.segmentFiles;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Segments preallocated full of zeros: rolls take the prepared file, seals cut the zeros off,
 * and recovery and backups take zeros after the last record for unused space (not damage),
 * whatever a crash left: a lost cut, a prepared file renamed but never written, leftovers.
 */
class SegmentPreallocatorTest {
    private static final long SEGMENT = 16 * 1024;

    @TempDir
    Path dir;

    private EmbeddedStoreConfig cfg(Path data) {
        return config(data).segmentBytes(SEGMENT).fsyncPolicy(FsyncPolicy.ALWAYS).build();
    }

    private static Path ready(Path data) {
        return StoreFiles.segmentsDir(data).resolve(SegmentPreallocator.READY_NAME);
    }

    /** Appends batches of 5 until {@code entries} are stored, waiting for a prepared file before each roll. */
    private static List<Stored> fill(EmbeddedLogStore store, Path data, long from, int entries) throws Exception {
        List<Stored> stored = new ArrayList<>();
        long next = from;
        while (next < from + entries) {
            long segmentsBefore = store.stats().segments();
            List<LogEntry> batch = entries(next, 5);
            append(store, batch);
            stored.addAll(numbered(next, batch));
            next += batch.size();
            if (store.stats().segments() > segmentsBefore) {
                awaitReady(data); // the next roll then finds one (a roll never waits for it)
            }
        }
        return stored;
    }

    private static void awaitReady(Path data) {
        await(() -> Files.exists(ready(data)), "the next segment's file is prepared");
    }

    @Test
    void rollsTakeThePreparedFileAndSealsCutItsZeros() throws Exception {
        List<Stored> expected = new ArrayList<>();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            expected.addAll(fill(store, dir, 0, 2000));
            Segment[] segments = store.segmentSnapshot();
            assertThat(segments.length).isGreaterThan(4);
            List<Path> files = segmentFiles(dir);
            assertThat(files).hasSameSizeAs(segments);
            int preallocated = 0;
            for (int i = 0; i < segments.length; i++) {
                long size = Files.size(files.get(i));
                if (segments[i].isSealed()) {
                    assertThat(size).as("sealed %s", files.get(i)).isEqualTo(segments[i].state().endOffset());
                } else {
                    assertThat(size).as("the active segment, taken from the prepared file").isEqualTo(SEGMENT);
                    preallocated++;
                }
            }
            assertThat(preallocated).isEqualTo(1);
            assertThat(readAll(store)).isEqualTo(expected);
            assertThat(ready(dir)).as("the next one is prepared").hasSize(SEGMENT);
        }
        // Reopened: the active segment's zeros are cut off as unused space, nothing is lost, and
        // appends continue the sequence (the ready file left by the last run is used).
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            assertThat(readAll(store)).isEqualTo(expected);
            Path active = segmentFiles(dir).get(segmentFiles(dir).size() - 1);
            assertThat(Files.size(active)).isEqualTo(store.segmentSnapshot()[store.segmentSnapshot().length - 1]
                    .state().endOffset());
            expected.addAll(fill(store, dir, 2000, 1500));
            assertThat(readAll(store)).isEqualTo(expected);
        }
    }

    @Test
    void zerosLeftBySealsACrashLostAreUnusedSpaceNotDamage() throws Exception {
        List<Stored> expected;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            expected = fill(store, dir, 0, 1500);
        }
        List<Path> files = segmentFiles(dir);
        assertThat(files.size()).isGreaterThan(3);
        // As if the cut of every sealed segment had been lost: zeros up to the full length.
        for (Path f : files.subList(0, files.size() - 1)) {
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(SEGMENT);
            }
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            assertThat(readAll(store)).isEqualTo(expected);
            assertThat(segmentFiles(dir)).isEqualTo(files);
            for (Segment s : store.segmentSnapshot()) {
                assertThat(Files.size(s.path())).isEqualTo(s.state().endOffset());
            }
        }
    }

    @Test
    void aPreparedFileRenamedButNeverWrittenIsAnEmptySegment() throws Exception {
        List<Stored> expected;
        long end;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            expected = fill(store, dir, 0, 700);
            end = store.nextSequence();
        }
        // A crash right after a roll renamed the prepared file: a segment of zeros only.
        Path next = StoreFiles.segmentFile(StoreFiles.segmentsDir(dir), end);
        Files.move(ready(dir), next);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            assertThat(readAll(store)).isEqualTo(expected);
            assertThat(Files.size(next)).isZero();
            assertThat(store.nextSequence()).isEqualTo(end);
            List<LogEntry> more = entries(end, 3);
            assertThat(append(store, more).firstSequence()).isEqualTo(end);
            expected.addAll(numbered(end, more));
            assertThat(readAll(store)).isEqualTo(expected);
        }
    }

    @Test
    void aTornRecordBeforeTheZerosIsStillCutAsDamage() throws Exception {
        List<Stored> expected;
        Path active;
        long activeEnd;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            expected = fill(store, dir, 0, 700);
            Segment[] segments = store.segmentSnapshot();
            Segment last = segments[segments.length - 1];
            active = last.path();
            activeEnd = last.state().endOffset();
            assertThat(Files.size(active)).isEqualTo(SEGMENT);
            assertThat(activeEnd).isPositive();
        }
        // Half a record header after the last record, zeros after it.
        try (RandomAccessFile raf = new RandomAccessFile(active.toFile(), "rw")) {
            raf.seek(activeEnd);
            raf.write(new byte[] {0, 0, 1, 7, 9, 9, 9, 9});
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            assertThat(readAll(store)).isEqualTo(expected);
            assertThat(Files.size(active)).isEqualTo(activeEnd);
        }
    }

    @Test
    void leftoversOfWrongSizeOrUnfinishedAreDeletedAtOpen() throws Exception {
        Path segments = StoreFiles.segmentsDir(dir);
        Files.createDirectories(segments);
        Files.write(segments.resolve(SegmentPreallocator.READY_NAME), new byte[100]);
        Files.write(segments.resolve(SegmentPreallocator.TMP_NAME), new byte[100]);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir))) {
            await(() -> !Files.exists(segments.resolve(SegmentPreallocator.TMP_NAME))
                    && (!Files.exists(ready(dir)) || Files.size(ready(dir)) == SEGMENT), "the leftovers are gone");
            append(store, entries(0, 4));
            assertThat(readAll(store)).hasSize(4);
        }
    }

    @Test
    void aBackupOfALiveStoreLeavesTheZerosOut() throws Exception {
        Path live = dir.resolve("live");
        List<Stored> expected;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(live))) {
            expected = fill(store, live, 0, 1200);
            Segment[] segments = store.segmentSnapshot();
            assertThat(Files.size(segments[segments.length - 1].path())).isEqualTo(SEGMENT);
            BackupManifest m = StoreBackup.backup(live, dir.resolve("backup"));
            assertThat(m.trimmedBytes()).isZero();
            assertThat(m.endSequence()).isEqualTo(expected.size());
            for (BackupManifest.SegmentFile f : m.segments()) {
                assertThat(Files.size(StoreFiles.segmentsDir(dir.resolve("backup")).resolve(f.file())))
                        .isEqualTo(f.bytes());
            }
            assertThat(StoreBackup.verify(dir.resolve("backup"))).isEqualTo(m);
        }
        StoreBackup.restore(dir.resolve("backup"), dir.resolve("restored"));
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg(dir.resolve("restored")))) {
            assertThat(readAll(store)).isEqualTo(expected);
        }
    }

    @Test
    void withoutPreallocationSegmentsGrowAsWritten() throws Exception {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(SEGMENT).preallocate(false)
                .build())) {
            long next = 0;
            while (next < 1500) {
                next += append(store, entries(next, 5)).stored();
            }
            for (Segment s : store.segmentSnapshot()) {
                assertThat(Files.size(s.path())).isEqualTo(s.state().endOffset());
            }
            assertThat(ready(dir)).doesNotExist();
        }
    }
}
