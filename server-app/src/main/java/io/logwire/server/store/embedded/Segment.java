package io.logwire.server.store.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One segment file: records back to back as laid out in {@link RecordFormat}, named by the
 * sequence of its first entry ({@link StoreFiles}). The last segment of the store is the
 * active one, appended to by the writer thread; the others are sealed and never change.
 *
 * <p>Thread-safety: the writer thread alone appends and calls the {@code writer*} methods;
 * what it has made visible is published as an immutable {@link SegmentState} through a
 * volatile field, so cursors on any thread read only whole, committed records. The file stays
 * open and mapped while anyone holds a reference ({@link #tryRetain}/{@link #release}): the
 * store holds one until retention drops the segment, and each cursor one while it reads, so
 * retention can delete a segment under a reader without pulling the bytes from under it.
 * Only the writer and maintenance threads (never interrupted) touch the shared channel:
 * an interrupt during a {@link FileChannel} operation closes the channel for everyone, so
 * cursors read through mappings the writer made, and through their own channel.
 *
 * <p>Mappings for readers, all read-only and made by the writer: a sealed segment has one of
 * the whole file; the active one has <em>blocks</em>, record-aligned mappings of its committed
 * prefix added as it grows (readers map nothing themselves: every fresh mapping faults its
 * pages in again, which costs more than reading them). At the seal the blocks are retired and
 * unmapped once the last cursor that was using them lets go, so a sealed segment keeps one
 * mapping however it was written.
 */
final class Segment {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);
    private static final int INITIAL_INDEX_CAPACITY = 64;

    private final long baseSequence;
    private final Path path;
    private final FileChannel channel;
    private final AtomicInteger refCnt = new AtomicInteger(1);
    private final int indexIntervalBytes;

    private volatile SegmentState state = SegmentState.EMPTY;
    private volatile boolean sealed;
    private volatile long sealedNanos;
    /** Guarded by {@code this}; the whole sealed file, dropped at the last release. */
    private MappedByteBuffer mapping;
    private volatile MappedBlock[] blocks = NO_BLOCKS;
    /** Cursors using {@link #blocks}, times 2, plus 1 once retired. */
    private final AtomicInteger blockUsers = new AtomicInteger();
    private static final MappedBlock[] NO_BLOCKS = new MappedBlock[0];
    private volatile boolean removed;
    /** Guarded by {@code this}; set once made or opened, closed at the last release. */
    private SegmentColumns columns;
    /** Writes (by the writer) and forces done: forced up to {@code forcedGeneration}. */
    private volatile long writtenGeneration;
    private final AtomicLong forcedGeneration = new AtomicLong();

    // Confined to the writer thread (or to recovery, before the store is shared).
    private long writeEnd;
    private long writeCount;
    private long writeLastAppend = -1;
    private final FieldRanges.Accumulator writeRanges = new FieldRanges.Accumulator();
    private long[] writeIndex = new long[INITIAL_INDEX_CAPACITY];
    private int writeIndexSize;
    private long lastIndexedPosition = Long.MIN_VALUE;
    private long blockedEnd;

    Segment(long baseSequence, Path path, FileChannel channel, int indexIntervalBytes) {
        this.baseSequence = baseSequence;
        this.path = path;
        this.channel = channel;
        this.indexIntervalBytes = indexIntervalBytes;
    }

    long baseSequence() {
        return baseSequence;
    }

    Path path() {
        return path;
    }

    SegmentState state() {
        return state;
    }

    boolean isSealed() {
        return sealed;
    }

    /** Sequence after the last committed entry. */
    long endSequence() {
        return baseSequence + state.entryCount();
    }

    // ---------------------------------------------------------------- writer side

    FileChannel writerChannel() {
        return channel;
    }

    /** Length of the file up to the last committed record. */
    long writerEnd() {
        return writeEnd;
    }

    long writerEndSequence() {
        return baseSequence + writeCount;
    }

    /**
     * Accounts for a record written at {@code writeEnd}; visible only after {@link #publish}.
     * Call only once the record's bytes are in the file (and forced, where the policy says).
     */
    void writerRecordAppended(int recordSize, int count, FieldRanges ranges, long appendTime) {
        long position = writeEnd;
        if (lastIndexedPosition == Long.MIN_VALUE || position - lastIndexedPosition >= indexIntervalBytes) {
            if (writeIndexSize == writeIndex.length) {
                // A new array: states already published keep reading the old one.
                writeIndex = Arrays.copyOf(writeIndex, writeIndex.length * 2);
            }
            writeIndex[writeIndexSize++] = writeCount << 32 | position;
            lastIndexedPosition = position;
        }
        writeRanges.add(ranges);
        writeEnd = position + recordSize;
        writeCount += count;
        writeLastAppend = appendTime;
    }

    /** Same as {@link #writerRecordAppended} for recovery, which walks the entries itself. */
    FieldRanges.Accumulator writerRanges() {
        return writeRanges;
    }

    void recoveryRecordAppended(int recordSize, int count, long appendTime) {
        writerRecordAppended(recordSize, count, FieldRanges.EMPTY, appendTime);
    }

    /** Makes everything accounted so far visible to readers. */
    void publish() {
        state = new SegmentState(writeEnd, writeCount, writeLastAppend, writeRanges.snapshot(), writeIndex,
                writeIndexSize);
    }

    /** Marks the segment as never changing again; call after the final {@link #publish}. */
    void seal() {
        sealedNanos = System.nanoTime();
        sealed = true;
    }

    /** {@link System#nanoTime} when sealed (by the writer; for a segment sealed by recovery, when it was opened). */
    long sealedNanos() {
        return sealedNanos;
    }

    /** Writer: bytes were written (or cut back) since the last force. */
    void writerMarkWritten() {
        writtenGeneration++; // single writer
    }

    /** Whether something written has not been forced yet. */
    boolean needsForce() {
        return forcedGeneration.get() != writtenGeneration;
    }

    /** Forces written data (any thread holding a reference; the writer or maintenance). */
    void force() throws IOException {
        long generation = writtenGeneration;
        channel.force(false);
        forcedGeneration.accumulateAndGet(generation, Math::max);
    }

    // ---------------------------------------------------------------- reader side

    /**
     * Takes a reference, unless the segment was already released for good.
     *
     * @return whether the caller now holds a reference and must {@link #release} it
     */
    boolean tryRetain() {
        for (;;) {
            int n = refCnt.get();
            if (n == 0) {
                return false;
            }
            if (refCnt.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one unmaps and closes the file (and deletes it if removed). */
    void release() {
        int n = refCnt.decrementAndGet();
        if (n == 0) {
            free();
        } else if (n < 0) {
            throw new IllegalStateException("segment " + path + " released too often");
        }
    }

    int refCnt() {
        return refCnt.get();
    }

    /**
     * The whole file of a sealed segment, mapped read-only and shared by all readers, or
     * {@code null} (active segment, or mapping failed): read the file by position then. Hold a
     * reference while using it.
     */
    synchronized MappedByteBuffer mapping() {
        return mapping;
    }

    /**
     * Maps the sealed file for readers. Called by the writer right after {@link #seal}
     * (never by a reader thread: an interrupt during {@code map} would close the shared
     * channel). A failure is logged and readers fall back to reading by position.
     */
    synchronized void mapForReaders() {
        if (mapping != null || !sealed) {
            return;
        }
        long size = state.endOffset();
        if (size == 0) {
            return;
        }
        try {
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not map segment {} ({}); cursors will read it by position", path, e.toString());
        }
    }

    /** Hands over a mapping made by recovery, so the file is not mapped twice. */
    synchronized void adoptMapping(MappedByteBuffer buffer) {
        if (mapping != null) {
            Unmapper.unmap(buffer);
            return;
        }
        mapping = buffer;
    }

    /** The column file of this sealed segment, or null while it has none. Hold a reference while using it. */
    synchronized SegmentColumns columns() {
        return columns;
    }

    /**
     * Gives this segment its column file (the caller holds a reference). If the segment was
     * removed meanwhile, or already has one, the file is closed and deleted instead.
     */
    void installColumns(SegmentColumns c) {
        synchronized (this) {
            if (!removed && columns == null) {
                columns = c;
                return;
            }
        }
        c.close();
        deleteQuietly(c.path());
    }

    /** Record-aligned, read-only mapping of file bytes {@code [start, end)}. */
    record MappedBlock(long start, long end, MappedByteBuffer buffer) {
    }

    /**
     * Writer (and recovery): maps the committed bytes past the last block as a new block once
     * they are at least {@code blockBytes}, or any at all when {@code blockBytes} is 0. A
     * failure is logged; readers then read that part by position.
     */
    void writerMapBlock(long blockBytes) {
        long size = writeEnd - blockedEnd;
        if (size <= 0 || size < blockBytes || (blockUsers.get() & 1) != 0) {
            return;
        }
        MappedByteBuffer buffer;
        try {
            buffer = channel.map(FileChannel.MapMode.READ_ONLY, blockedEnd, size);
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not map {} bytes of {} ({}); cursors read them by position", size, path, e.toString());
            return;
        }
        adoptBlock(buffer);
    }

    /** Recovery: uses its mapping of the whole (valid) active file as the first block. */
    void adoptBlock(MappedByteBuffer buffer) {
        MappedBlock[] old = blocks;
        MappedBlock[] next = Arrays.copyOf(old, old.length + 1);
        next[old.length] = new MappedBlock(blockedEnd, blockedEnd + buffer.capacity(), buffer);
        blockedEnd += buffer.capacity();
        blocks = next;
    }

    /** The blocks, in file order, contiguous from 0. Only while {@link #acquireBlocks acquired}. */
    MappedBlock[] blocks() {
        return blocks;
    }

    /** A cursor starts using the blocks; false once they are retired (use {@link #mapping()}). */
    boolean acquireBlocks() {
        for (;;) {
            int s = blockUsers.get();
            if ((s & 1) != 0) {
                return false;
            }
            if (blockUsers.compareAndSet(s, s + 2)) {
                return true;
            }
        }
    }

    void releaseBlocks() {
        if (blockUsers.addAndGet(-2) == 1) {
            unmapBlocks(); // retired, and we were the last user
        }
    }

    /** Writer at the seal (and the last release): no new users; unmapped when the current ones are done. */
    void retireBlocks() {
        if (blockUsers.getAndUpdate(s -> s | 1) == 0) {
            unmapBlocks();
        }
    }

    private void unmapBlocks() {
        MappedBlock[] old = blocks;
        blocks = NO_BLOCKS;
        for (MappedBlock b : old) {
            Unmapper.unmap(b.buffer());
        }
    }

    /**
     * Removes the file (retention). Readers holding a reference keep reading: the file was
     * already mapped or is still open, and POSIX keeps an unlinked file's data until then.
     */
    void markRemoved() {
        SegmentColumns c;
        synchronized (this) {
            removed = true;
            c = columns;
        }
        // Installed or not yet (made by an earlier run, not opened again before retention came):
        // an open column file's mapping stays valid until the last release.
        deleteQuietly(c != null ? c.path() : StoreFiles.columnsFile(path));
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("Could not delete segment {} now ({}); retrying when its last reader is done", path, e.toString());
        }
    }

    private void free() {
        retireBlocks(); // no cursor holds the segment, so none uses them
        synchronized (this) {
            if (mapping != null) {
                Unmapper.unmap(mapping);
                mapping = null;
            }
            if (columns != null) {
                columns.close();
                columns = null;
            }
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("Could not close segment {}: {}", path, e.toString());
        }
        if (removed) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("Could not delete segment {}: {}", path, e.toString());
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", file, e.toString());
        }
    }

    @Override
    public String toString() {
        SegmentState s = state;
        return "Segment[" + path.getFileName() + ", " + s.entryCount() + " entries, " + s.endOffset() + " bytes"
                + (sealed ? ", sealed" : ", active") + "]";
    }
}
