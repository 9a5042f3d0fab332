package io.logwire.client;

/**
 * Base of every failure the client reports. Unchecked, so that iterators and streams of rows
 * can raise it; the subclasses say whether the server refused a request
 * ({@link ServerErrorException}), the connection failed ({@link ConnectionException}) or a
 * request ran out of time ({@link RequestTimeoutException}).
 */
public class LogwireException extends RuntimeException {
    public LogwireException(String message) {
        super(message);
    }

    public LogwireException(String message, Throwable cause) {
        super(message, cause);
    }
}
