package io.logwire.protocol.aggregate;

/**
 * An aggregation reached its cap on distinct groups: answering would need more memory than
 * the server allows for one query. A server answers it with {@code OVERLOADED} (or
 * {@code ERROR_RETRY}); the client can narrow the filter or group by fewer fields.
 */
public final class TooManyGroupsException extends RuntimeException {
    private final int maxGroups;

    public TooManyGroupsException(int maxGroups) {
        super("the aggregation has more than " + maxGroups
                + " distinct groups, the server's limit; narrow the filter or group by fewer fields");
        this.maxGroups = maxGroups;
    }

    public int maxGroups() {
        return maxGroups;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
