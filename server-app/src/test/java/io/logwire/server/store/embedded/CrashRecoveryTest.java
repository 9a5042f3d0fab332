package io.logwire.server.store.embedded;

import ch.qos.logback.classic.Level;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.server.store.FsyncPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.logwire.server.store.embedded.StoreTestSupport.LogCapture;
import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.copyDir;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static io.logwire.server.store.embedded.StoreTestSupport.segmentFiles;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes acknowledged batches, then cuts or garbles segment files the way a crash or a bad
 * disk would, and checks that recovery keeps exactly the whole valid records before the damage.
 */
class CrashRecoveryTest {
    private static final int SEEDS = 50;
    private static final long SEGMENT_BYTES = 4096;

    @TempDir
    static Path pristine;

    @TempDir
    Path work;

    /** One acknowledged batch and where its record lies. */
    record Batch(long firstSequence, List<LogEntry> entries, Path file, long offset, long size) {
        long end() {
            return offset + size;
        }
    }

    private static final List<Batch> batches = new ArrayList<>();

    @BeforeAll
    static void writeStore() throws IOException {
        Random random = new Random(42);
        // Files exactly their records (no preallocated zeros after the active segment's last one), so
        // that every cut below lands in a record; SegmentPreallocatorTest covers crashes with zeros.
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(pristine).segmentBytes(SEGMENT_BYTES)
                .preallocate(false).build())) {
            long next = 0;
            for (int k = 0; k < 80; k++) {
                List<LogEntry> e = entries(next, 1 + random.nextInt(12));
                assertThat(append(store, e).firstSequence()).isEqualTo(next);
                batches.add(new Batch(next, e, null, 0, RecordFormat.HEADER_SIZE + StoreTestSupport.encodedSize(e)));
                next += e.size();
            }
        }
        // Where each record landed, from the file names and record sizes.
        List<Path> files = segmentFiles(pristine);
        assertThat(files).hasSizeGreaterThan(4);
        int f = -1;
        long offset = 0;
        for (int i = 0; i < batches.size(); i++) {
            Batch b = batches.get(i);
            if (f + 1 < files.size() && StoreFiles.parseSegmentFileName(files.get(f + 1).getFileName().toString())
                    == b.firstSequence()) {
                f++;
                offset = 0;
            }
            batches.set(i, new Batch(b.firstSequence(), b.entries(), files.get(f), offset, b.size()));
            offset += b.size();
        }
        for (Path file : files) {
            long used = batches.stream().filter(b -> b.file().equals(file)).mapToLong(Batch::size).sum();
            assertThat(Files.size(file)).isEqualTo(used);
        }
    }

    private Path copyOfStore(String name) throws IOException {
        Path d = work.resolve(name);
        copyDir(pristine, d);
        return d;
    }

    private static Path inCopy(Path copy, Path pristineFile) {
        return StoreFiles.segmentsDir(copy).resolve(pristineFile.getFileName());
    }

    private static Path lastFile() {
        return batches.get(batches.size() - 1).file();
    }

    private static List<Stored> expectedBefore(int firstLostBatch) {
        List<Stored> out = new ArrayList<>();
        for (Batch b : batches.subList(0, firstLostBatch)) {
            out.addAll(numbered(b.firstSequence(), b.entries()));
        }
        return out;
    }

    /** Index of the first batch that does not survive damage at {@code offset} of {@code file}. */
    private static int firstBatchTouching(Path file, long offset, boolean cut) {
        for (int i = 0; i < batches.size(); i++) {
            Batch b = batches.get(i);
            if (b.file().equals(file) && (cut ? b.end() > offset : b.end() > offset && b.offset() <= offset)) {
                return i;
            }
        }
        return batches.size();
    }

    /**
     * Reopens the damaged copy; checks the survivors, the WARN, and that appends continue at
     * the right sequence and survive another restart.
     */
    private static void assertRecovers(Path copy, int firstLost, long bytesDropped, String seedNote) {
        List<Stored> expected = expectedBefore(firstLost);
        long next = expected.size();
        List<LogEntry> more = entries(10_000, 3);
        try (LogCapture log = new LogCapture(SegmentRecovery.class);
             EmbeddedLogStore store = EmbeddedLogStore.open(config(copy).segmentBytes(SEGMENT_BYTES).build())) {
            assertThat(readAll(store)).as(seedNote).isEqualTo(expected);
            assertThat(store.nextSequence()).as(seedNote).isEqualTo(next);
            assertThat(store.stats().entriesStored()).as(seedNote).isEqualTo(next);
            if (bytesDropped > 0) {
                // A cut inside a record header's leading zero bytes leaves only zeros: unused space.
                assertThat(log.messages(Level.WARN).stream().anyMatch(m -> m.contains("dropping " + bytesDropped + " bytes"))
                        || log.messages(Level.INFO).stream().anyMatch(m -> m.contains(bytesDropped
                        + " bytes of unused preallocated space"))).as(seedNote).isTrue();
            } else {
                assertThat(log.messages(Level.WARN)).as(seedNote).isEmpty();
            }
            assertThat(append(store, more).firstSequence()).as(seedNote).isEqualTo(next);
        }
        expected.addAll(numbered(next, more));
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(copy).build())) {
            assertThat(readAll(store)).as(seedNote).isEqualTo(expected);
        }
    }

    @Test
    void cutAtARandomOffsetKeepsTheWholeRecordsBeforeTheCut() throws IOException {
        Path last = lastFile();
        long size = Files.size(last);
        for (int seed = 0; seed < SEEDS; seed++) {
            long cut = new Random(seed).nextLong(size);
            Path copy = copyOfStore("cut" + seed);
            try (FileChannel ch = FileChannel.open(inCopy(copy, last), StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            int firstLost = firstBatchTouching(last, cut, true);
            long validEnd = firstLost < batches.size() && batches.get(firstLost).file().equals(last)
                    ? batches.get(firstLost).offset() : size;
            assertRecovers(copy, firstLost, cut - validEnd, "seed " + seed + ", cut at " + cut + " of " + size);
        }
    }

    @Test
    void aFlippedByteInTheTailDropsItsRecordAndEverythingAfter() throws IOException {
        Path last = lastFile();
        long size = Files.size(last);
        for (int seed = 0; seed < SEEDS; seed++) {
            Random random = new Random(1000 + seed);
            long window = Math.min(size, 1500);
            long at = size - window + random.nextLong(window);
            Path copy = copyOfStore("flip" + seed);
            flip(inCopy(copy, last), at, 1 + random.nextInt(255));
            int firstLost = firstBatchTouching(last, at, false);
            assertRecovers(copy, firstLost, size - batches.get(firstLost).offset(),
                    "seed " + seed + ", byte " + at + " of " + size);
        }
    }

    @Test
    void crcMismatchInTheMiddleOfTheLastSegmentIsDetected() throws IOException {
        Path last = lastFile();
        List<Batch> inLast = batches.stream().filter(b -> b.file().equals(last)).toList();
        assertThat(inLast).hasSizeGreaterThan(1);
        Batch victim = inLast.get(inLast.size() / 2);
        Path copy = copyOfStore("crc");
        // A byte inside the entries: the length still fits, only the CRC can tell.
        flip(inCopy(copy, last), victim.offset() + RecordFormat.HEADER_SIZE + 3, 0x01);
        try (LogCapture log = new LogCapture(SegmentRecovery.class)) {
            assertRecovers(copy, batches.indexOf(victim), Files.size(last) - victim.offset(), "crc");
            assertThat(log.messages(Level.WARN)).anyMatch(m -> m.contains("CRC mismatch"));
        }
    }

    @Test
    void damageInAnEarlierSegmentDropsTheLaterSegments() throws IOException {
        List<Path> files = segmentFiles(pristine);
        Path second = files.get(1);
        Batch victim = batches.stream().filter(b -> b.file().equals(second)).skip(1).findFirst().orElseThrow();
        Path copy = copyOfStore("earlier");
        flip(inCopy(copy, second), victim.offset() + RecordFormat.FIRST_SEQUENCE_OFFSET + 7, 0x40);
        try (LogCapture log = new LogCapture(SegmentRecovery.class)) {
            // The WARN of the truncation counts that file's bytes; each deleted file gets its own WARN.
            assertRecovers(copy, batches.indexOf(victim), Files.size(second) - victim.offset(), "earlier");
            for (Path later : files.subList(2, files.size())) {
                assertThat(log.messages(Level.WARN)).anyMatch(m -> m.contains("Deleting segment")
                        && m.contains(later.getFileName().toString()));
            }
        }
        assertThat(segmentFiles(copy)).hasSize(2);
    }

    @Test
    void garbageOrZerosAfterTheLastRecordAreDropped() throws IOException {
        Path last = lastFile();
        for (int variant = 0; variant < 3; variant++) {
            Path copy = copyOfStore("tail" + variant);
            byte[] tail = new byte[variant == 2 ? 5 : 300];
            if (variant == 1) {
                new Random(variant).nextBytes(tail); // random bytes; variants 0, 2: zeros (preallocated, torn extend)
            }
            Files.write(inCopy(copy, last), tail, StandardOpenOption.APPEND);
            assertRecoversWithTailDropped(copy, tail.length, variant != 1);
        }
    }

    /** Zeros are unused space (INFO, no damage); anything else is a torn or damaged record (WARN). */
    private static void assertRecoversWithTailDropped(Path copy, int tailBytes, boolean zeros) {
        List<Stored> expected = expectedBefore(batches.size());
        try (LogCapture log = new LogCapture(SegmentRecovery.class);
             EmbeddedLogStore store = EmbeddedLogStore.open(config(copy).build())) {
            assertThat(readAll(store)).isEqualTo(expected);
            if (zeros) {
                assertThat(log.messages(Level.WARN)).isEmpty();
                assertThat(log.messages(Level.INFO)).anyMatch(m -> m.contains(tailBytes
                        + " bytes of unused preallocated space"));
            } else {
                assertThat(log.messages(Level.WARN)).anyMatch(m -> m.contains("dropping " + tailBytes + " bytes"));
            }
        }
    }

    @Test
    void aMissingSegmentEndsTheStoreThere() throws IOException {
        List<Path> files = segmentFiles(pristine);
        Path copy = copyOfStore("gap");
        Files.delete(inCopy(copy, files.get(2)));
        int firstLost = batches.indexOf(batches.stream().filter(b -> b.file().equals(files.get(2))).findFirst()
                .orElseThrow());
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(copy).fsyncPolicy(FsyncPolicy.ALWAYS).build())) {
            assertThat(readAll(store)).isEqualTo(expectedBefore(firstLost));
            assertThat(store.nextSequence()).isEqualTo(batches.get(firstLost).firstSequence());
        }
        assertThat(segmentFiles(copy)).hasSize(2);
    }

    private static void flip(Path file, long position, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, position);
            b.put(0, (byte) (b.get(0) ^ mask));
            b.rewind();
            ch.write(b, position);
        }
    }
}
