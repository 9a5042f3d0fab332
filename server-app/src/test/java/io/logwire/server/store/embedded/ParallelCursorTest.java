package io.logwire.server.store.embedded;

import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.Cursor;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.encodeUntracked;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The parallel scan hands exactly what a sequential scan hands, in the same order, whatever
 * the partition size, the copy budget, where the sink stops and how far each step may go.
 */
class ParallelCursorTest {
    private static final int ENTRIES = 40_000;

    @TempDir
    Path dir;

    /** One match as handed: its sequence and its bytes in hex. */
    record Match(long sequence, String hex) {
    }

    private EmbeddedLogStore open(int parallelism) {
        EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(256 * 1024)
                .scanParallelism(parallelism).build());
        for (int first = 0; first < ENTRIES; first += 500) {
            store.append(encodeUntracked(entries(first, 500)), 500).join();
        }
        return store;
    }

    /** Drains a cursor: random step sizes, and the sink refuses now and then (as a full ROWS chunk does). */
    private static List<Match> drain(Cursor c, Random random) {
        List<Match> out = new ArrayList<>();
        int guard = 0;
        while (!c.isExhausted()) {
            int stopAfter = random.nextInt(4) == 0 ? random.nextInt(50) : Integer.MAX_VALUE;
            int[] taken = {0};
            long before = c.position();
            c.advance((seq, buf, off, len) -> {
                out.add(new Match(seq, ByteBufUtil.hexDump(buf, off, len)));
                return ++taken[0] < stopAfter;
            }, 1 + random.nextInt(5_000));
            assertThat(c.position()).as("position never goes back").isGreaterThanOrEqualTo(before);
            assertThat(++guard).as("the scan ends").isLessThan(1_000_000);
        }
        return out;
    }

    private static List<Match> sequential(EmbeddedLogStore store, long from, EntryPredicate p, Filter f) {
        try (Cursor c = store.openCursor(from, p, f, true, Long.MAX_VALUE / 4, 1)) {
            assertThat(c).isInstanceOf(SegmentCursor.class);
            return drain(c, new Random(1));
        }
    }

    @Test
    void handsTheSameMatchesInTheSameOrderAsOneThread() {
        try (EmbeddedLogStore store = open(3)) {
            Random random = new Random(42);
            String[] filters = {"", "port<3000", "port<30000, username=user7", "score>=100.0", "port>70000",
                    "server=srv-3xxx"};
            for (String text : filters) {
                Filter f = Filter.parse(text);
                EntryPredicate p = f.compile();
                for (long from : new long[] {0, 1234, ENTRIES - 10, ENTRIES + 5}) {
                    List<Match> expected = sequential(store, from, p, f);
                    for (int budget : new int[] {64, 4096, 1 << 20}) {
                        for (long partition : new long[] {100, 3_333, 15_000}) {
                            try (Cursor c = store.openCursor(from, p, f, true, partition, budget)) {
                                if (ENTRIES - from >= 2 * partition) {
                                    assertThat(c).isInstanceOf(ParallelCursor.class);
                                }
                                assertThat(drain(c, random)).as("filter '%s' from %d, budget %d, partitions of %d",
                                        text, from, budget, partition).isEqualTo(expected);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void entriesAppendedWhileScanningFollowInOrder() {
        try (EmbeddedLogStore store = open(2)) {
            Filter f = Filter.MATCH_ALL;
            List<Long> seen = new ArrayList<>();
            try (Cursor c = store.openCursor(0, EntryPredicate.MATCH_ALL, f, true, 1000, 8192)) {
                c.advance((seq, buf, off, len) -> seen.add(seq) && seen.size() < 5, 10); // starts the partitions
                store.append(encodeUntracked(entries(ENTRIES, 700)), 700).join();
                while (!c.isExhausted()) {
                    c.advance((seq, buf, off, len) -> seen.add(seq), 7_000);
                }
            }
            assertThat(seen).hasSize(ENTRIES + 700);
            for (int i = 0; i < seen.size(); i++) {
                assertThat(seen.get(i)).isEqualTo(i);
            }
        }
    }

    @Test
    void closingMidScanStopsThePartitionsAndTheStoreClosesCleanly() {
        EmbeddedLogStore store = open(2);
        for (int round = 0; round < 20; round++) {
            Cursor c = store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL, true, 500, 4096);
            c.advance((seq, buf, off, len) -> true, 1 + round * 97);
            c.close();
        }
        // A cursor left open when the store closes ends instead of hanging.
        Cursor open = store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL, true, 500, 4096);
        open.advance((seq, buf, off, len) -> true, 10);
        store.close();
        open.close();
        assertThat(store.stats().entriesStored()).isGreaterThanOrEqualTo(0);
    }
}
