package io.logwire.protocol.filter;

/**
 * A filter or search text that PROTOCOL.md section 5 refuses; answered with
 * {@code INVALID_QUERY}. The message names the problem and, where there is one, the position.
 */
public final class FilterSyntaxException extends RuntimeException {
    private final int position;

    public FilterSyntaxException(String message, int position) {
        super(message);
        this.position = position;
    }

    /** Zero-based char offset of the problem in the filter text, or -1. */
    public int position() {
        return position;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
