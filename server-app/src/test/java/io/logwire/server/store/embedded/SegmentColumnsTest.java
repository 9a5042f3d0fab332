package io.logwire.server.store.embedded;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.await;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.read;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scans that read sealed segments by their column files find exactly what walking the
 * entries finds, and the column files are made, checked, remade and removed with their segments.
 */
class SegmentColumnsTest {
    private static final int ENTRIES = 6000;
    private static final String[] USERS = {"Amy Brown", "bob", "", "carol", "dave", "Ünïcødé ✓", "eve", "x"};
    private static final float[] SCORES = {-0.0f, 0.0f, -1.5f, 1.5f, 4.0f, 4.25f, 1e9f, -3.4e38f};

    @TempDir
    Path dir;

    /**
     * Entry {@code i} of a varied data set: u32 values above 2^31, signed zeros, empty and
     * non-ASCII strings; the server changes every 700 entries, so some segments lack some servers.
     */
    private static LogEntry varied(Random r, long i) {
        return new LogEntry(USERS[r.nextInt(USERS.length)], "10.0.0." + r.nextInt(4), r.nextInt(8) * 9000,
                r.nextBoolean() ? 4_294_967_295L - r.nextInt(3) : r.nextInt(5), r.nextInt(3) * 1_500_000_000L,
                r.nextInt(100), SCORES[r.nextInt(SCORES.length)], "srv-" + (i / 700) % 4);
    }

    private EmbeddedLogStore openFilled(Path data) {
        EmbeddedLogStore store = EmbeddedLogStore.open(config(data).segmentBytes(16 * 1024).build());
        Random r = new Random(7);
        List<LogEntry> batch = new ArrayList<>();
        for (long i = 0; i < ENTRIES; i++) {
            batch.add(varied(r, i));
            if (batch.size() == 40) {
                append(store, batch);
                batch = new ArrayList<>();
            }
        }
        awaitColumns(store);
        return store;
    }

    private static void awaitColumns(EmbeddedLogStore store) {
        await(() -> store.segmentsWithColumns() == store.stats().segments() - 1, "every sealed segment has columns");
    }

    /** A random filter of one to three criteria over every field the columns cover, and IP. */
    private static String randomFilter(Random r) {
        List<String> criteria = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        String[] ops = {"=", "!=", "<", ">", "<=", ">="};
        for (int k = 0; k < n; k++) {
            String op = ops[r.nextInt(ops.length)];
            String eq = r.nextBoolean() ? "=" : "!=";
            criteria.add(switch (r.nextInt(8)) {
                case 0 -> "port" + op + r.nextInt(8) * 9000;
                case 1 -> "accessTime" + op + (r.nextBoolean() ? 4_294_967_294L : r.nextInt(5));
                case 2 -> "dataSent" + op + r.nextInt(3) * 1_500_000_000L;
                case 3 -> "dataReceived" + op + r.nextInt(100);
                case 4 -> "score" + op + String.format(Locale.ROOT, "%s", SCORES[r.nextInt(SCORES.length)]);
                case 5 -> "username" + eq + "\"" + (r.nextInt(10) == 0 ? "nobody" : USERS[r.nextInt(USERS.length)]) + "\"";
                case 6 -> "server" + eq + "srv-" + r.nextInt(5);
                default -> "IP" + eq + "10.0.0." + r.nextInt(4);
            });
        }
        return String.join(", ", criteria);
    }

    @Test
    void filteredScansByColumnsFindWhatWalkingTheEntriesFinds() {
        try (EmbeddedLogStore store = openFilled(dir)) {
            assertThat(store.stats().segments()).isGreaterThan(10);
            List<Stored> all = readAll(store);
            assertThat(all).hasSize(ENTRIES);
            Random r = new Random(11);
            for (int q = 0; q < 300; q++) {
                String text = randomFilter(r);
                Filter filter = Filter.parse(text);
                EntryPredicate predicate = filter.compile();
                List<Stored> expected = all.stream().filter(s -> predicate.test(s.entry())).toList();
                assertThat(read(store, 0, predicate, filter)).as(text).isEqualTo(expected);
                long from = r.nextInt(ENTRIES); // starting inside a segment
                assertThat(read(store, from, predicate, filter)).as(text + " from " + from)
                        .isEqualTo(expected.stream().filter(s -> s.sequence() >= from).toList());
                // In partitions of 500 entries: the aggregate scan's block path over columns.
                Object count = store.aggregate(AggregateQuery.parse(text + " | count"), 100, () -> false, 500)
                        .rows().get(0).get(0);
                assertThat(((Number) count).longValue()).as(text + " | count").isEqualTo(expected.size());
            }
            assertThat(store.segmentsReadByColumns()).isPositive();
        }
    }

    @Test
    void aCriterionOnAValueASegmentLacksSkipsItWithoutReadingIt() {
        try (EmbeddedLogStore store = openFilled(dir)) {
            Filter filter = Filter.parse("server=srv-3, port<9000");
            EntryPredicate predicate = filter.compile();
            List<Stored> expected = readAll(store).stream().filter(s -> predicate.test(s.entry())).toList();
            long skipped = store.segmentsSkipped();
            assertThat(read(store, 0, predicate, filter)).isEqualTo(expected).isNotEmpty();
            assertThat(store.segmentsSkipped() - skipped).as("segments without srv-3").isPositive();
        }
    }

    @Test
    void columnFilesAreCheckedWhenOpenedAndMadeAgainWhenWrong() throws IOException {
        List<Stored> all;
        Filter filter = Filter.parse("port<9000, username=bob");
        EntryPredicate predicate = filter.compile();
        try (EmbeddedLogStore store = openFilled(dir)) {
            all = readAll(store);
            assertThat(store.columnFilesMade()).isEqualTo(store.stats().segments() - 1);
        }
        List<Path> cols = columnFiles();
        assertThat(cols).isNotEmpty();
        // One file corrupted in its columns, one truncated, one deleted; a stray file and an unfinished one.
        try (RandomAccessFile f = new RandomAccessFile(cols.get(0).toFile(), "rw")) {
            f.seek(SegmentColumns.HEADER_SIZE + 5);
            int b = f.read();
            f.seek(SegmentColumns.HEADER_SIZE + 5);
            f.write(b ^ 0x40);
        }
        try (RandomAccessFile f = new RandomAccessFile(cols.get(1).toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        Files.delete(cols.get(2));
        Path stray = StoreFiles.segmentsDir(dir).resolve("99999999999999999999.cols");
        Path unfinished = StoreFiles.segmentsDir(dir).resolve(cols.get(3).getFileName() + ".tmp");
        Files.write(stray, new byte[100]);
        Files.write(unfinished, new byte[100]);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(16 * 1024).build())) {
            awaitColumns(store);
            assertThat(store.columnFilesMade()).isEqualTo(3);
            List<Stored> expected = all.stream().filter(s -> predicate.test(s.entry())).toList();
            long before = store.segmentsReadByColumns();
            assertThat(read(store, 0, predicate, filter)).isEqualTo(expected).isNotEmpty();
            assertThat(store.segmentsReadByColumns() - before).isEqualTo(store.stats().segments() - 1);
            await(() -> !Files.exists(stray) && !Files.exists(unfinished), "stray column files are gone");
        }
    }

    @Test
    void retentionRemovesAColumnFileWithItsSegment() throws IOException {
        long half;
        try (EmbeddedLogStore store = openFilled(dir)) {
            half = store.stats().bytesOnDisk() / 2;
        }
        Path oldest = columnFiles().get(0);
        // Reopened with a size limit: retention drops the older half of the segments.
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(16 * 1024)
                .retentionMaxBytes(half).build())) {
            await(() -> store.segmentsRemoved() > 0, "retention removed segments");
            assertThat(oldest).doesNotExist();
            List<Long> segmentBases = StoreTestSupport.segmentFiles(dir).stream()
                    .map(p -> StoreFiles.parseSegmentFileName(p.getFileName().toString())).toList();
            assertThat(columnFiles()).isNotEmpty();
            for (Path c : columnFiles()) {
                String name = c.getFileName().toString();
                long base = Long.parseLong(name.substring(0, name.length() - StoreFiles.COLUMNS_SUFFIX.length()));
                assertThat(segmentBases).as("column file " + name + " has its segment").contains(base);
            }
        }
    }

    @Test
    void aStringFieldWithTooManyValuesForADictionaryIsLeftToThePredicate() {
        // About 100,000 entries, each with its own username, per 3 MiB segment.
        int n = 3 * SegmentColumns.MAX_DICTIONARY;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(3L << 20).build())) {
            List<LogEntry> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(new LogEntry("u" + i, "ip", i % 100, i, 0, 0, 0f, "s"));
                if (batch.size() == 1000) {
                    append(store, batch);
                    batch = new ArrayList<>();
                }
            }
            append(store, batch);
            assertThat(store.stats().segments()).isGreaterThan(1);
            awaitColumns(store);
            long before = store.segmentsReadByColumns();
            Filter filter = Filter.parse("username=u70000, port<50");
            List<Stored> found = read(store, 0, filter.compile(), filter);
            assertThat(found).extracting(s -> s.entry().username()).containsExactly("u70000");
            Filter other = Filter.parse("username!=u7, port=7");
            long expected = (n + 92) / 100 - 1; // i % 100 == 7 for i < n, but u7
            assertThat(read(store, 0, other.compile(), other)).hasSize((int) expected);
            assertThat(store.segmentsReadByColumns() - before).isPositive();
        }
    }

    private List<Path> columnFiles() throws IOException {
        try (Stream<Path> s = Files.list(StoreFiles.segmentsDir(dir))) {
            return s.filter(p -> p.getFileName().toString().endsWith(StoreFiles.COLUMNS_SUFFIX)).sorted().toList();
        }
    }
}
