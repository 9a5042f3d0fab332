package io.logwire.server.store.embedded;

import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes the next segment's file before the writer needs it: a segment's full length of zeros,
 * written and forced, waiting in the segments directory as {@value #READY_NAME}. At a roll the
 * writer renames it to the new segment's name, so appends overwrite blocks the file system has
 * already allocated and written, and the fdatasync after each group commit flushes data pages
 * only: no journal commit for a file that grows (or for unwritten extents, as fallocate would
 * leave). fio on this project's 2-core VM, 64 KiB writes each followed by fdatasync: growing
 * file p50 0.20-0.24 ms, p99 0.39-0.51 ms; overwriting written blocks p50 0.15 ms, p99
 * 0.21-0.27 ms (docs/benchmarks.md).
 *
 * <p>The zeros after the last record of the active segment are no data: the writer cuts a
 * segment to its records when it seals it, and recovery treats zeros after the last valid
 * record as unused space (see {@link #isZero}). Zeros are written 256 KiB at a time, each
 * forced, at most 64 MiB/s, so an fdatasync of the active segment never queues behind more than
 * 256 KiB of them and they take a bounded share of the disk (a writer filling segments faster
 * than that finds every other one not ready, and that one grows).
 *
 * <p>When no file is ready at a roll (a writer faster than the disk, an I/O error, less than two
 * segments of free space), the writer creates the segment as before and it grows.
 *
 * <p>Thread-safety: preparing runs on its own thread; {@link #takeAs} on the writer's. The
 * ready file is only renamed after it is complete, and {@link #ready} is set after that.
 */
final class SegmentPreallocator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentPreallocator.class);
    static final String READY_NAME = "next-segment.zeros";
    static final String TMP_NAME = READY_NAME + ".tmp";
    private static final int CHUNK = 256 << 10;
    /** Zeros are written at most this fast, so they take a bounded share of the disk from the active segment. */
    private static final long BYTES_PER_SECOND = 64L << 20;

    private final Path dir;
    private final long bytes;
    private final ExecutorService thread;
    private final AtomicBoolean queued = new AtomicBoolean();
    private volatile boolean ready;
    private volatile boolean closed;

    /**
     * Starts with what a previous run left: a ready file of the right length is kept, anything
     * else deleted. Prepares nothing until {@link #request}ed (the writer asks once the active
     * segment is an eighth full, so stores that write little never pay for a segment of zeros).
     */
    SegmentPreallocator(Path segmentsDir, long segmentBytes) {
        this.dir = segmentsDir;
        this.bytes = segmentBytes;
        this.thread = Executors.newSingleThreadExecutor(new DefaultThreadFactory("logwire-store-prealloc", true,
                Thread.MIN_PRIORITY));
        thread.execute(this::adoptLeftover);
    }

    /** Whether {@code name} is one of the files this class keeps in the segments directory. */
    static boolean isPreallocatedFileName(String name) {
        return name.equals(READY_NAME) || name.equals(TMP_NAME);
    }

    /** Asks for a file to be prepared, unless one is ready or being prepared. */
    void request() {
        if (!ready && !closed && queued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    queued.set(false);
                    prepare();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                queued.set(false); // closed meanwhile
            }
        }
    }

    /**
     * Writer thread: renames the ready file to {@code target} (which must not exist) and asks
     * for the next one.
     *
     * @return whether {@code target} is now the preallocated file; if not, the caller creates it
     */
    boolean takeAs(Path target) {
        if (!ready || Files.exists(target)) {
            return false;
        }
        ready = false;
        try {
            Files.move(dir.resolve(READY_NAME), target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            LOG.warn("Could not use the preallocated segment file for {}: {}", target.getFileName(), e.toString());
            return false;
        } finally {
            request();
        }
    }

    private void adoptLeftover() {
        Path file = dir.resolve(READY_NAME);
        try {
            Files.deleteIfExists(dir.resolve(TMP_NAME));
            if (Files.isRegularFile(file)) {
                if (Files.size(file) == bytes) {
                    ready = true;
                } else {
                    Files.delete(file); // made for another segment size
                }
            }
        } catch (IOException e) {
            LOG.warn("Could not check the preallocated segment file {}: {}", file, e.toString());
        }
    }

    private void prepare() {
        if (ready || closed) {
            return;
        }
        Path tmp = dir.resolve(TMP_NAME);
        try {
            if (Files.getFileStore(dir).getUsableSpace() < 2 * bytes) {
                LOG.debug("Not preallocating a segment: less than two segments of free space in {}", dir);
                return;
            }
            ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(CHUNK, bytes));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                long position = 0;
                long started = System.nanoTime();
                while (position < bytes) {
                    if (closed) {
                        return; // finally deletes the unfinished file
                    }
                    zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - position));
                    while (zeros.hasRemaining()) {
                        position += ch.write(zeros, position);
                    }
                    ch.force(false);
                    long ahead = started + position * 1_000_000_000L / BYTES_PER_SECOND - System.nanoTime();
                    if (ahead > 0) {
                        TimeUnit.NANOSECONDS.sleep(ahead);
                    }
                }
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(READY_NAME), StandardCopyOption.ATOMIC_MOVE);
            ready = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not preallocate the next segment in {} (the next one grows as it is written): {}", dir,
                    e.toString());
        } finally {
            if (!ready) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.debug("Could not delete {}: {}", tmp, e.toString());
                }
            }
        }
    }

    /** Whether every byte of {@code buf} from {@code from} to {@code to} is zero. */
    static boolean isZero(MappedByteBuffer buf, int from, int to) {
        int i = from;
        for (; i < to && (i & 7) != 0; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        for (; i + 8 <= to; i += 8) {
            if (buf.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Stops preparing (an unfinished file is deleted; a ready one stays for the next open). */
    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Segment preallocation did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
