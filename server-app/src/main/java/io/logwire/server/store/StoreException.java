package io.logwire.server.store;

/** A store operation that failed; for appends, nothing of the batch was stored. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
