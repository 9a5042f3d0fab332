package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.Cursor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;

/** The active segment's mapped blocks: shared by cursors, retired at the seal, unmapped after their last user. */
class SegmentMappingTest {
    private static final long SEGMENT = 1 << 20; // blocks of 64 KiB

    @TempDir
    Path dir;

    @Test
    void blocksOutliveTheSealOnlyWhileACursorUsesThem() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(SEGMENT).build())) {
            long next = 0;
            while (store.segmentSnapshot()[0].blocks().length < 2) {
                next += append(store, entries(next, 100)).stored();
            }
            Segment first = store.segmentSnapshot()[0];
            List<Stored> got = new ArrayList<>();
            try (Cursor c = store.openCursor(0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL)) {
                c.advance((seq, buf, off, len) -> got.add(new Stored(seq,
                        LogEntryCodec.decodeValid(buf, off))), 150);
                while (store.segmentSnapshot().length < 3) {
                    next += append(store, entries(next, 100)).stored();
                }
                assertThat(first.isSealed()).isTrue();
                assertThat(first.blocks()).as("retired but in use").isNotEmpty();
                Segment second = store.segmentSnapshot()[1];
                assertThat(second.blocks()).as("retired with no user: unmapped at once").isEmpty();
                assertThat(second.mapping()).isNotNull();

                while (!c.isExhausted()) {
                    c.advance((seq, buf, off, len) -> got.add(new Stored(seq,
                            LogEntryCodec.decodeValid(buf, off))), 1000);
                }
                assertThat(first.blocks()).as("unmapped once the cursor left").isEmpty();
            }
            assertThat(got).isEqualTo(numbered(0, entries(0, (int) next)));
            assertThat(readAll(store)).isEqualTo(got);
        }
    }

    @Test
    void aReopenedActiveSegmentIsMappedWhole() {
        long next = 0;
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(SEGMENT).build())) {
            for (int k = 0; k < 30; k++) {
                next += append(store, entries(next, 50)).stored();
            }
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).segmentBytes(SEGMENT).build())) {
            Segment active = store.segmentSnapshot()[0];
            assertThat(active.blocks()).hasSize(1);
            assertThat(active.blocks()[0].end()).isEqualTo(active.state().endOffset());
            next += append(store, entries(next, 5)).stored(); // past the block: read by position
            assertThat(readAll(store)).isEqualTo(numbered(0, entries(0, (int) next)));
        }
    }
}
