package io.logwire.client;

import io.logwire.protocol.entry.SeqEntry;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Pages through the matches of a filter with QUERY_FROM (PROTOCOL.md 6.3): one request of at
 * most {@code pageSize} rows at a time, each continuing at the previous page's
 * {@code nextSequence}, so a result of any size is read with at most one page in flight, and
 * {@link #nextSequence()} tells where to resume later (even in another process). Iterates the
 * rows with their sequence numbers; ends when a page comes back short. For one thread.
 */
public final class QueryPager implements Iterator<SeqEntry>, AutoCloseable {
    private final LogwireClient client;
    private final String filter;
    private final long pageSize;
    private long nextSequence;
    private RowStream page;
    private long pageRows;
    private long pages;
    private boolean done;

    /**
     * @param fromSequence the first sequence wanted (0 = from the oldest retained entry)
     * @param pageSize     rows per QUERY_FROM, 1..4294967295
     */
    public QueryPager(LogwireClient client, String filter, long fromSequence, long pageSize) {
        this.client = Objects.requireNonNull(client, "client");
        this.filter = Objects.requireNonNull(filter, "filter");
        if (pageSize < 1 || pageSize > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("page size must be 1..4294967295: " + pageSize);
        }
        if (fromSequence < 0) {
            throw new IllegalArgumentException("the sequence to start from must be >= 0: " + fromSequence);
        }
        this.pageSize = pageSize;
        this.nextSequence = fromSequence;
    }

    @Override
    public boolean hasNext() {
        while (true) {
            if (page != null) {
                if (page.hasNext()) {
                    return true;
                }
                // The page has ended: its final frame says where to continue.
                nextSequence = page.nextSequence().orElseThrow(() -> new ConnectionException(
                        ConnectionException.Reason.PROTOCOL_ERROR, "QUERY_FROM ended without nextSequence"));
                boolean shortPage = pageRows < pageSize;
                page.close();
                page = null;
                pages++;
                if (shortPage) {
                    done = true;
                }
            }
            if (done) {
                return false;
            }
            page = client.queryFrom(filter, nextSequence, pageSize);
            pageRows = 0;
        }
    }

    @Override
    public SeqEntry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        SeqEntry row = page.nextRow();
        pageRows++;
        // Resuming after this row never repeats it, even if we stop in the middle of a page.
        nextSequence = row.sequence() + 1;
        return row;
    }

    /**
     * Where to resume: the sequence after the last row returned, or the server's
     * {@code nextSequence} once a page has ended.
     */
    public long nextSequence() {
        return nextSequence;
    }

    /** QUERY_FROM requests completed so far. */
    public long pages() {
        return pages;
    }

    /** Stops early; a page in progress is cancelled. */
    @Override
    public void close() {
        done = true;
        if (page != null) {
            page.close();
            page = null;
        }
    }
}
