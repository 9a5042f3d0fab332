package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.encodeUntracked;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A scan of a few hundred thousand entries reads sealed segments through their mappings (off
 * heap) and the active one in chunks of at most the configured size: what a cursor holds does
 * not grow with the store.
 */
class BoundedScanTest {
    private static final int ENTRIES = 300_000;
    private static final int BATCH = 1000;
    private static final int CHUNK = 256 * 1024;

    @TempDir
    Path dir;

    @Test
    void scansTheWholeStoreInBoundedChunks() {
        EmbeddedStoreConfig cfg = config(dir).segmentBytes(4L << 20).cursorReadBufferBytes(CHUNK).scanParallelism(1).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            for (long first = 0; first < ENTRIES; first += BATCH) {
                List<LogEntry> batch = entries(first, BATCH);
                store.append(encodeUntracked(batch), BATCH).join();
            }
            assertThat(store.stats().segments()).isGreaterThan(2);
            Segment active = store.segmentSnapshot()[store.segmentSnapshot().length - 1];
            assertThat(active.state().endOffset()).as("active segment spans many chunks").isGreaterThan(4L * CHUNK);

            assertThat(active.blocks()).as("the active segment is mapped in blocks").isNotEmpty();

            // Through the mappings (the default; only the unmapped tail is read into the buffer),
            // then everything by position (the fallback when mapping fails).
            assertThat(scan(store, true)).as("largest read buffer, mapped").isLessThanOrEqualTo(CHUNK);
            assertThat(scan(store, false)).as("largest read buffer").isPositive().isLessThanOrEqualTo(CHUNK);
        }
    }

    /** Scans everything, checking order and content; returns the largest buffer the cursor held. */
    private static int scan(EmbeddedLogStore store, boolean mapActive) {
        long[] count = {0};
        long[] sumAccess = {0};
        boolean[] allDirect = {true};
        try (SegmentCursor c = (SegmentCursor) store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL, mapActive)) {
            while (!c.isExhausted()) {
                c.advance((seq, buf, off, len) -> {
                    if (seq != count[0]) {
                        throw new AssertionError("sequence " + seq + " where " + count[0] + " was expected");
                    }
                    count[0]++;
                    sumAccess[0] += buf.getUnsignedInt(off + len - LogEntryCodec.FIXED_SIZE
                            + LogEntryCodec.ACCESS_TIME_OFFSET);
                    allDirect[0] &= buf.isDirect(); // never copied onto the heap
                    return true;
                }, 50_000);
            }
            assertThat(count[0]).isEqualTo(ENTRIES);
            // accessTime of entry i is 1,700,000,000 + i.
            assertThat(sumAccess[0]).isEqualTo(1_700_000_000L * ENTRIES + (long) ENTRIES * (ENTRIES - 1) / 2);
            assertThat(allDirect[0]).isTrue();
            return c.maxBufferCapacity();
        }
    }
}
