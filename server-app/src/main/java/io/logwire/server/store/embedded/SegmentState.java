package io.logwire.server.store.embedded;

/**
 * What a {@link Segment} holds as of one commit: published by the writer after the bytes are
 * written (and forced, under {@code ALWAYS}), read by cursors and retention. Immutable; the
 * index array is shared with later states, which only ever append past {@code indexSize}.
 *
 * @param endOffset        file length covered: whole, valid records only
 * @param entryCount       entries in those records
 * @param lastAppendMillis store clock when the last record was written, or -1 if none
 * @param ranges           numeric field ranges of those entries
 * @param index            sparse index, {@code (sequence - base) << 32 | filePosition} of record starts
 * @param indexSize        valid elements of {@code index}
 */
record SegmentState(long endOffset, long entryCount, long lastAppendMillis, FieldRanges ranges, long[] index,
                    int indexSize) {
    static final SegmentState EMPTY = new SegmentState(0, 0, -1, FieldRanges.EMPTY, new long[0], 0);

    /**
     * File position of a record starting at or before relative sequence {@code relative}
     * (sequence minus the segment's base), from which a forward walk reaches it.
     */
    long seekPosition(long relative) {
        int lo = 0;
        int hi = indexSize - 1;
        long found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long e = index[mid];
            if ((e >>> 32) <= relative) {
                found = e & 0xFFFF_FFFFL;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }
}
