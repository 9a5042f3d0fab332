package io.logwire.server.store;

import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.message.BatchId;
import io.netty.buffer.ByteBuf;

import java.io.Closeable;
import java.util.concurrent.CompletableFuture;

/**
 * Where accepted entries live. Entries are kept in their wire encoding (PROTOCOL.md section 3)
 * and numbered by a store-wide sequence that starts at 0, is contiguous, persists across
 * restarts and is never reused.
 *
 * <p>Thread-safety: every method may be called from any thread. {@link #append} never blocks
 * (it is called on event loops); cursors do blocking I/O and must be used off event loops.
 */
public interface LogStore extends Closeable {
    /**
     * Appends a batch of {@code count} entries that were already validated
     * ({@link io.logwire.protocol.entry.LogEntryCodec#validateBatch}). The batch is atomic:
     * after a crash either all of it or none of it is visible. Takes ownership of
     * {@code entries} (releases it, also on failure). Never blocks.
     *
     * @return completes once the batch is durable under the store's {@link FsyncPolicy}, with
     *         the sequence of its first entry; completes exceptionally with a
     *         {@link StoreException} if it could not be made durable (nothing of it stored)
     */
    CompletableFuture<AppendResult> append(ByteBuf entries, int count);

    /**
     * Appends a batch at most once per {@code batchId} (UPLOAD_ONCE, PROTOCOL.md 6.2), like
     * {@link #append} otherwise. If a batch with this id is already stored (within the store's
     * deduplication window, across restarts), nothing is stored and the result repeats the
     * original's {@code stored} and {@code firstSequence} with {@code duplicate} set; with a
     * different {@code digest} it fails with {@link BatchIdReusedException}. The check and the
     * append are atomic: concurrent calls with the same id store the batch once. A batch of 0
     * entries stores nothing and is not remembered. Takes ownership of {@code entries}. Never
     * blocks.
     *
     * <p>The default refuses: a backend that cannot remember batch ids durably must not
     * pretend to.
     */
    default CompletableFuture<OnceResult> appendOnce(BatchId batchId, BatchDigest digest, ByteBuf entries, int count) {
        entries.release();
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getSimpleName() + " does not support UPLOAD_ONCE"));
    }

    /**
     * Opens a cursor over the entries with sequence {@code >= fromSequence} that match
     * {@code predicate}, in sequence order. {@code filter} is the same condition as an AST
     * (or {@link Filter#MATCH_ALL}); a store may use it to skip whole segments whose
     * numeric ranges cannot match. The cursor sees at least every entry acknowledged before
     * it was opened.
     */
    Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter);

    /**
     * The same, for a scan that will stop after {@code limit} matching entries (0: no limit). A
     * store may push the limit down to the backend; by default it is ignored (the caller stops).
     */
    default Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter, long limit) {
        return openCursor(fromSequence, predicate, filter);
    }

    /**
     * Where a scan that starts now stops: the sequences of entries acknowledged later are at or
     * above it. By default {@link #nextSequence()}; a store whose numbering is not one global
     * order (several nodes numbering in their own ranges) returns {@link Long#MAX_VALUE} and
     * takes the snapshot in its cursors instead.
     */
    default long scanEnd() {
        return nextSequence();
    }

    /** The sequence the next appended entry will get. */
    long nextSequence();

    /** Current figures, for STATS. */
    StoreStats stats();

    /** Whether the store can take work now (false e.g. while a remote backend is unreachable). */
    default boolean isAvailable() {
        return true;
    }

    /** Makes everything appended so far durable, whatever the fsync policy (used at shutdown). */
    void sync();

    /** Flushes, syncs and releases files. Pending appends complete first. Idempotent. */
    @Override
    void close();
}
