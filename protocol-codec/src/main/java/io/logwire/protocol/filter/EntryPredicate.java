package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.netty.buffer.ByteBuf;

/**
 * A test over entries, both as objects and in their wire encoding, so a scan of stored
 * bytes need not create objects. Implementations are immutable and thread-safe.
 */
public interface EntryPredicate {
    /** Matches everything. */
    EntryPredicate MATCH_ALL = new EntryPredicate() {
        @Override
        public boolean test(LogEntry e) {
            return true;
        }

        @Override
        public boolean test(ByteBuf buf, int offset) {
            return true;
        }

        @Override
        public int filter(ByteBuf buf, int[] offsets, int[] tags, int n) {
            return n;
        }

        @Override
        public String toString() {
            return "MATCH_ALL";
        }
    };

    boolean test(LogEntry entry);

    /** Tests the well-formed encoded entry at {@code offset} of {@code buf}. */
    boolean test(ByteBuf buf, int offset);

    /**
     * Tests a block of well-formed encoded entries at once: keeps, in order, the entries at
     * {@code offsets[0 .. n)} of {@code buf} that match, moving each kept offset and the
     * {@code tags} value beside it (say, its position in a record) to the front of both
     * arrays; returns how many were kept. A scan over many entries calls this rather than
     * {@link #test(ByteBuf, int)} for each, so that an implementation can run one tight loop
     * per criterion.
     */
    default int filter(ByteBuf buf, int[] offsets, int[] tags, int n) {
        int kept = 0;
        for (int j = 0; j < n; j++) {
            if (test(buf, offsets[j])) {
                offsets[kept] = offsets[j];
                tags[kept] = tags[j];
                kept++;
            }
        }
        return kept;
    }
}
