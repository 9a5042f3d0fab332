package io.logwire.client;

import java.time.Duration;

/**
 * The server answered {@code ERROR_RETRY} (PROTOCOL.md 6.6): an {@code OVERLOADED} or
 * {@code SHUTTING_DOWN} error with a hint of how long to wait before sending the request again
 * (elsewhere, for SHUTTING_DOWN).
 */
public final class RetryLaterException extends ServerErrorException {
    private final Duration retryAfter;

    public RetryLaterException(int code, String serverMessage, int streamId, Duration retryAfter) {
        super(code, serverMessage + " (retry after " + retryAfter.toMillis() + "ms)", streamId);
        this.retryAfter = retryAfter;
    }

    @Override
    public Duration retryAfter() {
        return retryAfter;
    }
}
