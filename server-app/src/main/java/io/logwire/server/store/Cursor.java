package io.logwire.server.store;

/**
 * A forward scan over stored entries, in sequence order. Not thread-safe: one thread at a
 * time (handing it from one scan task to the next is fine). Does blocking I/O.
 */
public interface Cursor extends AutoCloseable {
    /**
     * Scans forward, handing each matching entry to {@code sink}, until the sink returns
     * {@code false}, {@code maxScanned} entries have been examined (matching or not), or the
     * end of the store (as of this call) is reached.
     *
     * @return the number of entries handed to the sink
     */
    int advance(MatchSink sink, int maxScanned);

    /** Whether the scan reached the end of the store as it was at the last {@link #advance}. */
    boolean isExhausted();

    /**
     * The sequence of the next entry this cursor would examine: after the last entry
     * examined, or where the store ended when it was found exhausted.
     */
    long position();

    @Override
    void close();
}
