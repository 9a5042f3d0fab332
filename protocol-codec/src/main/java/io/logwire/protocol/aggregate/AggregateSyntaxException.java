package io.logwire.protocol.aggregate;

/**
 * An aggregate query that PROTOCOL.md 6.5 refuses (its filter part included); answered with
 * {@code INVALID_QUERY}. The message names the problem and, where there is one, the position.
 */
public final class AggregateSyntaxException extends RuntimeException {
    private final int position;

    public AggregateSyntaxException(String message, int position) {
        super(message);
        this.position = position;
    }

    /** Zero-based char offset of the problem in the query text, or -1. */
    public int position() {
        return position;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
