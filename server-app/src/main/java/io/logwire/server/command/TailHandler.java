package io.logwire.server.command;

import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.FilterSyntaxException;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.micrometer.core.instrument.Gauge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TAIL (PROTOCOL.md 6.4): the stored matches from {@code fromSequence}, then each new matching
 * entry once the store has committed it, as SEQ_ROWS, until CANCEL (then TAIL_DONE), an
 * overload (ERROR OVERLOADED) or the end of the connection.
 *
 * <p>Nothing is buffered per tail: every tail reads the store through its own cursor, at the
 * pace its connection drains (it waits for writability between steps like a scan). New entries
 * are pushed, not polled: the store's commit notification ({@link
 * io.logwire.server.store.LogStore#subscribe}) wakes the tails that are caught up. A tail that
 * has caught up once and then falls more than {@code --tail-budget} entries behind the end of
 * the store while its connection is not writable (its client reads too slowly) is ended with
 * OVERLOADED; the client resumes from the last sequence it received + 1 and loses nothing.
 * At most {@code --max-tails} tails run on the server at once.
 */
public final class TailHandler implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(TailHandler.class);

    private final ServerContext server;
    private final int chunkBytes;
    private final Set<Tail> tails = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final boolean supported;

    public TailHandler(ServerContext server) {
        this.server = server;
        this.chunkBytes = Math.min(ScanHandler.CHUNK_BYTES, server.config().maxFrameLength() / 2);
        boolean ok;
        try {
            server.store().subscribe(this::committed);
            ok = true;
        } catch (UnsupportedOperationException e) {
            log.warn("TAIL is not available: {}", e.getMessage());
            ok = false;
        }
        this.supported = ok;
        Gauge.builder("logwire.tail.subscribers", tails, Set::size)
                .description("TAIL requests running now").register(server.stats().metrics().registry());
        Gauge.builder("logwire.tail.lag", this, TailHandler::maxLag)
                .description("Entries the furthest-behind TAIL still has to examine to reach the end of the store")
                .register(server.stats().metrics().registry());
    }

    /** Tails running now. */
    public int subscribers() {
        return tails.size();
    }

    /** Entries the furthest-behind tail has not examined yet (0 without tails). */
    public long maxLag() {
        long end = server.store().nextSequence();
        long max = 0;
        for (Tail t : tails) {
            max = Math.max(max, end - t.position);
        }
        return max;
    }

    /** The store's commit notification (writer thread): wakes the tails, never blocks. */
    private void committed(long end) {
        for (Tail t : tails) {
            t.committed(end);
        }
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Request.Tail tail = (Request.Tail) request;
        Filter filter;
        try {
            filter = Filter.parse(tail.filter());
        } catch (FilterSyntaxException e) {
            exchange.fail(ErrorCode.INVALID_QUERY, e.getMessage());
            return;
        }
        if (!supported) {
            exchange.fail(ErrorCode.INTERNAL, "this server's store cannot notify of new entries, so TAIL is not served");
            return;
        }
        int perConnection = server.config().maxTailsPerConnection();
        if (exchange.limits().tails.incrementAndGet() > perConnection) {
            exchange.limits().tails.decrementAndGet();
            exchange.fail(ErrorCode.OVERLOADED, "this connection already runs " + perConnection
                    + " tails (the server's --max-tails-per-connection); cancel one first");
            return;
        }
        int limit = server.config().maxTails();
        if (open.incrementAndGet() > limit) {
            open.decrementAndGet();
            exchange.limits().tails.decrementAndGet();
            exchange.fail(ErrorCode.OVERLOADED, "the server already runs " + limit
                    + " tails (its --max-tails); retry later");
            return;
        }
        long from;
        if (tail.fromNow()) {
            from = server.store().nextSequence();
        } else if (tail.fromSequence() < 0) {
            from = Long.MAX_VALUE; // a u64 at or above 2^63: past anything the store will hold
        } else {
            from = tail.fromSequence();
        }
        Tail t = new Tail(exchange, filter.compile(), filter, from);
        tails.add(t);
        exchange.onCancel(t::cancel);
        exchange.onClose(t::kick);
        t.kick();
    }

    /**
     * One running tail. Its work runs on a scan thread, one task at a time ({@link #wip}
     * serialises the wake-ups from commits, writability, CANCEL and close).
     */
    private final class Tail implements Runnable {
        private final Exchange exchange;
        private final EntryPredicate predicate;
        private final Filter filter;
        private final AtomicInteger wip = new AtomicInteger();
        /** The next sequence to examine; everything matching below it has been sent. */
        private volatile long position;
        /** Whether the tail has reached the end of the store once (the live phase). */
        private volatile boolean live;
        private volatile boolean waitingWritable;
        private volatile boolean cancelled;
        private volatile boolean overloaded;
        private Cursor cursor; // task only
        private long sent; // task only
        private boolean finished; // task only

        Tail(Exchange exchange, EntryPredicate predicate, Filter filter, long from) {
            this.exchange = exchange;
            this.predicate = predicate;
            this.filter = filter;
            this.position = from;
        }

        void cancel() {
            cancelled = true;
            kick();
        }

        void committed(long end) {
            if (live && !exchange.isWritable() && end - position > server.config().tailBudget()) {
                overloaded = true;
            }
            kick();
        }

        void kick() {
            if (wip.getAndIncrement() == 0) {
                try {
                    server.scanExecutor().execute(this);
                } catch (RejectedExecutionException e) {
                    end();
                    exchange.fail(ErrorCode.SHUTTING_DOWN, "server is shutting down");
                }
            }
        }

        @Override
        public void run() {
            int missed = 1;
            while (true) {
                try {
                    work();
                } catch (StoreException e) {
                    // The store could not be read (e.g. a remote backend went away): not a bug.
                    log.warn("TAIL on stream {}: {}", Integer.toUnsignedLong(exchange.streamId()), e.getMessage());
                    if (!finished) {
                        end();
                        exchange.fail(ErrorCode.STORAGE_ERROR, "the store could not be read: " + e.getMessage()
                                + "; resume from sequence " + position);
                    }
                } catch (RuntimeException e) {
                    log.error("TAIL on stream {} failed", Integer.toUnsignedLong(exchange.streamId()), e);
                    if (!finished) {
                        end();
                        exchange.fail(ErrorCode.INTERNAL, "tail failed: " + e.getMessage());
                    }
                }
                missed = wip.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void work() {
            if (finished) {
                return;
            }
            if (!exchange.isOpen()) {
                end();
                exchange.abandon();
                return;
            }
            if (cancelled) {
                end();
                exchange.reply(new Reply.SeqScanDone(Opcode.TAIL, exchange.streamId(), sent, position));
                return;
            }
            if (overloaded) {
                end();
                exchange.fail(ErrorCode.OVERLOADED, "the tail fell more than " + server.config().tailBudget()
                        + " entries behind the store (its client reads too slowly); resume from sequence " + position);
                return;
            }
            if (waitingWritable) {
                return;
            }
            if (position >= server.store().nextSequence()) {
                live = true; // a commit after this read kicks again
                return;
            }
            if (cursor == null) {
                cursor = server.store().openCursor(position, predicate, filter);
            }
            ByteBuf chunk = exchange.alloc().directBuffer(chunkBytes + 1024);
            int count;
            long[] last = {-1};
            try {
                count = cursor.advance((sequence, buf, offset, length) -> {
                    SeqEntryCodec.write(chunk, sequence, buf, offset, length);
                    last[0] = sequence;
                    return chunk.readableBytes() < chunkBytes;
                }, ScanHandler.STEP_ENTRIES);
            } catch (RuntimeException e) {
                chunk.release();
                throw e;
            }
            long next = Math.max(cursor.position(), last[0] + 1);
            if (cursor.isExhausted()) {
                // Reopened at the next wake-up: a cursor may not see entries committed after it was opened.
                cursor.close();
                cursor = null;
            }
            if (count > 0) {
                sent += count;
                exchange.partial(new Reply.SeqRows(Opcode.TAIL, exchange.streamId(), count, chunk));
            } else {
                chunk.release();
            }
            position = next;
            waitingWritable = true;
            exchange.whenWritable(() -> {
                waitingWritable = false;
                kick();
            });
        }

        /** Releases what the tail holds; the caller then sends (or skips) its final frame. */
        private void end() {
            finished = true;
            if (cursor != null) {
                cursor.close();
                cursor = null;
            }
            if (tails.remove(this)) {
                open.decrementAndGet();
                exchange.limits().tails.decrementAndGet();
            }
        }
    }
}
