package io.logwire.server.store.embedded;

import io.logwire.protocol.message.BatchId;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.BatchDigest;
import io.logwire.server.store.BatchIdReusedException;
import io.logwire.server.store.OnceResult;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * The store's single writer thread and its queue: group commit.
 *
 * <p>{@link #submit} (any thread, never blocks) queues a batch. The thread takes the first
 * queued task with a blocking take (so it never waits on a timer when the disk is idle), drains
 * whatever else is queued (up to {@value #MAX_GROUP} tasks), writes all their records with
 * gathering writes, and then, under {@link FsyncPolicy#ALWAYS}, forces the file once for all
 * of them. Only then does it publish the new records to readers and complete the futures, in
 * queue order. Sequence numbers are assigned here, at write time, so they stay contiguous even
 * when a write fails. A group never spans two segments: at a roll the part before it is
 * committed first.
 *
 * <p>A failed write or force fails every batch of its group with a {@link StoreException},
 * truncates the segment back to the last committed record and forces that, so no part of a
 * failed batch is visible or survives a crash. If even that fails the writer is <em>broken</em>:
 * every later append fails until the store is reopened (the state of the file is unknown).
 *
 * <p>The queue is bounded by bytes ({@link EmbeddedStoreConfig#maxQueuedBytes}): past it,
 * {@link #submit} returns a future already failed with a {@link StoreException} whose message
 * starts with {@value #OVERLOADED_PREFIX} (the server answers OVERLOADED). Futures complete on
 * this thread: callers should hop to their own executor rather than do work in callbacks.
 *
 * <p>UPLOAD_ONCE ({@link #submitOnce}): the batch-id check and the append happen here, on the
 * one writer thread, so they are atomic. An id found in the {@link DedupIndex} completes at
 * once as a duplicate (or fails as reused with other content); an id whose first batch is
 * still being written (staged, not yet committed) waits for it and then completes as its
 * duplicate, or fails with it. The id and digest are written in the record's batch trailer
 * and enter the index only once the record is durable.
 */
final class GroupCommitWriter {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
    static final int MAX_GROUP = 1024;
    static final String OVERLOADED_PREFIX = "store overloaded";
    /** Queue accounting for a task besides its bytes, so empty batches are bounded too. */
    private static final int TASK_OVERHEAD = 64;

    private final Path segmentsDir;
    private final FsyncPolicy policy;
    private final long segmentBytes;
    private final long maxQueuedBytes;
    private final int indexIntervalBytes;
    private final long blockBytes;
    private final Clock clock;
    private final ChannelFactory channels;
    private final SegmentList segments;
    private final StoreMetrics metrics;
    private final Runnable onRoll;
    /** Makes the next segment's file ahead of time; null when the store does not preallocate. */
    private SegmentPreallocator preallocator;
    private final DedupIndex dedup;
    /** UPLOAD_ONCE batches staged but not yet committed, by id (writer thread only). */
    private final HashMap<BatchId, Append> pendingOnce = new HashMap<>();

    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Object enqueueLock = new Object();
    private final Thread thread;
    private boolean closed; // guarded by enqueueLock
    private volatile StoreException broken;

    // Confined to the writer thread.
    /** Where the active file should have been cut back to when that failed, else -1. */
    private long pendingTruncate = -1;
    private Segment active;
    private long nextSequence;
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer headerArena = ByteBuffer.allocateDirect(RecordFormat.HEADER_SIZE * MAX_GROUP);
    private final ByteBuffer trailerArena = ByteBuffer.allocateDirect(RecordFormat.TRAILER_SIZE * MAX_GROUP);
    private ByteBuffer[] gather = new ByteBuffer[2 * MAX_GROUP];
    private final List<Append> staged = new ArrayList<>(MAX_GROUP);

    GroupCommitWriter(EmbeddedStoreConfig config, Path segmentsDir, ChannelFactory channels, SegmentList segments,
                      StoreMetrics metrics, Runnable onRoll) {
        this(config, segmentsDir, channels, segments, metrics, onRoll,
                new DedupIndex(config.dedupWindow(), config.dedupMaxBatches()));
    }

    GroupCommitWriter(EmbeddedStoreConfig config, Path segmentsDir, ChannelFactory channels, SegmentList segments,
                      StoreMetrics metrics, Runnable onRoll, DedupIndex dedup) {
        this.dedup = dedup;
        this.segmentsDir = segmentsDir;
        this.policy = config.fsyncPolicy();
        this.segmentBytes = config.segmentBytes();
        this.maxQueuedBytes = config.maxQueuedBytes();
        this.indexIntervalBytes = config.indexIntervalBytes();
        this.blockBytes = mapBlockBytes(config.segmentBytes());
        this.clock = config.clock();
        this.channels = channels;
        this.segments = segments;
        this.metrics = metrics;
        this.onRoll = onRoll;
        this.active = segments.active();
        this.nextSequence = active.writerEndSequence();
        this.thread = new Thread(this::run, "logwire-store-writer");
        this.thread.setDaemon(true);
    }

    /**
     * How much of the active segment is mapped at once for readers: a sixteenth of a segment
     * (16 MiB by default), so an active segment has at most 16 mappings, and at most that much
     * of it is read by position instead.
     */
    static long mapBlockBytes(long segmentBytes) {
        return Math.max(64 * 1024, segmentBytes / 16);
    }

    /** Rolls take their new segment from {@code p} when it has one ready; call before {@link #start}. */
    void preallocateWith(SegmentPreallocator p) {
        this.preallocator = p;
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    /** Whether the writer refuses every append until the store is reopened. */
    boolean isBroken() {
        return broken != null;
    }

    /** Marks the store unusable until reopened (a force of acknowledged data failed). */
    void markBroken(String why, Throwable cause) {
        if (broken == null) {
            LOG.error("Store is unusable until restarted: {}", why, cause);
            broken = new StoreException(why + "; the store refuses writes until the server is restarted", cause);
        }
    }

    // ------------------------------------------------------------------ submission (any thread)

    /** Queues a batch (already checked by the caller). Takes ownership of {@code entries}. */
    CompletableFuture<AppendResult> submit(ByteBuf entries, int count, FieldRanges ranges) {
        return enqueue(entries, count, ranges, null, null, null);
    }

    /** Queues an UPLOAD_ONCE batch (already checked by the caller). Takes ownership of {@code entries}. */
    CompletableFuture<OnceResult> submitOnce(BatchId batchId, BatchDigest digest, ByteBuf entries, int count,
                                             FieldRanges ranges) {
        CompletableFuture<OnceResult> once = new CompletableFuture<>();
        CompletableFuture<AppendResult> f = enqueue(entries, count, ranges, batchId, digest, once);
        if (f.isCompletedExceptionally()) {
            return f.thenApply(r -> new OnceResult(r.stored(), r.firstSequence(), false));
        }
        return once;
    }

    private CompletableFuture<AppendResult> enqueue(ByteBuf entries, int count, FieldRanges ranges, BatchId batchId,
                                                    BatchDigest digest, CompletableFuture<OnceResult> once) {
        StoreException b = broken;
        if (b != null) {
            entries.release();
            return CompletableFuture.failedFuture(new StoreException(b.getMessage(), b));
        }
        int bytes = entries.readableBytes();
        long accounted = (long) bytes + TASK_OVERHEAD;
        long queued = queuedBytes.addAndGet(accounted);
        // One batch larger than the whole limit still goes through on an empty queue.
        if (queued > maxQueuedBytes && queued != accounted) {
            queuedBytes.addAndGet(-accounted);
            entries.release();
            metrics.overloaded.increment();
            return CompletableFuture.failedFuture(new StoreException(OVERLOADED_PREFIX + ": " + (queued - accounted)
                    + " bytes are waiting to be written (limit " + maxQueuedBytes + "); retry later"));
        }
        Append task = new Append(entries, count, bytes, accounted, ranges, batchId, digest, once);
        synchronized (enqueueLock) {
            if (!closed) {
                queue.add(task);
                return task.future;
            }
        }
        queuedBytes.addAndGet(-accounted);
        entries.release();
        return CompletableFuture.failedFuture(new StoreException("store is closed"));
    }

    /** Forces everything written so far; completes once done. */
    CompletableFuture<Void> sync() {
        Control c = new Control(false);
        synchronized (enqueueLock) {
            if (!closed) {
                queue.add(c);
                return c.future;
            }
        }
        return CompletableFuture.completedFuture(null); // close already drained and forced
    }

    /**
     * Stops accepting tasks; the thread writes what was queued before, forces everything and
     * exits. Returns its completion, or null if already closing.
     */
    CompletableFuture<Void> close() {
        Control c = new Control(true);
        synchronized (enqueueLock) {
            if (closed) {
                return null;
            }
            closed = true;
            queue.add(c);
        }
        return c.future;
    }

    // ------------------------------------------------------------------ the thread

    private void run() {
        List<Task> group = new ArrayList<>(MAX_GROUP);
        boolean running = true;
        while (running) {
            Task first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                continue; // nobody should interrupt us; close goes through the queue
            }
            group.add(first);
            queue.drainTo(group, MAX_GROUP - 1);
            try {
                running = process(group);
            } catch (Throwable t) {
                // A bug: fail what is left rather than leave futures hanging.
                markBroken("unexpected failure in the store writer", t);
                for (Append a : staged) {
                    a.fail(broken);
                }
                staged.clear();
                for (Task task : group) {
                    if (task instanceof Append a) {
                        a.fail(broken); // no-op for those already completed
                    } else if (task instanceof Control c) {
                        c.future.completeExceptionally(broken);
                        running &= !c.close;
                    }
                }
            }
            group.clear();
        }
        LOG.debug("Store writer stopped");
    }

    /** @return false once the store is closed */
    private boolean process(List<Task> group) {
        long stagedBytes = 0;
        for (Task task : group) {
            if (task instanceof Control c) {
                commitStaged();
                stagedBytes = 0;
                if (c.close) {
                    retryPendingTruncate();
                }
                forceAll(c);
                if (c.close) {
                    return false;
                }
                continue;
            }
            Append a = (Append) task;
            if (broken != null) {
                a.fail(new StoreException(broken.getMessage(), broken));
                continue;
            }
            if (a.batchId != null && a.count > 0 && !admitOnce(a)) {
                continue; // completed as a duplicate or a reuse, or waits for the batch being written
            }
            if (a.count > 0) {
                long recordSize = RecordFormat.recordSize(a.bytes, a.batchId != null);
                long end = active.writerEnd() + stagedBytes;
                if (end > 0 && end + recordSize > segmentBytes) {
                    commitStaged();
                    stagedBytes = 0;
                    if (broken != null) {
                        a.fail(new StoreException(broken.getMessage(), broken));
                        continue;
                    }
                    try {
                        roll();
                    } catch (IOException e) {
                        a.fail(new StoreException("could not start a new segment: " + e, e));
                        continue;
                    }
                }
                stagedBytes += recordSize;
            }
            staged.add(a);
        }
        commitStaged();
        return true;
    }

    /**
     * The batch-id check of an UPLOAD_ONCE batch, atomic because only this thread does it.
     *
     * @return true if the batch is new and must be written; false if it was completed here
     *         (duplicate of a remembered batch, or id reused with other content) or now waits
     *         for the batch with its id that is being written
     */
    private boolean admitOnce(Append a) {
        DedupIndex.Remembered r = dedup.get(a.batchId);
        if (r != null) {
            if (r.sameDigest(a.digest)) {
                a.succeedDuplicate(r.count(), r.firstSequence());
            } else {
                a.fail(reused(a.batchId));
            }
            return false;
        }
        Append first = pendingOnce.get(a.batchId);
        if (first != null) {
            if (first.digest.equals(a.digest)) {
                first.followers.add(a);
            } else {
                a.fail(reused(a.batchId));
            }
            return false;
        }
        pendingOnce.put(a.batchId, a);
        return true;
    }

    private static BatchIdReusedException reused(BatchId id) {
        return new BatchIdReusedException("batch id reused with different content (batch id " + id
                + " is already stored with another body)");
    }

    /** Writes the staged batches, forces them under ALWAYS, publishes and completes them. */
    private void commitStaged() {
        if (staged.isEmpty()) {
            return;
        }
        Segment segment = active;
        FileChannel channel = segment.writerChannel();
        long startPosition = segment.writerEnd();
        long now = clock.millis();
        long sequence = nextSequence;
        int buffers = 0;
        boolean wrote = false;
        try {
            int records = 0;
            long total = 0;
            for (Append a : staged) {
                a.firstSequence = sequence;
                if (a.count == 0) {
                    continue;
                }
                boolean once = a.batchId != null;
                ByteBuffer header = headerArena.slice(records * RecordFormat.HEADER_SIZE, RecordFormat.HEADER_SIZE);
                RecordFormat.putHeaderFields(header, sequence, now, a.count, a.bytes, once);
                RecordFormat.crcOfHeaderFields(crc, header);
                ByteBuffer[] nio = a.entries.nioBuffers(a.entries.readerIndex(), a.bytes);
                if (buffers + 2 + nio.length > gather.length) {
                    gather = Arrays.copyOf(gather, Math.max(gather.length * 2, buffers + 2 + nio.length));
                }
                gather[buffers++] = header;
                for (ByteBuffer b : nio) {
                    int p = b.position();
                    crc.update(b);
                    b.position(p);
                    gather[buffers++] = b;
                }
                if (once) {
                    ByteBuffer trailer = trailerArena.slice(records * RecordFormat.TRAILER_SIZE,
                            RecordFormat.TRAILER_SIZE);
                    RecordFormat.putTrailer(trailer, a.batchId.high(), a.batchId.low(), a.digest.high(),
                            a.digest.low());
                    crc.update(trailer.duplicate());
                    gather[buffers++] = trailer;
                }
                RecordFormat.putCrc(header, crc);
                sequence += a.count;
                total += RecordFormat.recordSize(a.bytes, once);
                records++;
            }
            if (records > 0) {
                segment.writerMarkWritten();
                wrote = true;
                writeFully(channel, buffers, total);
                if (policy == FsyncPolicy.ALWAYS) {
                    long t0 = System.nanoTime();
                    segment.force();
                    metrics.fsynced(System.nanoTime() - t0);
                }
                metrics.groupCommitted(records);
            }
        } catch (IOException | RuntimeException e) {
            Arrays.fill(gather, 0, buffers, null);
            if (wrote) {
                rollBack(segment, startPosition, e);
            }
            StoreException failure = new StoreException("could not write the batch to " + segment.path() + ": " + e, e);
            for (Append a : staged) {
                if (a.count == 0) {
                    a.firstSequence = nextSequence;
                    a.succeed();
                } else {
                    a.fail(failure);
                }
            }
            staged.clear();
            return;
        }
        Arrays.fill(gather, 0, buffers, null);
        for (Append a : staged) {
            if (a.count > 0) {
                segment.writerRecordAppended((int) RecordFormat.recordSize(a.bytes, a.batchId != null), a.count,
                        a.ranges, now);
            }
            if (a.batchId != null && a.count > 0) {
                dedup.put(a.batchId, new DedupIndex.Remembered(a.digest.high(), a.digest.low(), a.firstSequence,
                        a.count, now), now);
            }
        }
        segment.publish();
        segment.writerMapBlock(blockBytes);
        if (preallocator != null && segment.writerEnd() >= segmentBytes / 8) {
            preallocator.request(); // no-op once one is ready; stores that write little never pay for it
        }
        nextSequence = sequence;
        segments.publishEnd(sequence);
        metrics.appendedEntries.add(sequence - staged.get(0).firstSequence);
        for (Append a : staged) {
            a.succeed();
        }
        staged.clear();
    }

    private void writeFully(FileChannel channel, int buffers, long total) throws IOException {
        long remaining = total;
        int first = 0;
        while (remaining > 0) {
            long n = channel.write(gather, first, buffers - first);
            remaining -= n;
            while (first < buffers && !gather[first].hasRemaining()) {
                first++;
            }
        }
    }

    /** Cuts the file back to the last committed record after a failed write or force. */
    private void rollBack(Segment segment, long position, Exception cause) {
        LOG.warn("Write to {} failed ({}); truncating it back to {} bytes", segment.path(), cause.toString(), position);
        try {
            FileChannel channel = segment.writerChannel();
            channel.truncate(position);
            channel.position(position);
            // Forced so that a failed batch that did reach the disk cannot come back after a crash.
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            e.addSuppressed(cause);
            pendingTruncate = position;
            markBroken("could not truncate " + segment.path() + " back to " + position + " bytes after a failed write", e);
        }
    }

    /**
     * At close: retries a truncation that failed, so that a batch reported as failed does not
     * come back at the next open. If it fails again, recovery may find that batch whole.
     */
    private void retryPendingTruncate() {
        if (pendingTruncate < 0) {
            return;
        }
        try {
            FileChannel channel = active.writerChannel();
            channel.truncate(pendingTruncate);
            channel.force(true);
            LOG.info("Truncated {} back to {} bytes at close", active.path(), pendingTruncate);
            pendingTruncate = -1;
        } catch (IOException | RuntimeException e) {
            LOG.error("Could not truncate {} back to {} bytes at close either: the batch whose write failed may "
                    + "reappear at the next open", active.path(), pendingTruncate, e);
        }
    }

    /** Seals the active segment and starts a new one at the next sequence. */
    private void roll() throws IOException {
        Segment old = active;
        Path path = StoreFiles.segmentFile(segmentsDir, nextSequence);
        FileChannel channel;
        if (preallocator != null && preallocator.takeAs(path)) {
            try {
                channel = channels.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(path);
                throw e;
            }
        } else {
            channel = channels.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }
        Segment next = new Segment(nextSequence, path, channel, indexIntervalBytes);
        if (policy != FsyncPolicy.NEVER) {
            StoreFiles.forceDirectory(segmentsDir); // the new name must survive a crash
        }
        if (policy == FsyncPolicy.BATCH && old.needsForce()) {
            try {
                long t0 = System.nanoTime();
                old.force(); // ALWAYS forced each commit already; NEVER does not force
                metrics.fsynced(System.nanoTime() - t0);
            } catch (IOException e) {
                closeQuietly(channel, path);
                markBroken("could not force " + old.path() + " at a segment roll", e);
                throw e;
            }
        }
        cutToRecords(old);
        old.seal();
        old.mapForReaders();
        old.retireBlocks();
        segments.add(next);
        active = next;
        metrics.rolls.increment();
        LOG.debug("Rolled to segment {}", path.getFileName());
        onRoll.run();
    }

    /**
     * Cuts a preallocated segment's unused zeros off as it is sealed. Not forced: if a crash
     * loses the cut, recovery takes zeros after the last record for unused space.
     */
    private static void cutToRecords(Segment segment) {
        FileChannel channel = segment.writerChannel();
        try {
            if (channel.size() > segment.writerEnd()) {
                channel.truncate(segment.writerEnd());
            }
        } catch (IOException e) {
            LOG.warn("Could not cut the unused end off segment {} (recovery will): {}", segment.path(), e.toString());
        }
    }

    private static void closeQuietly(FileChannel channel, Path path) {
        try {
            channel.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("Could not remove unused segment {}: {}", path, e.toString());
        }
    }

    /** Forces every segment with unforced writes (sync and close); on failure the store is broken. */
    private void forceAll(Control c) {
        StoreException failure = null;
        for (Segment s : segments.snapshot()) {
            if (!s.needsForce() || !s.tryRetain()) {
                continue; // removed by retention meanwhile
            }
            try {
                long t0 = System.nanoTime();
                s.force();
                metrics.fsynced(System.nanoTime() - t0);
            } catch (IOException e) {
                markBroken("could not force " + s.path(), e);
                failure = broken;
            } finally {
                s.release();
            }
        }
        if (failure == null) {
            c.future.complete(null);
        } else {
            c.future.completeExceptionally(failure);
        }
    }

    // ------------------------------------------------------------------ tasks

    private abstract static sealed class Task permits Append, Control {
    }

    private final class Append extends Task {
        final ByteBuf entries;
        final int count;
        final int bytes;
        final long accounted;
        final FieldRanges ranges;
        final CompletableFuture<AppendResult> future = new CompletableFuture<>();
        /** UPLOAD_ONCE only (else null): the id, digest, result and retries waiting for this batch. */
        final BatchId batchId;
        final BatchDigest digest;
        final CompletableFuture<OnceResult> once;
        final List<Append> followers = new ArrayList<>(0);
        long firstSequence;
        private boolean finished;

        Append(ByteBuf entries, int count, int bytes, long accounted, FieldRanges ranges, BatchId batchId,
               BatchDigest digest, CompletableFuture<OnceResult> once) {
            this.entries = entries;
            this.count = count;
            this.bytes = bytes;
            this.accounted = accounted;
            this.ranges = ranges;
            this.batchId = batchId;
            this.digest = digest;
            this.once = once;
        }

        void succeed() {
            if (finished) {
                return;
            }
            done();
            future.complete(new AppendResult(count, firstSequence));
            if (once != null) {
                once.complete(new OnceResult(count, firstSequence, false));
            }
            for (Append f : followers) {
                f.succeedDuplicate(count, firstSequence);
            }
        }

        void succeedDuplicate(int originalCount, long originalFirstSequence) {
            done();
            future.complete(new AppendResult(originalCount, originalFirstSequence));
            if (once != null) {
                once.complete(new OnceResult(originalCount, originalFirstSequence, true));
            }
        }

        void fail(StoreException e) {
            if (finished) {
                return;
            }
            done();
            future.completeExceptionally(e);
            if (once != null) {
                once.completeExceptionally(e);
            }
            for (Append f : followers) {
                f.fail(e);
            }
        }

        private void done() {
            if (finished) {
                return;
            }
            finished = true;
            entries.release();
            queuedBytes.addAndGet(-accounted);
            if (batchId != null && pendingOnce.get(batchId) == this) {
                pendingOnce.remove(batchId);
            }
        }
    }

    private static final class Control extends Task {
        final boolean close;
        final CompletableFuture<Void> future = new CompletableFuture<>();

        Control(boolean close) {
            this.close = close;
        }
    }
}
