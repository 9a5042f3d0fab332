package io.logwire.server.command;

import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.FilterSyntaxException;
import io.logwire.protocol.filter.SearchPredicate;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ServerContext;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QUERY and SEARCH: scans the store on the scan threads in bounded steps and streams ROWS
 * frames. Between steps it waits for the connection to be writable, so a client that stops
 * reading stops the scan instead of filling the server's memory. The scan covers the
 * entries stored when the request arrived.
 */
public final class ScanHandler implements CommandHandler {
    private static final Logger log = LoggerFactory.getLogger(ScanHandler.class);
    /** Target size of one ROWS body. */
    static final int CHUNK_BYTES = 64 * 1024;
    /** Entries examined per step before the scan yields its thread. */
    static final int STEP_ENTRIES = 1 << 20;

    private final ServerContext server;
    private final int chunkBytes;

    public ScanHandler(ServerContext server) {
        this.server = server;
        // A ROWS frame must stay within the frame limit: header, count and one more entry.
        this.chunkBytes = Math.min(CHUNK_BYTES, server.config().maxFrameLength() / 2);
    }

    @Override
    public void handle(Request request, Exchange exchange) {
        Opcode op;
        long limit;
        EntryPredicate predicate;
        Filter filter;
        if (request instanceof Request.Query q) {
            op = Opcode.QUERY;
            limit = q.limit();
            try {
                filter = Filter.parse(q.filter());
            } catch (FilterSyntaxException e) {
                exchange.fail(ErrorCode.INVALID_QUERY, e.getMessage());
                return;
            }
            predicate = filter.compile();
        } else {
            Request.Search s = (Request.Search) request;
            op = Opcode.SEARCH;
            limit = s.limit();
            filter = Filter.MATCH_ALL;
            predicate = new SearchPredicate(s.term());
        }
        String refusal = server.limits().startQuery(exchange.limits());
        if (refusal != null) {
            exchange.fail(ErrorCode.OVERLOADED, refusal);
            return;
        }
        Cursor cursor;
        long end;
        try {
            end = server.store().scanEnd();
            cursor = server.store().openCursor(0, predicate, filter, limit);
        } catch (RuntimeException e) {
            server.limits().queryFinished(exchange.limits());
            throw e;
        }
        new Scan(op, exchange, cursor, limit == 0 ? Long.MAX_VALUE : limit, end).start();
    }

    /**
     * One running scan: a step on a scan thread, then a wait for writability, and so on. With
     * {@code --query-timeout}, a timer on the event loop cancels it: a scan that is running
     * stops at its next entry, one that waits for writability is ended at once; either way the
     * stream ends with {@code ERROR OVERLOADED} after the rows sent so far.
     */
    private final class Scan implements Runnable {
        /** Running on a scan thread, or queued for one. */
        private static final int RUNNING = 0;
        /** Waiting for the connection to become writable. */
        private static final int PARKED = 1;
        /** Ended by the timer while parked. */
        private static final int DONE = 2;

        private final Opcode op;
        private final Exchange exchange;
        private final Cursor cursor;
        private final long limit;
        private final long end;
        private final long startPosition;
        private final java.util.concurrent.atomic.AtomicInteger state =
                new java.util.concurrent.atomic.AtomicInteger(RUNNING);
        private final java.util.concurrent.atomic.AtomicBoolean released =
                new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean timedOut;
        private java.util.concurrent.Future<?> timer;
        private long sent;
        private boolean reachedEnd;

        Scan(Opcode op, Exchange exchange, Cursor cursor, long limit, long end) {
            this.op = op;
            this.exchange = exchange;
            this.cursor = cursor;
            this.limit = limit;
            this.end = end;
            this.startPosition = cursor.position();
        }

        void start() {
            java.time.Duration timeout = server.limits().queryTimeout();
            if (!timeout.isZero()) {
                timer = exchange.schedule(this::onTimeout, timeout);
            }
            schedule();
        }

        void schedule() {
            try {
                server.scanExecutor().execute(this);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                end();
                exchange.fail(ErrorCode.SHUTTING_DOWN, "server is shutting down");
            }
        }

        /** The timer, on the event loop. */
        private void onTimeout() {
            timedOut = true;
            if (state.compareAndSet(PARKED, DONE)) {
                failTimedOut();
            } // else a running step sees the flag
        }

        /** Back from waiting for writability, on the event loop. */
        private void resume() {
            if (state.compareAndSet(PARKED, RUNNING)) {
                schedule();
            }
        }

        /** Releases the cursor, the query permit and the timer; once. */
        private void end() {
            if (released.compareAndSet(false, true)) {
                if (timer != null) {
                    timer.cancel(false);
                }
                cursor.close();
                server.limits().queryFinished(exchange.limits());
            }
        }

        private void failTimedOut() {
            end();
            server.limits().rejected(io.logwire.server.limits.Limits.Kind.QUERY_TIME);
            exchange.fail(ErrorCode.OVERLOADED, op + " ran past the query time limit ("
                    + io.logwire.server.limits.Limits.describe(server.limits().queryTimeout()) + ") after sending " + sent
                    + " rows and was cancelled; narrow the filter or set a limit");
        }

        @Override
        public void run() {
            if (!exchange.isOpen()) {
                end();
                exchange.abandon();
                return;
            }
            if (timedOut) {
                failTimedOut();
                return;
            }
            ByteBuf chunk = exchange.alloc().directBuffer(chunkBytes + 1024);
            int count = 0;
            try {
                int[] matched = {0};
                cursor.advance((sequence, buf, offset, length) -> {
                    if (sequence >= end) {
                        reachedEnd = true;
                        return false;
                    }
                    if (timedOut) {
                        return false; // the entry is dropped: the stream ends with an ERROR anyway
                    }
                    chunk.writeBytes(buf, offset, length);
                    matched[0]++;
                    return sent + matched[0] < limit && chunk.readableBytes() < chunkBytes;
                }, STEP_ENTRIES);
                count = matched[0];
            } catch (StoreException e) {
                // The store could not be read (e.g. a remote backend went away): not a bug.
                chunk.release();
                end();
                log.warn("{} scan failed: {}", op, e.getMessage());
                exchange.fail(ErrorCode.STORAGE_ERROR, "the store could not be read: " + e.getMessage());
                return;
            } catch (RuntimeException e) {
                chunk.release();
                end();
                log.error("{} scan failed", op, e);
                exchange.fail(ErrorCode.INTERNAL, "scan failed: " + e.getMessage());
                return;
            }
            sent += count;
            boolean finished = reachedEnd || sent >= limit || cursor.isExhausted() || cursor.position() >= end;
            if (count > 0) {
                exchange.partial(new Reply.Rows(op, exchange.streamId(), count, chunk));
            } else {
                chunk.release();
            }
            if (finished) {
                server.stats().metrics().scanFinished(op, System.nanoTime() - exchange.startNanos(),
                        Math.max(0, cursor.position() - startPosition), sent);
                end();
                exchange.reply(new Reply.ScanDone(op, exchange.streamId(), sent));
                return;
            }
            if (timedOut) {
                failTimedOut();
                return;
            }
            state.set(PARKED);
            if (timedOut && state.compareAndSet(PARKED, DONE)) {
                failTimedOut(); // the timer fired between the check and the park
                return;
            }
            exchange.whenWritable(this::resume);
        }
    }
}
