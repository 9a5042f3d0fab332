package io.logwire.server.store.embedded;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.Aggregator;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.message.BatchId;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.BatchDigest;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.LogStore;
import io.logwire.server.store.OnceResult;
import io.logwire.server.store.StoreException;
import io.logwire.server.store.StoreStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;

/**
 * The durable embedded {@link LogStore}: an append-only log of segment files in
 * {@code <dataDir>/segments/} (PROTOCOL.md section 4, UPLOAD: all-or-nothing, acknowledged
 * once durable, sequences from 0, contiguous, never reused, kept across restarts).
 *
 * <p>On disk: one file per segment, named by the 20-digit zero-padded sequence of its first
 * entry + {@code .log} ({@link StoreFiles}); each UPLOAD batch is one CRC32C-checked record
 * ({@link RecordFormat}: {@code u32 length, u32 crc, u64 firstSequence, u64 appendTime,
 * u32 count, entries}), so a batch is atomic on recovery. No other file needs to be trusted:
 * per-segment field ranges and the sparse index live in memory and are rebuilt by
 * {@link SegmentRecovery}, which verifies every record at open, truncates at the first bad
 * one and logs a WARN. A lock file keeps a second store out of the directory.
 *
 * <p>Threads: {@link #append} only checks and queues (never blocks, any thread); one writer
 * thread ({@link GroupCommitWriter}) writes, forces and acknowledges in groups; one
 * maintenance thread runs retention (after every roll and every
 * {@link EmbeddedStoreConfig#retentionCheckInterval}) and the periodic force of
 * {@link FsyncPolicy#BATCH}; cursors ({@link SegmentCursor}) read on the caller's thread.
 * Every public method is thread-safe. Append futures complete on the writer thread: hop to
 * your own executor before doing real work in a callback, and never call {@link #sync} or
 * {@link #close} from one.
 *
 * <p>Back-pressure: an append that finds the write queue full
 * ({@link EmbeddedStoreConfig#maxQueuedBytes} of batches waiting or being written) fails at
 * once with a {@link StoreException} whose message contains "overloaded", nothing of it
 * stored; the server answers OVERLOADED. {@link #isOverloaded} recognises it.
 *
 * <p>Reads: cursors walk records in place, through read-only mappings the writer makes (the
 * whole file of a sealed segment; record-aligned blocks of the active one as it grows) and,
 * for the newest few MiB, by position into a small direct buffer. A filter's numeric criteria
 * skip whole segments whose field ranges cannot match ({@link #segmentsSkipped}).
 *
 * <p>Memory: in-memory metadata is a few hundred bytes per segment plus the sparse index (8
 * bytes per {@link EmbeddedStoreConfig#indexIntervalBytes} of data, 0.2% at the default); a
 * cursor holds at most one read buffer of {@link EmbeddedStoreConfig#cursorReadBufferBytes}
 * (or one record, if larger), off heap. One file descriptor per segment stays open; mapped
 * files take address space and page cache, not heap.
 */
public final class EmbeddedLogStore implements LogStore, MeterBinder {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedLogStore.class);
    /** A scan shorter than two partitions of this many entries runs on one thread. */
    static final long MIN_PARTITION_ENTRIES = 256 * 1024;
    /** Copies of matches a partition scanned ahead may hold (see {@link ParallelCursor}). */
    static final int SCAN_BUDGET_BYTES = 4 << 20;

    private final EmbeddedStoreConfig config;
    private final Path segmentsDir;
    private final DirectoryLock lock;
    private final SegmentList segments;
    private final GroupCommitWriter writer;
    private final ScheduledThreadPoolExecutor maintenance;
    private final ExecutorService scanPool; // null when scans are sequential
    /** Appends must have paused this long before a column file is made (see makeColumns). */
    private static final long COLUMNS_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** ... or its segment been sealed this long. */
    private static final long COLUMNS_MAX_DELAY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Makes and opens column files (one thread, so one file at a time); null without columns. */
    private final ExecutorService columnsPool;
    private final AtomicBoolean columnsQueued = new AtomicBoolean();
    /** Null unless {@link EmbeddedStoreConfig#preallocate}. */
    private final SegmentPreallocator preallocator;
    private final StoreMetrics metrics = new StoreMetrics();
    private final AtomicBoolean retentionQueued = new AtomicBoolean();
    private final Object closeLock = new Object();
    private volatile boolean closed;
    private boolean closeDone; // guarded by closeLock

    private EmbeddedLogStore(EmbeddedStoreConfig config, Path segmentsDir, ChannelFactory channels,
                             DirectoryLock lock, List<Segment> recovered, DedupIndex dedup) {
        this.config = config;
        this.segmentsDir = segmentsDir;
        this.lock = lock;
        this.segments = new SegmentList(recovered);
        this.maintenance = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "logwire-store-maintenance");
            t.setDaemon(true);
            return t;
        });
        maintenance.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        maintenance.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        maintenance.setRemoveOnCancelPolicy(true);
        this.scanPool = config.scanParallelism() > 1
                ? Executors.newFixedThreadPool(config.scanParallelism(), new DefaultThreadFactory("logwire-store-scan", true))
                : null;
        this.columnsPool = config.columns()
                ? Executors.newSingleThreadExecutor(new DefaultThreadFactory("logwire-store-columns", true,
                        Thread.MIN_PRIORITY))
                : null;
        this.writer = new GroupCommitWriter(config, segmentsDir, channels, segments, metrics, this::segmentSealed,
                dedup);
        this.preallocator = config.preallocate() ? new SegmentPreallocator(segmentsDir, config.segmentBytes()) : null;
        writer.preallocateWith(preallocator);
        writer.start();
        if (columnsPool != null) {
            columnsPool.execute(this::removeStrayColumnFiles);
            requestColumns();
        }
        if (hasRetention()) {
            long every = config.retentionCheckInterval().toMillis();
            maintenance.scheduleWithFixedDelay(this::runRetentionQuietly, every, every, TimeUnit.MILLISECONDS);
            requestRetention();
        }
        if (config.fsyncPolicy() == FsyncPolicy.BATCH) {
            long every = Math.max(1, config.batchFsyncInterval().toMillis());
            maintenance.scheduleWithFixedDelay(this::forceIfDirty, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Opens (creating it if needed) and recovers the store in {@link EmbeddedStoreConfig#dataDir}.
     *
     * @throws StoreException if the directory is locked by another store, or cannot be read
     */
    public static EmbeddedLogStore open(EmbeddedStoreConfig config) {
        return open(config, ChannelFactory.DEFAULT);
    }

    static EmbeddedLogStore open(EmbeddedStoreConfig config, ChannelFactory channels) {
        Path dataDir = config.dataDir();
        Path segmentsDir = StoreFiles.segmentsDir(dataDir);
        try {
            Files.createDirectories(segmentsDir);
        } catch (IOException e) {
            throw new StoreException("cannot create data directory " + segmentsDir + ": " + e, e);
        }
        DirectoryLock lock = DirectoryLock.acquire(dataDir);
        List<Segment> list = new ArrayList<>();
        try {
            long started = System.nanoTime();
            DedupIndex dedup = new DedupIndex(config.dedupWindow(), config.dedupMaxBatches());
            long now = config.clock().millis();
            SegmentRecovery.Result recovery = SegmentRecovery.recover(segmentsDir, config.indexIntervalBytes(), channels,
                    dedup, now - config.dedupWindow().toMillis());
            dedup.evict(now);
            list.addAll(recovery.segments());
            if (list.isEmpty()) {
                Path path = StoreFiles.segmentFile(segmentsDir, 0);
                FileChannel channel = channels.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                list.add(new Segment(0, path, channel, config.indexIntervalBytes()));
                StoreFiles.forceDirectory(segmentsDir);
            }
            EmbeddedLogStore store = new EmbeddedLogStore(config, segmentsDir, channels, lock, list, dedup);
            StoreStats s = store.stats();
            LOG.info("Opened store {} in {} ms: {} segments, {} bytes, {} entries, next sequence {}, fsync {}{}",
                    dataDir, (System.nanoTime() - started) / 1_000_000, s.segments(), s.bytesOnDisk(),
                    s.entriesStored(), store.nextSequence() + ", " + dedup.size() + " batch ids remembered",
                    config.fsyncPolicy(),
                    recovery.bytesDropped() > 0 ? "; recovery dropped " + recovery.bytesDropped() + " bytes" : "");
            return store;
        } catch (IOException | RuntimeException e) {
            for (Segment s : list) {
                s.release();
            }
            lock.close();
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("cannot open store in " + dataDir + ": " + e, e);
        }
    }

    /** {@inheritDoc} Checks that the bytes are {@code count} entries (structure only). */
    @Override
    public CompletableFuture<AppendResult> append(ByteBuf entries, int count) {
        Objects.requireNonNull(entries, "entries");
        FieldRanges ranges;
        try {
            ranges = checkBatch(entries, count);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return writer.submit(entries, count, ranges);
    }

    /**
     * {@inheritDoc} The batch id and digest are written with the batch (its record's trailer)
     * and remembered for {@link EmbeddedStoreConfig#dedupWindow}, rebuilt from the segments at
     * open; the check-and-append runs on the writer thread.
     */
    @Override
    public CompletableFuture<OnceResult> appendOnce(BatchId batchId, BatchDigest digest, ByteBuf entries, int count) {
        Objects.requireNonNull(batchId, "batchId");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(entries, "entries");
        FieldRanges ranges;
        try {
            ranges = checkBatch(entries, count);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return writer.submitOnce(batchId, digest, entries, count, ranges);
    }

    /** The field ranges of a batch; releases it and throws if it is not {@code count} entries. */
    private static FieldRanges checkBatch(ByteBuf entries, int count) {
        FieldRanges ranges;
        try {
            int bytes = entries.readableBytes();
            if (count < 0) {
                throw new IllegalArgumentException("negative count " + count);
            }
            if (bytes > RecordFormat.MAX_ENTRIES_BYTES) {
                throw new IllegalArgumentException(bytes + " bytes, more than one record holds ("
                        + RecordFormat.MAX_ENTRIES_BYTES + ")");
            }
            if (count == 0 && bytes == 0) {
                ranges = FieldRanges.EMPTY;
            } else if (entries.nioBufferCount() == 1) {
                // Read through a plain view of the same memory: a leak-tracking wrapper (paranoid
                // leak detection, as in the tests) would record a stack trace per field read.
                ranges = FieldRanges.ofBatch(Unpooled.wrappedBuffer(entries.nioBuffer()), 0, bytes, count);
            } else {
                ranges = FieldRanges.ofBatch(entries, entries.readerIndex(), bytes, count);
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            entries.release();
            throw new StoreException("not a batch of " + count + " entries: " + e.getMessage(), e);
        }
        return ranges;
    }

    /** Whether {@code t} (or its cause) is the failure {@link #append} reports when its queue is full. */
    public static boolean isOverloaded(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StoreException && c.getMessage() != null
                    && c.getMessage().startsWith(GroupCommitWriter.OVERLOADED_PREFIX)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code fromSequence} is taken as unsigned: a raw u64 at or above 2^63 lies past every
     * entry. A sequence older than the oldest retained entry starts at that entry.
     */
    @Override
    public Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter) {
        return openCursor(fromSequence, predicate, filter, true);
    }

    /** With {@code useMappings} false everything is read by position (the fallback when mapping fails; for tests). */
    Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter, boolean useMappings) {
        return openCursor(fromSequence, predicate, filter, useMappings, MIN_PARTITION_ENTRIES, SCAN_BUDGET_BYTES);
    }

    /** With the parallel scan's sizes chosen (for tests). */
    Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter, boolean useMappings,
                      long minPartitionEntries, int scanBudgetBytes) {
        Objects.requireNonNull(predicate, "predicate");
        if (closed) {
            throw new StoreException("store is closed");
        }
        FieldRanges.NumericCriteria criteria = FieldRanges.NumericCriteria.of(filter);
        SegmentColumns.Query columns = SegmentColumns.Query.of(filter);
        LongFunction<SegmentCursor> open = from -> new SegmentCursor(segments, from, predicate, criteria, columns,
                metrics, config.cursorReadBufferBytes(), useMappings);
        long end = segments.endSequence();
        Segment[] snapshot = segments.snapshot();
        long from = Math.max(Math.max(0, fromSequence), snapshot.length == 0 ? end : snapshot[0].baseSequence());
        long span = fromSequence < 0 ? 0 : end - from; // a u64 from the wire at or above 2^63: past everything
        if (scanPool == null || span < 2 * minPartitionEntries) {
            return open.apply(fromSequence);
        }
        // Several partitions per thread, so threads that finish early take more.
        long partition = Math.max(minPartitionEntries, span / (4L * config.scanParallelism()) + 1);
        return new ParallelCursor(open, scanPool, config.scanParallelism(), scanBudgetBytes, from, end, partition);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Splits the stored range into partitions, several per scan thread (so threads that
     * finish early take more), each scanned by its own segment cursor into an
     * {@link Aggregator} no other partition uses meanwhile (no copying of entries between
     * threads, no locks), then merges those. A partition reuses an aggregator an earlier one
     * left idle: each group is made (its key decoded, its state allocated) about once per
     * scan thread rather than once per partition, which made grouped aggregates 25% slower.
     * Small stores are scanned by one cursor.
     */
    @Override
    public AggregateResult aggregate(AggregateQuery query, int maxGroups, BooleanSupplier stop) {
        return aggregate(query, maxGroups, stop, MIN_PARTITION_ENTRIES);
    }

    /** With the smallest partition chosen (for tests). */
    AggregateResult aggregate(AggregateQuery query, int maxGroups, BooleanSupplier stop, long minPartitionEntries) {
        if (closed) {
            throw new StoreException("store is closed");
        }
        long end = segments.endSequence();
        Segment[] snapshot = segments.snapshot();
        long from = snapshot.length == 0 ? end : snapshot[0].baseSequence();
        long span = end - from;
        if (scanPool == null || span < 2 * minPartitionEntries) {
            return LogStore.super.aggregate(query, maxGroups, stop);
        }
        EntryPredicate predicate = query.filter().compile();
        FieldRanges.NumericCriteria criteria = FieldRanges.NumericCriteria.of(query.filter());
        SegmentColumns.Query columns = SegmentColumns.Query.of(query.filter());
        long partition = Math.max(minPartitionEntries, span / (4L * config.scanParallelism()) + 1);
        List<Future<Boolean>> parts = new ArrayList<>();
        AtomicBoolean abandon = new AtomicBoolean();
        // Aggregators not in use by a partition (a stack: a thread taking its next partition
        // gets back the one it just left, still in its cache), and all that were made.
        Deque<Aggregator> idle = new ConcurrentLinkedDeque<>();
        Queue<Aggregator> made = new ConcurrentLinkedQueue<>();
        try {
            for (long a = from; a < end; a += partition) {
                long lo = a;
                long hi = Math.min(end, a + partition);
                parts.add(scanPool.submit(() -> {
                    Aggregator aggregator = idle.pollFirst();
                    if (aggregator == null) {
                        aggregator = new Aggregator(query, maxGroups);
                        made.add(aggregator);
                    }
                    try {
                        return aggregatePartition(aggregator, predicate, criteria, columns, lo, hi, stop, abandon);
                    } finally {
                        idle.addFirst(aggregator);
                    }
                }));
            }
            for (Future<Boolean> f : parts) {
                if (!f.get()) {
                    return null;
                }
            }
            Aggregator total = made.poll();
            for (Aggregator other : made) {
                total.merge(other);
            }
            return total.result();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("aggregation interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new StoreException("aggregation failed: " + e.getCause(), e.getCause());
        } finally {
            abandon.set(true);
            parts.forEach(f -> f.cancel(false));
        }
    }

    /** Adds the matching entries in [from, end) to {@code aggregator}; false if stopped first. */
    private boolean aggregatePartition(Aggregator aggregator, EntryPredicate predicate,
                                       FieldRanges.NumericCriteria criteria, SegmentColumns.Query columns,
                                       long from, long end,
                                       BooleanSupplier stop, AtomicBoolean abandon) {
        try (SegmentCursor cursor = new SegmentCursor(segments, from, predicate, criteria, columns, metrics,
                config.cursorReadBufferBytes(), true)) {
            while (!cursor.isExhausted() && cursor.position() < end) {
                if (abandon.get() || stop.getAsBoolean()) {
                    return false;
                }
                cursor.advanceBlocks(aggregator::addAll, end, AGGREGATE_STEP_ENTRIES);
            }
        }
        return true;
    }

    /** {@inheritDoc} Listeners are called by the group-commit writer right after each commit. */
    @Override
    public AutoCloseable subscribe(java.util.function.LongConsumer listener) {
        return segments.subscribe(listener);
    }

    /** {@inheritDoc} That is, the sequence after the last committed (acknowledged) entry. */
    @Override
    public long nextSequence() {
        return segments.endSequence();
    }

    @Override
    public StoreStats stats() {
        return segments.stats();
    }

    /** {@inheritDoc} False once closed, or while writes fail until a restart (a force failed). */
    @Override
    public boolean isAvailable() {
        return !closed && !writer.isBroken();
    }

    /** Registers the store's meters: fsync latency, group-commit sizes and its counters. */
    @Override
    public void bindTo(MeterRegistry registry) {
        metrics.bindTo(registry);
    }

    /**
     * {@inheritDoc} Waits for the appends queued before it. Must not be called from an append
     * callback (they run on the writer thread).
     *
     * @throws StoreException if a force failed (the store then refuses writes)
     */
    @Override
    public void sync() {
        checkNotWriterThread("sync");
        await(writer.sync());
    }

    /**
     * {@inheritDoc} Waits for queued appends to be written, forces every segment, stops the
     * store's threads, releases the files (open cursors keep the segments they are reading
     * until they are closed) and the directory lock. Must not be called from an append callback.
     */
    @Override
    public void close() {
        checkNotWriterThread("close");
        synchronized (closeLock) {
            if (closeDone) {
                return;
            }
            closed = true;
            CompletableFuture<Void> drained = writer.close();
            try {
                if (drained != null) {
                    await(drained);
                }
            } catch (StoreException e) {
                LOG.error("Could not force the store while closing: {}", e.getMessage());
            } finally {
                joinUninterruptibly(writer.thread());
                if (preallocator != null) {
                    preallocator.close();
                }
                maintenance.shutdown();
                awaitUninterruptibly(maintenance);
                if (scanPool != null) {
                    scanPool.shutdownNow(); // cursors still open find the store closed
                }
                if (columnsPool != null) {
                    columnsPool.shutdownNow(); // a column file being made is abandoned (made again next time)
                    awaitUninterruptibly(columnsPool);
                }
                segments.releaseAll();
                lock.close();
                closeDone = true;
                LOG.info("Closed store {} at sequence {}", config.dataDir(), nextSequence());
            }
        }
    }

    // ------------------------------------------------------------------ maintenance

    private boolean hasRetention() {
        return config.retentionMaxBytes() > 0 || !config.retentionMaxAge().isZero();
    }

    /** Runs retention now, on the calling thread. @return segments removed */
    public int enforceRetention() {
        if (closed) {
            throw new StoreException("store is closed");
        }
        int removed = segments.applyRetention(config.retentionMaxBytes(), config.retentionMaxAge().toMillis(),
                config.clock().millis());
        metrics.segmentsRemoved.add(removed);
        return removed;
    }

    private void requestRetention() {
        if (hasRetention()) {
            runOnce(maintenance, retentionQueued, this::runRetentionQuietly);
        }
    }

    /** Writer, after a roll: the sealed segment can get its column file; retention may drop old ones. */
    private void segmentSealed() {
        requestRetention();
        requestColumns();
    }

    private void requestColumns() {
        if (columnsPool != null) {
            runOnce(columnsPool, columnsQueued, this::makeColumns);
        }
    }

    /** Runs {@code task} on {@code executor} unless it is already queued there ({@code queued}); not once closing. */
    private static void runOnce(Executor executor, AtomicBoolean queued, Runnable task) {
        if (!queued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                queued.set(false);
                task.run();
            });
        } catch (RejectedExecutionException e) {
            queued.set(false); // closing
        }
    }

    /**
     * Columns thread: gives every sealed segment without a column file one, opening the file
     * on disk if it checks and making it from the segment otherwise. A failure is logged;
     * scans of that segment walk its entries as without columns.
     *
     * <p>Making one costs about 0.1 µs of CPU per entry and writes half the segment's size
     * again, which would take a share of both from ingest. So a file is made only once
     * appends have paused for {@link #COLUMNS_IDLE_NANOS}, or {@link #COLUMNS_MAX_DELAY_NANOS}
     * after its segment was sealed at the latest; until then the check is repeated every second.
     */
    private void makeColumns() {
        boolean postponed = false;
        for (Segment s : segments.snapshot()) {
            if (closed || Thread.currentThread().isInterrupted()) {
                return;
            }
            if (!s.isSealed() || s.columns() != null || !s.tryRetain()) {
                continue;
            }
            try {
                SegmentState st = s.state();
                MappedByteBuffer mapping = s.mapping();
                Path file = StoreFiles.columnsFile(s.path());
                long t0 = System.nanoTime();
                SegmentColumns c = SegmentColumns.open(file, st.endOffset(), st.entryCount());
                long now = System.nanoTime();
                long lastCommit = metrics.lastCommitNanos;
                boolean busy = lastCommit != 0 && now - lastCommit < COLUMNS_IDLE_NANOS
                        && now - s.sealedNanos() < COLUMNS_MAX_DELAY_NANOS;
                if (c == null && busy) {
                    postponed = true;
                } else if (c == null && mapping != null && st.entryCount() > 0) {
                    c = SegmentColumns.build(mapping.duplicate(), st.entryCount(), file);
                    metrics.columnFilesMade.increment();
                    LOG.debug("Made {} in {} ms", c, (System.nanoTime() - t0) / 1_000_000);
                }
                if (c != null) {
                    s.installColumns(c);
                }
            } catch (InterruptedIOException | ClosedByInterruptException e) {
                return; // closing
            } catch (IOException | RuntimeException e) {
                LOG.warn("Could not make the column file of {}; its scans walk the entries: {}", s.path(), e.toString());
            } finally {
                s.release();
            }
        }
        if (postponed) {
            try {
                maintenance.schedule(this::requestColumns, 1, TimeUnit.SECONDS);
            } catch (RejectedExecutionException e) {
                // closing
            }
        }
    }

    /** Columns thread, at open: deletes column files of no sealed segment, and unfinished ones. */
    private void removeStrayColumnFiles() {
        Set<String> wanted = new HashSet<>();
        for (Segment s : segments.snapshot()) {
            if (s.isSealed()) {
                wanted.add(StoreFiles.columnsFile(s.path()).getFileName().toString());
            }
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(segmentsDir)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (StoreFiles.isColumnsFileName(name) && !wanted.contains(name)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("Could not look for stray column files in {}: {}", segmentsDir, e.toString());
        }
    }

    private void runRetentionQuietly() {
        try {
            if (!closed) {
                enforceRetention();
            }
        } catch (RuntimeException e) {
            LOG.warn("Retention failed; will retry: {}", e.toString(), e);
        }
    }

    /** BATCH: forces the active segment if it was written since the last time. */
    private void forceIfDirty() {
        if (closed) {
            return;
        }
        Segment s = segments.active();
        if (!s.needsForce() || !s.tryRetain()) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            s.force();
            metrics.fsynced(System.nanoTime() - t0);
        } catch (IOException | RuntimeException e) {
            writer.markBroken("periodic fsync of " + s.path() + " failed", e);
        } finally {
            s.release();
        }
    }

    // ------------------------------------------------------------------ figures for tests and metrics

    /** File forces (fsync/fdatasync) done so far. */
    public long fsyncCount() {
        return metrics.fsyncs.sum();
    }

    /** Group writes done so far (each wrote one or more batches). */
    public long groupCommitCount() {
        return metrics.groupCommits.sum();
    }

    /** Times a cursor skipped (the rest of) a segment because its field ranges could not match. */
    public long segmentsSkipped() {
        return metrics.segmentsSkipped.sum();
    }

    /** Column files made (not opened from disk) since open. */
    public long columnFilesMade() {
        return metrics.columnFilesMade.sum();
    }

    /** Times a cursor read (the rest of) a segment by its columns instead of walking its entries. */
    public long segmentsReadByColumns() {
        return metrics.segmentsReadByColumns.sum();
    }

    /** Sealed segments that have their column file now. */
    public int segmentsWithColumns() {
        int n = 0;
        for (Segment s : segments.snapshot()) {
            if (s.columns() != null) {
                n++;
            }
        }
        return n;
    }

    /** Segments removed by retention since open. */
    public long segmentsRemoved() {
        return metrics.segmentsRemoved.sum();
    }

    /** Appends refused because the write queue was full. */
    public long overloadedCount() {
        return metrics.overloaded.sum();
    }

    public EmbeddedStoreConfig config() {
        return config;
    }

    Path segmentsDir() {
        return segmentsDir;
    }

    Segment[] segmentSnapshot() {
        return segments.snapshot();
    }

    // ------------------------------------------------------------------ helpers

    private void checkNotWriterThread(String what) {
        if (Thread.currentThread() == writer.thread()) {
            throw new IllegalStateException(what + "() from an append callback would wait for itself; "
                    + "complete appends on another executor");
        }
    }

    private static void await(CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw new StoreException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitUninterruptibly(ExecutorService executor) {
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
                LOG.warn("Store maintenance is taking long to stop");
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
