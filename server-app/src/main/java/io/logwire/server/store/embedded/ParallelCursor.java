package io.logwire.server.store.embedded;

import io.logwire.server.store.Cursor;
import io.logwire.server.store.MatchSink;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongFunction;

/**
 * A {@link Cursor} that scans ahead on several threads. The entries from the start position
 * to the store's end when the cursor was opened are split into consecutive partitions; up to
 * {@code parallelism} of them are scanned at once on the store's scan pool, each by its own
 * {@link SegmentCursor}, which copies its matches into a buffer of at most {@code budgetBytes}.
 * {@link #advance} hands the buffered matches to the sink in sequence order.
 *
 * <p>A partition whose matches outgrow the budget stops there and is finished by the thread
 * calling {@code advance}, straight into the sink, as a plain cursor would. So a cursor holds
 * at most {@code parallelism × budgetBytes} of copies whatever the filter matches: selective
 * scans (the common case, where the scan itself is the cost) run in parallel, and scans that
 * return most of the store are bound by sending rows, not by scanning. Entries appended after
 * the cursor was opened are read at the end by one more, sequential, cursor.
 *
 * <p>Not thread-safe (one consumer at a time), as {@link Cursor} says; the partitions' own
 * threads never block on the consumer.
 */
final class ParallelCursor implements Cursor {
    /** Entries a partition task examines between checks for cancellation. */
    private static final int TASK_STEP = 1 << 16;
    /** Copies of matches are short-lived and never leave the store: not leak-tracked (see SegmentCursor). */
    private static final ByteBufAllocator COPIES = new UnpooledByteBufAllocator(false, true);

    private final LongFunction<SegmentCursor> cursors;
    private final Executor pool;
    private final int parallelism;
    private final int budgetBytes;
    private final List<Partition> partitions;
    private final long endAtOpen;
    private int head;        // first partition not consumed yet
    private int submitted;   // partitions handed to the pool so far (a prefix)
    private Cursor tail;     // after the partitions
    private long position;
    private boolean exhausted;
    private boolean closed;

    /**
     * @param cursors      opens a sequential cursor at a sequence
     * @param from         first sequence to examine (at or after the oldest retained entry)
     * @param endAtOpen    the store's end sequence now
     * @param partitionLen entries per partition
     */
    ParallelCursor(LongFunction<SegmentCursor> cursors, Executor pool, int parallelism, int budgetBytes,
                   long from, long endAtOpen, long partitionLen) {
        this.cursors = cursors;
        this.pool = pool;
        this.parallelism = parallelism;
        this.budgetBytes = budgetBytes;
        this.endAtOpen = endAtOpen;
        this.position = from;
        this.partitions = new ArrayList<>();
        for (long s = from; s < endAtOpen; s += partitionLen) {
            partitions.add(new Partition(s, Math.min(endAtOpen, s + partitionLen)));
        }
    }

    /** Number of partitions (for tests). */
    int partitionCount() {
        return partitions.size();
    }

    @Override
    public int advance(MatchSink sink, int maxScanned) {
        if (closed) {
            throw new IllegalStateException("cursor is closed");
        }
        int handed = 0;
        long scanned = 0;
        while (head < partitions.size()) {
            if (scanned >= maxScanned) {
                exhausted = false;
                return handed;
            }
            submitAhead();
            Partition p = partitions.get(head);
            p.await();
            // The matches the partition's task buffered, in order.
            while (p.next < p.count) {
                int i = p.next++;
                long seq = p.sequences[i];
                int off = p.offsets[i];
                int len = (i + 1 < p.count ? p.offsets[i + 1] : p.matches.writerIndex()) - off;
                handed++;
                position = seq + 1;
                if (!sink.accept(seq, p.matches, off, len)) {
                    exhausted = false;
                    return handed;
                }
            }
            if (p.cutShort) {
                // Finish it here, into the sink; never past the partition's end (the next one covers that).
                SegmentCursor c = p.cursor;
                long before = Math.max(position, c.position());
                if (before < p.end && !c.isExhausted()) {
                    int max = (int) Math.min(maxScanned - scanned, p.end - before);
                    int n = c.advance(sink, max);
                    handed += n;
                    scanned += c.position() - before;
                    position = c.position();
                    if (c.position() < p.end && !c.isExhausted()) {
                        exhausted = false;
                        return handed; // the sink is full, or this step's share is used
                    }
                }
            } else {
                scanned += p.end - p.start;
            }
            position = Math.max(position, p.end);
            p.release();
            partitions.set(head++, null);
        }
        if (tail == null) {
            tail = cursors.apply(Math.max(position, endAtOpen));
        }
        int n = tail.advance(sink, (int) Math.max(1, maxScanned - scanned));
        position = tail.position();
        exhausted = tail.isExhausted();
        return handed + n;
    }

    /** Keeps up to {@code parallelism} partitions, from the one being consumed, scanning or scanned. */
    private void submitAhead() {
        while (submitted < partitions.size() && submitted < head + parallelism) {
            Partition p = partitions.get(submitted++);
            try {
                pool.execute(p);
            } catch (RejectedExecutionException e) {
                throw new StoreException("store is closed");
            }
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

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = head; i < partitions.size(); i++) {
            partitions.get(i).cancel();
        }
        if (tail != null) {
            tail.close();
        }
    }

    /** A range of sequences scanned by one task, and what it found. */
    private final class Partition implements Runnable, MatchSink {
        final long start;
        final long end;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        // Written by the task, read by the consumer after done (which orders them).
        ByteBuf matches;
        long[] sequences = new long[64];
        int[] offsets = new int[64];
        int count;
        boolean cutShort;    // the budget was reached: cursor goes on from there
        SegmentCursor cursor;
        RuntimeException failure;
        // Consumer side.
        int next;
        private boolean finished;   // guarded by this
        private boolean cancelled;  // guarded by this; also read unlocked by the task as a hint
        private volatile boolean stop;

        Partition(long start, long end) {
            this.start = start;
            this.end = end;
        }

        @Override
        public void run() {
            try {
                if (!stop) {
                    cursor = cursors.apply(start);
                    while (!stop && !cutShort && !cursor.isExhausted()) {
                        long pos = cursor.position();
                        if (pos >= end) {
                            break;
                        }
                        cursor.advance(this, (int) Math.min(TASK_STEP, end - pos));
                    }
                }
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                synchronized (this) {
                    finished = true;
                    if (!cutShort || cancelled || failure != null) {
                        closeCursor();
                    }
                    if (cancelled) {
                        releaseMatches();
                    }
                }
                done.complete(null);
            }
        }

        @Override
        public boolean accept(long sequence, ByteBuf buf, int offset, int length) {
            if (sequence >= end) {
                return false; // cannot happen (advance is bounded by end); the next partition has it
            }
            if (matches == null) {
                matches = COPIES.heapBuffer(Math.min(budgetBytes, 64 * 1024), budgetBytes + 64 * 1024);
            }
            if (count == sequences.length) {
                sequences = Arrays.copyOf(sequences, count * 2);
                offsets = Arrays.copyOf(offsets, count * 2);
            }
            sequences[count] = sequence;
            offsets[count] = matches.writerIndex();
            count++;
            matches.writeBytes(buf, offset, length);
            if (matches.writerIndex() + 12L * count >= budgetBytes) {
                cutShort = true;
                return false;
            }
            return true;
        }

        void await() {
            try {
                done.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("scan interrupted");
            } catch (ExecutionException e) {
                throw new IllegalStateException(e); // never completed exceptionally
            }
            if (failure != null) {
                throw failure;
            }
        }

        void cancel() {
            stop = true;
            synchronized (this) {
                cancelled = true;
                if (finished) {
                    closeCursor();
                    releaseMatches();
                }
            }
            // Not submitted yet: it never runs, nothing to free.
        }

        /** After the consumer is done with it. */
        void release() {
            synchronized (this) {
                closeCursor();
                releaseMatches();
            }
        }

        private void closeCursor() {
            if (cursor != null) {
                cursor.close();
                cursor = null;
            }
        }

        private void releaseMatches() {
            if (matches != null) {
                matches.release();
                matches = null;
            }
            sequences = null;
            offsets = null;
        }
    }
}
