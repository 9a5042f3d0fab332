package io.logwire.server.store;

/**
 * {@link LogStore#appendOnce} found the batch id already stored with a different body digest:
 * the client reused an id for other content (INVALID_REQUEST). Nothing was stored.
 */
public final class BatchIdReusedException extends StoreException {
    public BatchIdReusedException(String message) {
        super(message);
    }
}
