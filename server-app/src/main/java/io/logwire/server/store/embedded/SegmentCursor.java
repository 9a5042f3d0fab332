package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.MatchSink;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;

/**
 * A {@link Cursor} over the segments of an {@link EmbeddedLogStore}. Walks records in
 * place and tests each entry's encoded bytes with the predicate, creating no object per
 * entry.
 *
 * <p>Sealed segments are read through their shared read-only mapping, the active one through
 * the blocks the writer maps as it grows ({@link Segment}); the rest (the newest few MiB, or
 * anything whose mapping failed) is read through this cursor's own {@link FileChannel} (an
 * interrupt of the reading thread then closes only that) into one direct buffer of
 * {@link EmbeddedStoreConfig#cursorReadBufferBytes}, grown only for a record larger than that
 * and shrunk back after it. Nothing is copied onto the heap, so the heap a scan needs does not
 * depend on the size of the store. Only whole committed records are read: a segment's published
 * {@link SegmentState} bounds every read.
 *
 * <p>A numeric criterion of the filter that a segment's field ranges cannot satisfy skips
 * the (rest of the) segment without reading it. A sealed segment with a column file
 * ({@link SegmentColumns}) is not walked at all when the filter has criteria the columns can
 * answer: they pick the candidates, and only those are read and given to the predicate,
 * which still decides (so the columns need only never miss a match). The cursor holds a reference to the segment
 * it is in, so retention can remove it meanwhile; if retention removed the segments ahead,
 * the cursor continues at the oldest one left.
 *
 * <p>Not thread-safe (one thread at a time), as {@link Cursor} says.
 */
final class SegmentCursor implements Cursor {
    /**
     * Read buffers never leave a cursor (sinks must copy what they keep), so they are not
     * leak-tracked: under paranoid leak detection every access to a tracked buffer records a
     * stack trace, which would slow scans a hundredfold. Released (freed) at once all the same.
     */
    private static final ByteBufAllocator READ_BUFFERS = new UnpooledByteBufAllocator(true, true);

    /** How far ahead of the entry being read the scan touches the view, in bytes (see collect). */
    private static final int PREFETCH_DISTANCE = 4096;
    /** Entries walked per {@link #collect}. */
    private static final int CHUNK = 256;
    /** Entries tested per {@link #collect} when reading by columns (a column loop is cheap per entry). */
    private static final int COLUMN_CHUNK = 4096;

    private final SegmentList segments;
    private final EntryPredicate predicate;
    private final FieldRanges.NumericCriteria criteria;
    private final SegmentColumns.Query columnQuery;
    private final StoreMetrics metrics;
    private final int chunkBytes;
    private final boolean useMappings;

    private long position;
    private boolean exhausted;
    private boolean closed;

    private Segment segment;      // retained while not null
    private SegmentState segState;
    private long recordOffset;    // file offset of the next record to read in segment
    private ByteBuf view;         // holds file bytes [viewStart, viewStart + viewLength)
    private long viewStart;
    private long viewLength;
    private boolean viewIsShared; // the segment's own mapping: covers the whole (sealed) file
    private boolean usingBlocks;  // acquired the segment's blocks
    private Segment.MappedBlock viewBlock; // the block in view, if any
    private FileChannel channel;  // own channel on segment, for reads by position
    private ByteBuf readBuffer;   // direct, owned
    private int maxBufferCapacity;

    private int prefetched;       // sum of the bytes touched ahead (see collect), otherwise unused
    private final int[] matchOffsets = new int[COLUMN_CHUNK];
    private int walkedTo;
    private final int[] matchIndexes = new int[COLUMN_CHUNK];
    private int entryIndex;       // index in view of the next entry of the current record
    private int entriesLeft;      // entries of the current record (or, with columns, segment) not examined yet
    private SegmentColumns columns; // the current segment's, when its scan uses them
    private SegmentColumns.Plan plan;

    SegmentCursor(SegmentList segments, long fromSequence, EntryPredicate predicate,
                  FieldRanges.NumericCriteria criteria, SegmentColumns.Query columnQuery, StoreMetrics metrics,
                 int chunkBytes, boolean useMappings) {
        this.useMappings = useMappings;
        this.segments = segments;
        this.predicate = predicate;
        this.criteria = criteria;
        this.columnQuery = columnQuery;
        this.metrics = metrics;
        this.chunkBytes = chunkBytes;
        // A u64 from the wire at or above 2^63 is negative here: it lies past every entry.
        long from = fromSequence < 0 ? Long.MAX_VALUE : fromSequence;
        Segment[] snapshot = segments.snapshot();
        if (snapshot.length > 0) {
            from = Math.max(from, snapshot[0].baseSequence()); // older entries are gone
        }
        this.position = from;
    }

    @Override
    public int advance(MatchSink sink, int maxScanned) {
        if (closed) {
            throw new IllegalStateException("cursor is closed");
        }
        long end = segments.endSequence();
        int handed = 0;
        int scanned = 0;
        try {
            while (true) {
                if (!haveEntries(end)) {
                    return handed;
                }
                if (scanned >= maxScanned) {
                    exhausted = false;
                    return handed;
                }
                ByteBuf v = view;
                long first = position;
                int n = Math.min(Math.min(entriesLeft, maxScanned - scanned), columns != null ? COLUMN_CHUNK : CHUNK);
                int matched = collect(n);
                for (int m = 0; m < matched; m++) {
                    int off = matchOffsets[m];
                    int i = matchIndexes[m];
                    int len = LogEntryCodec.entryLength(v, off);
                    handed++;
                    if (!sink.accept(first + i, v, off, len)) {
                        entryIndex = off + len;
                        entriesLeft -= i + 1;
                        position = first + i + 1;
                        exhausted = entriesLeft == 0 && position >= end;
                        return handed;
                    }
                }
                entryIndex = walkedTo;
                entriesLeft -= n;
                position = first + n;
                scanned += n;
            }
        } catch (IOException | IndexOutOfBoundsException e) {
            throw readFailure(e);
        }
    }

    /**
     * Whether the current record has entries left, loading the next record (before sequence
     * {@code end}) if not; false, and exhausted, when there is none.
     */
    private boolean haveEntries(long end) throws IOException {
        while (entriesLeft == 0) {
            if (position >= end || !loadNextRecord(end)) {
                exhausted = true;
                return false;
            }
        }
        return true;
    }

    /** Leaves the segment that could not be read and says where. */
    private StoreException readFailure(Exception e) {
        Segment s = segment;
        leaveSegment();
        return new StoreException("could not read " + (s == null ? "the store" : s.path()) + " at sequence "
                + position + ": " + e, e);
    }

    /**
     * Walks the next {@code n} entries of the current record from {@link #entryIndex}, noting
     * the offset and index (0 .. n-1) of each that matches in {@link #matchOffsets} and
     * {@link #matchIndexes} and where the walk ended in {@link #walkedTo} (the caller moves
     * the cursor once the matches are handed over); returns how many matched.
     *
     * <p>The walk does nothing but find the entries; the filter then runs over the block (one
     * loop per criterion) and the sink or consumer gets the matches afterwards. Each entry's
     * length says where the next starts, so the walk is one chain of dependent loads, waiting
     * for every cache line in turn, and the fewer instructions between them the further ahead
     * the processor gets. Touching a byte a page further on (an independent load) brings
     * lines in ahead of the chain. Together these took '| count' over 10M stored entries from
     * 90M to 150M entries/s on the 2-core benchmark machine.
     */
    private int collect(int n) {
        if (columns != null) {
            int matched = columns.select(plan, (int) (position - segment.baseSequence()), n, matchIndexes, matchOffsets);
            return matched == 0 ? 0 : predicate.filter(view, matchOffsets, matchIndexes, matched);
        }
        ByteBuf v = view;
        int[] offsets = matchOffsets;
        int[] indexes = matchIndexes;
        int lastByte = v.writerIndex() - 1;
        int off = entryIndex;
        int touched = 0;
        for (int i = 0; i < n; i++) {
            touched += v.getByte(Math.min(off + PREFETCH_DISTANCE, lastByte));
            offsets[i] = off;
            indexes[i] = i;
            off += LogEntryCodec.entryLength(v, off);
        }
        walkedTo = off;
        prefetched = touched; // keeps the touches: a load whose value is unused may be dropped
        return predicate.filter(v, offsets, indexes, n);
    }

    /** Receives matching entries in blocks (see {@link #advanceBlocks}). */
    @FunctionalInterface
    interface BlockConsumer {
        /**
         * Entries at {@code offsets[0 .. count)} of {@code buf}, in wire encoding, valid only
         * during the call.
         */
        void accept(ByteBuf buf, int[] offsets, int count);
    }

    /**
     * {@link #advance} for a scan that works on many entries at once, such as an aggregation:
     * hands the matching entries to {@code consumer} as offsets into one buffer, up to 4096
     * at a time, none at or after sequence {@code stopAt}.
     *
     * @return the number of entries scanned
     */
    int advanceBlocks(BlockConsumer consumer, long stopAt, int maxScanned) {
        if (closed) {
            throw new IllegalStateException("cursor is closed");
        }
        long end = Math.min(segments.endSequence(), stopAt);
        int scanned = 0;
        try {
            while (true) {
                if (!haveEntries(end)) {
                    return scanned;
                }
                int chunk = columns != null ? COLUMN_CHUNK : CHUNK;
                int n = (int) Math.min(Math.min(entriesLeft, maxScanned - scanned), Math.min(chunk, end - position));
                if (n <= 0) {
                    exhausted = false;
                    return scanned;
                }
                int matched = collect(n);
                if (matched > 0) {
                    consumer.accept(view, matchOffsets, matched);
                }
                entryIndex = walkedTo;
                entriesLeft -= n;
                position += n;
                scanned += n;
            }
        } catch (IOException | IndexOutOfBoundsException e) {
            throw readFailure(e);
        }
    }

    /**
     * Positions at the next record holding entries at or after {@link #position}, before
     * {@code end}.
     *
     * @return false if there is none (the store ends before {@code end} was reached: the
     *         remaining entries were removed, or skipped past {@code end})
     */
    private boolean loadNextRecord(long end) throws IOException {
        while (position < end) {
            if (segment == null) {
                if (!enterSegment(end)) {
                    return false;
                }
                if (entriesLeft > 0) {
                    return true; // read by its columns
                }
                continue;
            }
            if (recordOffset >= segState.endOffset()) {
                boolean sealed = segment.isSealed(); // read before the state: sealed means final
                SegmentState fresh = segment.state();
                if (fresh.endOffset() > segState.endOffset()) {
                    segState = fresh;
                    if (!mayMatch(fresh)) {
                        skipTo(fresh);
                    }
                    continue;
                }
                if (!sealed) {
                    return false; // the active segment, with nothing committed past us
                }
                leaveSegment();
                continue;
            }
            if (readRecord()) {
                return true;
            }
        }
        return false;
    }

    /** Retains the segment holding {@link #position} and seeks in it. */
    private boolean enterSegment(long end) throws IOException {
        while (true) {
            Segment[] snapshot = segments.snapshot();
            if (snapshot.length == 0) {
                return false; // store closed
            }
            if (position < snapshot[0].baseSequence()) {
                position = snapshot[0].baseSequence(); // removed by retention
            }
            if (position >= end) {
                return false;
            }
            Segment s = SegmentList.floor(snapshot, position);
            if (!s.tryRetain()) {
                continue; // removed meanwhile: look again
            }
            segment = s;
            boolean sealed = s.isSealed();
            SegmentState st = s.state();
            segState = st;
            if (useMappings && sealed && s.mapping() != null) {
                MappedByteBuffer mapping = s.mapping();
                view = Unpooled.wrappedBuffer(mapping.duplicate());
                viewStart = 0;
                viewLength = mapping.capacity();
                viewIsShared = true;
            } else {
                view = null;
                viewIsShared = false;
                usingBlocks = useMappings && s.acquireBlocks();
                try {
                    channel = FileChannel.open(s.path(), StandardOpenOption.READ);
                } catch (NoSuchFileException e) {
                    if (!sealed) {
                        throw e;
                    }
                    leaveSegment(); // removed by retention before we opened it: look again
                    continue;
                }
            }
            if (!mayMatch(st)) {
                skipTo(st);
            } else if (!useColumns(s, st)) {
                recordOffset = st.seekPosition(position - s.baseSequence());
            }
            return true;
        }
    }

    /**
     * Reads the sealed segment just entered by its columns if it has them and they can answer
     * part of the filter: all its entries from {@link #position} are then ready at once
     * (or none, when the columns show that nothing matches).
     */
    private boolean useColumns(Segment s, SegmentState st) {
        SegmentColumns c;
        if (columnQuery.isEmpty() || !viewIsShared || (c = s.columns()) == null) {
            return false;
        }
        long left = s.baseSequence() + st.entryCount() - position;
        if (left <= 0 || c.count() != st.entryCount()) {
            return false;
        }
        SegmentColumns.Plan p = c.plan(columnQuery);
        if (p == null) {
            return false;
        }
        if (p.isNothing()) {
            skipTo(st);
            return true;
        }
        metrics.segmentsReadByColumns.increment();
        columns = c;
        plan = p;
        recordOffset = st.endOffset();
        entriesLeft = (int) left;
        return true;
    }

    private boolean mayMatch(SegmentState st) {
        return criteria.isEmpty() || st.ranges().mayMatch(criteria);
    }

    /** Skips the rest of the current segment as far as {@code st} covers it. */
    private void skipTo(SegmentState st) {
        metrics.segmentsSkipped.increment();
        position = Math.max(position, segment.baseSequence() + st.entryCount());
        recordOffset = st.endOffset();
    }

    /**
     * Reads the record at {@link #recordOffset} and moves past it.
     *
     * @return whether it holds entries at or after {@link #position} (then they are ready)
     */
    private boolean readRecord() throws IOException {
        long offset = recordOffset;
        ensureInView(offset, RecordFormat.HEADER_SIZE);
        int i = (int) (offset - viewStart);
        int recordSize = view.getInt(i + RecordFormat.LENGTH_OFFSET) + 4;
        long firstSequence = view.getLong(i + RecordFormat.FIRST_SEQUENCE_OFFSET);
        int count = RecordFormat.count(view.getInt(i + RecordFormat.COUNT_OFFSET));
        recordOffset = offset + recordSize;
        if (firstSequence + count <= position) {
            return false; // wholly before the position: only its header was needed
        }
        ensureInView(offset, recordSize);
        i = (int) (offset - viewStart);
        int p = i + RecordFormat.HEADER_SIZE;
        long seq = firstSequence;
        while (seq < position) {
            p += LogEntryCodec.entryLength(view, p);
            seq++;
        }
        position = seq;
        entryIndex = p;
        entriesLeft = (int) (firstSequence + count - seq);
        return true;
    }

    /** Makes file bytes {@code [offset, offset + length)} of the current segment readable in {@link #view}. */
    private void ensureInView(long offset, int length) throws IOException {
        if (view != null && offset >= viewStart && offset + length <= viewStart + viewLength) {
            return;
        }
        if (viewIsShared) {
            throw new EOFException("record at " + offset + " runs past the end of " + segment.path());
        }
        long committed = segState.endOffset() - offset;
        if (length > committed) {
            throw new EOFException("record at " + offset + " runs past the committed end of " + segment.path());
        }
        if (usingBlocks && viewBlock(offset, length)) {
            return;
        }
        if (channel == null) {
            channel = FileChannel.open(segment.path(), StandardOpenOption.READ);
        }
        int want = (int) Math.min(Math.max(chunkBytes, length), committed);
        int limit = Math.max(chunkBytes, want);
        if (readBuffer == null || readBuffer.capacity() < want || readBuffer.capacity() > limit) {
            // Small while the active segment is small; never above one chunk or one record.
            int capacity = (int) Math.min(limit, Math.max(4096, Long.highestOneBit(want - 1L) << 1));
            releaseReadBuffer();
            readBuffer = READ_BUFFERS.directBuffer(capacity, capacity);
            maxBufferCapacity = Math.max(maxBufferCapacity, capacity);
        }
        ByteBuffer nio = readBuffer.nioBuffer(0, want);
        try {
            while (nio.hasRemaining()) {
                int n = channel.read(nio, offset + nio.position());
                if (n < 0) {
                    throw new EOFException(segment.path() + " ends before its committed length");
                }
            }
        } catch (IOException e) {
            closeChannel(); // may have been closed by an interrupt; reopened next time
            view = null;
            throw e;
        }
        // Readable bytes = valid bytes: some predicates (ByteBufUtil.equals) check the writer index.
        readBuffer.setIndex(0, want);
        view = readBuffer;
        viewBlock = null;
        viewStart = offset;
        viewLength = want;
    }

    /**
     * Views the block holding {@code [offset, offset + length)}, if one does (blocks are
     * record-aligned, so a record lies wholly in one or past all of them).
     */
    private boolean viewBlock(long offset, int length) {
        Segment.MappedBlock[] blocks = segment.blocks();
        int lo = 0;
        int hi = blocks.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Segment.MappedBlock b = blocks[mid];
            if (offset < b.start()) {
                hi = mid - 1;
            } else if (offset >= b.end()) {
                lo = mid + 1;
            } else {
                if (offset + length > b.end()) {
                    return false; // cannot happen with aligned blocks; read by position
                }
                if (b != viewBlock) {
                    view = Unpooled.wrappedBuffer(b.buffer().duplicate());
                    viewBlock = b;
                    viewStart = b.start();
                    viewLength = b.end() - b.start();
                }
                return true;
            }
        }
        return false;
    }

    private void leaveSegment() {
        closeChannel();
        view = null;
        viewBlock = null;
        if (usingBlocks) {
            usingBlocks = false;
            segment.releaseBlocks(); // after dropping the view: the blocks may be unmapped now
        }
        viewIsShared = false;
        entriesLeft = 0;
        columns = null;
        plan = null;
        if (segment != null) {
            segment.release();
            segment = null;
        }
        segState = null;
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only: nothing to lose
            }
            channel = null;
        }
    }

    private void releaseReadBuffer() {
        if (readBuffer != null) {
            if (view == readBuffer) {
                view = null;
            }
            readBuffer.release();
            readBuffer = null;
        }
    }

    @Override
    public boolean isExhausted() {
        return exhausted;
    }

    @Override
    public long position() {
        return position;
    }

    /** Largest read buffer this cursor has held, in bytes (0 if it only read mappings). */
    int maxBufferCapacity() {
        return maxBufferCapacity;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        leaveSegment();
        releaseReadBuffer();
    }
}
