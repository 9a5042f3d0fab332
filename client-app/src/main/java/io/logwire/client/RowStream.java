package io.logwire.client;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The rows of a QUERY or SEARCH (PROTOCOL.md section 4) as they arrive: a closeable iterator
 * (or {@link #stream()}) with backpressure. When more than {@code maxBufferedRows} rows wait
 * for the consumer, the client stops reading the connection (the server then pauses the scan);
 * it reads again once the consumer has taken half of them. So a result of any size is
 * consumed in bounded memory.
 *
 * <p>Rows are decoded on the consumer's thread. The iterator is for one thread. Closing it
 * before the end discards the rest of the result (protocol version 1 has no cancel: the server
 * still sends it, and the connection stays usable). Failures (an {@code ERROR} reply, a
 * timeout, a lost connection) are thrown from {@link #hasNext()} as {@link LogwireException}s.
 * While paused, other replies on the same connection wait too.
 */
public final class RowStream implements Iterator<LogEntry>, AutoCloseable {
    private static final Object END = new Object();

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger buffered = new AtomicInteger();
    private final AtomicBoolean resumeScheduled = new AtomicBoolean();
    private final int highWater;
    private final int lowWater;
    private final Duration timeout;
    private final Pending pending;
    private final EventLoop loop;
    private final ReplyRouter router;
    /** Sends CANCEL for a stream id (protocol version 2), or null (version 1: the rest is drained). */
    private final java.util.function.IntConsumer canceller;
    private final boolean sequenced;

    // Event loop only.
    private boolean discard;
    private boolean pendingEnded;
    private boolean waiting;
    private volatile boolean paused;
    private volatile int peakBuffered;
    private volatile long totalRows = -1;
    private volatile long nextSequence = -1;
    private volatile boolean cancelSent;

    // Consumer thread only.
    private ByteBuf chunk;
    private int chunkOffset;
    private int chunkLeft;
    private int chunkCount;
    private boolean ended;
    private volatile boolean closed;
    private long lastSequence = -1;
    private LogwireException failure;
    private long delivered;

    RowStream(Opcode op, long limit, long fromSequence, String text, Duration timeout, int maxBufferedRows,
              EventLoop loop, ReplyRouter router, java.util.function.IntConsumer canceller) {
        this.canceller = canceller;
        this.sequenced = op == Opcode.QUERY_FROM || op == Opcode.TAIL;
        this.highWater = maxBufferedRows;
        this.lowWater = maxBufferedRows / 2;
        this.timeout = timeout;
        this.loop = loop;
        this.router = router;
        this.pending = new Pending(op, limit, fromSequence, text, timeout);
    }

    PendingRequest pending() {
        return pending;
    }

    // ---------------------------------------------------------------- consumer side

    @Override
    public boolean hasNext() {
        if (closed) {
            releaseChunk();
            return false;
        }
        while (chunkLeft == 0) {
            if (failure != null) {
                throw failure;
            }
            if (ended || closed) {
                releaseChunk();
                return false;
            }
            Object item = queue.poll();
            try {
                if (item == null) {
                    // About to block: make sure the connection is read, whoever paused it.
                    onLoop(this::consumerWaits);
                    item = timeout.isZero() ? queue.take() : queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new LogwireException("interrupted while waiting for " + pending.name + " rows");
            }
            if (item == null) {
                failure = new RequestTimeoutException(pending.name + " (waiting for rows)", timeout);
                onLoop(() -> {
                    router.abandon(pending, null);
                    stopBuffering();
                });
                throw failure;
            }
            if (item == END) {
                ended = true;
            } else if (item instanceof LogwireException e) {
                failure = e;
            } else {
                ByteBuf entries;
                int count;
                if (item instanceof Reply.SeqRows seq) {
                    entries = seq.rows();
                    count = seq.count();
                } else {
                    Reply.Rows rows = (Reply.Rows) item;
                    entries = rows.entries();
                    count = rows.count();
                }
                // One bulk copy to the heap, then decode from the array: the pooled frame goes back
                // at once, and decoding does not pay per-access costs of direct (leak-tracked) buffers.
                byte[] bytes = new byte[entries.readableBytes()];
                entries.getBytes(entries.readerIndex(), bytes);
                ReferenceCountUtil.release(item);
                chunk = Unpooled.wrappedBuffer(bytes);
                chunkOffset = 0;
                chunkLeft = count;
                chunkCount = count;
                if (chunkLeft == 0) {
                    finishChunk();
                }
            }
        }
        return true;
    }

    @Override
    public LogEntry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        if (sequenced) {
            lastSequence = chunk.getLong(chunkOffset);
            chunkOffset += 8;
        }
        LogEntry e = LogEntryCodec.decodeValid(chunk, chunkOffset);
        chunkOffset += LogEntryCodec.entryLength(chunk, chunkOffset);
        delivered++;
        if (--chunkLeft == 0) {
            finishChunk();
        }
        return e;
    }

    private void releaseChunk() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
            chunkLeft = 0;
        }
    }

    private void finishChunk() {
        chunk.release();
        chunk = null;
        int left = buffered.addAndGet(-chunkCount);
        chunkCount = 0;
        if (paused && left <= lowWater && resumeScheduled.compareAndSet(false, true)) {
            onLoop(() -> {
                resumeScheduled.set(false);
                if (paused && buffered.get() <= lowWater) {
                    paused = false;
                    router.resume();
                }
            });
        }
    }

    /** The rows as a sequential stream; closing the stream closes this. */
    public Stream<LogEntry> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    /**
     * QUERY_FROM and TAIL: the row with its sequence number. Same as {@link #next()} plus
     * {@link #lastSequence()}.
     */
    public SeqEntry nextRow() {
        LogEntry e = next();
        return new SeqEntry(lastSequence, e);
    }

    /**
     * Whether the next row (or the end) has already arrived, so {@link #hasNext()} would not
     * wait for the server: a consumer writing rows out can flush only when this turns false.
     * Consumer thread only.
     */
    public boolean rowReady() {
        return chunkLeft > 0 || !queue.isEmpty();
    }

    /** QUERY_FROM and TAIL: the sequence of the row last returned by {@link #next()}, or -1. */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * QUERY_FROM and TAIL: once the stream has ended, the {@code nextSequence} of its final frame
     * (where to continue); empty before that, and for QUERY and SEARCH.
     */
    public OptionalLong nextSequence() {
        long n = nextSequence;
        return n < 0 ? OptionalLong.empty() : OptionalLong.of(n);
    }

    /** The stream id of the request (for {@link LogwireClient#cancel}); 0 before it is sent. */
    public int streamId() {
        return pending.streamId;
    }

    /** Rows handed to the consumer so far. */
    public long delivered() {
        return delivered;
    }

    /** The server's row count, once the final frame has arrived. */
    public OptionalLong totalRows() {
        long t = totalRows;
        return t < 0 ? OptionalLong.empty() : OptionalLong.of(t);
    }

    /** The most rows that were ever buffered for the consumer at once (for tests and tuning). */
    public int peakBufferedRows() {
        return peakBuffered;
    }

    /** Rows buffered right now. */
    public int bufferedRows() {
        return buffered.get();
    }

    /**
     * Stops consuming: buffered rows are released and the rest of the result, if any, is
     * discarded as it arrives; with a version-2 server the request is cancelled (CANCEL), so the
     * server stops sending it. Idempotent. May be called from another thread to stop a consumer
     * waiting in {@link #hasNext()} (it then returns false); the rows of the current chunk are
     * then released by the consumer.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onLoop(() -> {
            stopBuffering();
            cancelIfRunning();
        });
        // Wakes a consumer blocked in hasNext (possibly on another thread).
        queue.add(END);
    }

    /** Event loop: sends CANCEL if the request is still running on a version-2 connection. */
    private void cancelIfRunning() {
        if (canceller != null && !cancelSent && totalRows < 0 && pending.streamId != 0 && !pendingEnded) {
            cancelSent = true;
            canceller.accept(pending.streamId);
        }
    }

    /** Event loop: the consumer found nothing buffered and is about to wait. */
    private void consumerWaits() {
        if (discard) {
            return;
        }
        if (queue.isEmpty()) {
            if (!waiting) {
                waiting = true;
                router.consumerWaiting(1);
            }
            // Nothing is buffered, so this stream is below its low-water mark whatever the counter
            // said when it paused (the consumer may have drained it before the pause was seen).
            if (paused) {
                paused = false;
                router.resume();
            }
        }
    }

    /** Event loop: something arrived (or the stream ended); the consumer no longer waits in vain. */
    private void notWaiting() {
        if (waiting) {
            waiting = false;
            router.consumerWaiting(-1);
        }
    }

    /** Event loop (or after it stopped): drop what is buffered, take no more, and read again. */
    private void stopBuffering() {
        notWaiting();
        discard = true;
        Object o;
        while ((o = queue.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        buffered.set(0);
        if (paused) {
            paused = false;
            router.resume();
        }
        if (closed) {
            queue.add(END); // wakes a consumer blocked in hasNext on another thread
        }
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
            return;
        }
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The event loop is gone with the connection: nothing will arrive any more.
            Object o;
            while ((o = queue.poll()) != null) {
                ReferenceCountUtil.release(o);
            }
        }
    }

    // ---------------------------------------------------------------- event-loop side

    private final class Pending extends PendingRequest {
        private final Opcode op;
        private final long limit;
        private final long fromSequence;
        private final String text;

        Pending(Opcode op, long limit, long fromSequence, String text, Duration timeout) {
            super(op.name(), timeout);
            this.op = op;
            this.limit = limit;
            this.fromSequence = fromSequence;
            this.text = text;
        }

        @Override
        Request build(int streamId) {
            if (op == Opcode.QUERY_FROM) {
                return new Request.QueryFrom(streamId, fromSequence, limit, text);
            }
            if (op == Opcode.TAIL) {
                return new Request.Tail(streamId, fromSequence, text);
            }
            return op == Opcode.QUERY ? new Request.Query(streamId, limit, text)
                    : new Request.Search(streamId, limit, text);
        }

        @Override
        boolean timesOutAsAWhole() {
            // A long result is fine; what times out is a consumer waiting in vain (see hasNext).
            return false;
        }

        @Override
        boolean onReply(Reply reply) {
            int rowCount = -1;
            if (reply instanceof Reply.Rows rows && rows.request() == op && !sequenced) {
                rowCount = rows.count();
            } else if (reply instanceof Reply.SeqRows seq && seq.request() == op && sequenced) {
                rowCount = seq.count();
            }
            if (rowCount >= 0) {
                if (discard) {
                    ReferenceCountUtil.release(reply);
                    return true;
                }
                int now = buffered.addAndGet(rowCount);
                if (now > peakBuffered) {
                    peakBuffered = now;
                }
                queue.add(reply);
                notWaiting();
                if (!paused && now > highWater) {
                    paused = true;
                    router.pause();
                }
                return true;
            }
            if (reply instanceof Reply.ScanDone done && done.request() == op) {
                totalRows = done.totalRows();
                end(END);
                return true;
            }
            if (reply instanceof Reply.SeqScanDone done && done.request() == op && sequenced) {
                nextSequence = done.nextSequence();
                totalRows = done.totalRows();
                end(END);
                return true;
            }
            ServerErrorException error = ServerErrorException.of(reply);
            if (error != null) {
                end(error);
                return true;
            }
            ReferenceCountUtil.release(reply);
            return false;
        }

        @Override
        void fail(LogwireException e) {
            end(e);
        }

        private void end(Object item) {
            pendingEnded = true;
            if (!discard) {
                queue.add(item);
            }
            notWaiting();
            // The server is done with this request: let other replies through, whatever is buffered.
            if (paused) {
                paused = false;
                router.resume();
            }
        }
    }
}
