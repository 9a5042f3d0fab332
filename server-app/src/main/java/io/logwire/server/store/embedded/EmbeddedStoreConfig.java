package io.logwire.server.store.embedded;

import io.logwire.server.store.FsyncPolicy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of an {@link EmbeddedLogStore}. Immutable; build with {@link #builder(Path)}.
 *
 * @param dataDir                  directory of the store (created if missing)
 * @param fsyncPolicy              when appends are forced to disk before they are acknowledged
 * @param batchFsyncInterval       how often {@link FsyncPolicy#BATCH} forces the active segment
 * @param segmentBytes             a segment is rolled before a record would take it past this size
 * @param retentionMaxBytes        oldest segments are dropped while the store is larger; 0 = unlimited
 * @param retentionMaxAge          segments whose last record is older are dropped; zero = unlimited
 * @param retentionCheckInterval   how often retention runs besides after every roll
 * @param maxQueuedBytes           appends waiting for the writer beyond this fail as "overloaded"
 * @param indexIntervalBytes       at most this many bytes of records between two sparse-index entries
 * @param cursorReadBufferBytes    chunk a cursor reads from the active segment at once
 * @param scanParallelism          threads one long scan may use at once (1 = scan sequentially)
 * @param clock                    time of records, for age-based retention
 * @param dedupWindow              UPLOAD_ONCE batch ids are remembered at least this long (if retained)
 * @param dedupMaxBatches          at most this many batch ids are remembered (about
 *                                 {@value DedupIndex#BYTES_PER_BATCH} bytes of heap each)
 * @param columns                  whether sealed segments get a column file for faster filtered scans
 *                                 ({@link SegmentColumns}; about half a segment's size again on disk)
 * @param preallocate              whether the next segment's file is written full of zeros ahead of time,
 *                                 so appends overwrite allocated blocks and fdatasync flushes data only
 *                                 ({@link SegmentPreallocator}; writes each segment's bytes twice)
 */
public record EmbeddedStoreConfig(Path dataDir, FsyncPolicy fsyncPolicy, Duration batchFsyncInterval,
                                  long segmentBytes, long retentionMaxBytes, Duration retentionMaxAge,
                                  Duration retentionCheckInterval, long maxQueuedBytes, int indexIntervalBytes,
                                  int cursorReadBufferBytes, int scanParallelism, Clock clock,
                                  Duration dedupWindow, int dedupMaxBatches, boolean columns,
                                  boolean preallocate) {
    public static final FsyncPolicy DEFAULT_FSYNC_POLICY = FsyncPolicy.ALWAYS;
    public static final Duration DEFAULT_BATCH_FSYNC_INTERVAL = Duration.ofMillis(100);
    public static final long DEFAULT_SEGMENT_BYTES = 256L << 20;
    /** Keeps a segment file (at most this plus one record) under 2 GiB, so it maps whole. */
    public static final long MAX_SEGMENT_BYTES = 1L << 30;
    public static final long MIN_SEGMENT_BYTES = 1024;
    public static final long DEFAULT_RETENTION_MAX_BYTES = 0;
    public static final Duration DEFAULT_RETENTION_MAX_AGE = Duration.ZERO;
    public static final Duration DEFAULT_RETENTION_CHECK_INTERVAL = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_QUEUED_BYTES = 64L << 20;
    public static final int DEFAULT_INDEX_INTERVAL_BYTES = 4096;
    /** Small enough to stay in a core's L2 cache between the read and the scan. */
    public static final int DEFAULT_CURSOR_READ_BUFFER_BYTES = 256 * 1024;
    /** One scan thread per core. */
    public static final int DEFAULT_SCAN_PARALLELISM = Runtime.getRuntime().availableProcessors();
    /** PROTOCOL.md 6.2's default deduplication window. */
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofHours(24);
    /** About 320 MiB of heap at most; 1 batch every 22 ms for 24 hours. */
    public static final int DEFAULT_DEDUP_MAX_BATCHES = 2_000_000;

    public EmbeddedStoreConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(fsyncPolicy, "fsyncPolicy");
        Objects.requireNonNull(clock, "clock");
        requirePositive(batchFsyncInterval, "batchFsyncInterval");
        requirePositive(retentionCheckInterval, "retentionCheckInterval");
        Objects.requireNonNull(retentionMaxAge, "retentionMaxAge");
        if (retentionMaxAge.isNegative()) {
            throw new IllegalArgumentException("retentionMaxAge must not be negative: " + retentionMaxAge);
        }
        if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segmentBytes must be in [" + MIN_SEGMENT_BYTES + ", "
                    + MAX_SEGMENT_BYTES + "]: " + segmentBytes);
        }
        if (retentionMaxBytes < 0) {
            throw new IllegalArgumentException("retentionMaxBytes must not be negative: " + retentionMaxBytes);
        }
        if (maxQueuedBytes <= 0) {
            throw new IllegalArgumentException("maxQueuedBytes must be positive: " + maxQueuedBytes);
        }
        if (indexIntervalBytes < 0) {
            throw new IllegalArgumentException("indexIntervalBytes must not be negative: " + indexIntervalBytes);
        }
        if (cursorReadBufferBytes < 4096) {
            throw new IllegalArgumentException("cursorReadBufferBytes must be at least 4096: " + cursorReadBufferBytes);
        }
        if (scanParallelism < 1) {
            throw new IllegalArgumentException("scanParallelism must be at least 1: " + scanParallelism);
        }
        requirePositive(dedupWindow, "dedupWindow");
        if (dedupMaxBatches < 1) {
            throw new IllegalArgumentException("dedupMaxBatches must be at least 1: " + dedupMaxBatches);
        }
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    /** A builder with every default, for a store in {@code dataDir}. */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** Builds an {@link EmbeddedStoreConfig}; every setting starts at its {@code DEFAULT_*}. */
    public static final class Builder {
        private Path dataDir;
        private FsyncPolicy fsyncPolicy = DEFAULT_FSYNC_POLICY;
        private Duration batchFsyncInterval = DEFAULT_BATCH_FSYNC_INTERVAL;
        private long segmentBytes = DEFAULT_SEGMENT_BYTES;
        private long retentionMaxBytes = DEFAULT_RETENTION_MAX_BYTES;
        private Duration retentionMaxAge = DEFAULT_RETENTION_MAX_AGE;
        private Duration retentionCheckInterval = DEFAULT_RETENTION_CHECK_INTERVAL;
        private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
        private int indexIntervalBytes = DEFAULT_INDEX_INTERVAL_BYTES;
        private int cursorReadBufferBytes = DEFAULT_CURSOR_READ_BUFFER_BYTES;
        private int scanParallelism = DEFAULT_SCAN_PARALLELISM;
        private Clock clock = Clock.systemUTC();
        private Duration dedupWindow = DEFAULT_DEDUP_WINDOW;
        private int dedupMaxBatches = DEFAULT_DEDUP_MAX_BATCHES;
        private boolean columns = true;
        private boolean preallocate = true;

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder fsyncPolicy(FsyncPolicy fsyncPolicy) {
            this.fsyncPolicy = fsyncPolicy;
            return this;
        }

        public Builder batchFsyncInterval(Duration batchFsyncInterval) {
            this.batchFsyncInterval = batchFsyncInterval;
            return this;
        }

        public Builder segmentBytes(long segmentBytes) {
            this.segmentBytes = segmentBytes;
            return this;
        }

        public Builder retentionMaxBytes(long retentionMaxBytes) {
            this.retentionMaxBytes = retentionMaxBytes;
            return this;
        }

        public Builder retentionMaxAge(Duration retentionMaxAge) {
            this.retentionMaxAge = retentionMaxAge;
            return this;
        }

        public Builder retentionCheckInterval(Duration retentionCheckInterval) {
            this.retentionCheckInterval = retentionCheckInterval;
            return this;
        }

        public Builder maxQueuedBytes(long maxQueuedBytes) {
            this.maxQueuedBytes = maxQueuedBytes;
            return this;
        }

        public Builder indexIntervalBytes(int indexIntervalBytes) {
            this.indexIntervalBytes = indexIntervalBytes;
            return this;
        }

        public Builder cursorReadBufferBytes(int cursorReadBufferBytes) {
            this.cursorReadBufferBytes = cursorReadBufferBytes;
            return this;
        }

        public Builder scanParallelism(int scanParallelism) {
            this.scanParallelism = scanParallelism;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder dedupWindow(Duration dedupWindow) {
            this.dedupWindow = dedupWindow;
            return this;
        }

        public Builder dedupMaxBatches(int dedupMaxBatches) {
            this.dedupMaxBatches = dedupMaxBatches;
            return this;
        }

        public Builder columns(boolean columns) {
            this.columns = columns;
            return this;
        }

        public Builder preallocate(boolean preallocate) {
            this.preallocate = preallocate;
            return this;
        }

        public EmbeddedStoreConfig build() {
            return new EmbeddedStoreConfig(dataDir, fsyncPolicy, batchFsyncInterval, segmentBytes, retentionMaxBytes,
                    retentionMaxAge, retentionCheckInterval, maxQueuedBytes, indexIntervalBytes,
                    cursorReadBufferBytes, scanParallelism, clock, dedupWindow, dedupMaxBatches, columns, preallocate);
        }
    }
}
