package io.logwire.protocol.aggregate;

/**
 * An aggregation reached its cap on distinct groups: answering would need more memory than
 * the server allows for one query. A server answers it with {@code OVERLOADED} (or
 * {@code ERROR_RETRY}); the client can narrow the filter or group by fewer fields.
 */
public final class TooManyGroupsException extends RuntimeException {
    private final int maxGroups;
    private final boolean keyBytes;

    public TooManyGroupsException(int maxGroups) {
        super("the aggregation has more than " + maxGroups
                + " distinct groups, the server's limit; narrow the filter or group by fewer fields");
        this.maxGroups = maxGroups;
        this.keyBytes = false;
    }

    private TooManyGroupsException(String message, int groups) {
        super(message);
        this.maxGroups = groups;
        this.keyBytes = true;
    }

    /**
     * The groups' keys and states together outgrew {@code maxBytes} before the cap on their
     * number was reached (long strings as keys), at {@code groups} groups.
     */
    public static TooManyGroupsException keyBytes(long maxBytes, int groups) {
        return new TooManyGroupsException("the aggregation's " + groups + " groups need more than "
                + (maxBytes >= 1 << 20 ? (maxBytes >> 20) + " MiB" : (maxBytes >> 10) + " KiB") + " for their keys, the server's limit; narrow the filter or group by "
                + "shorter fields", groups);
    }

    /** The cap on groups that was reached, or with {@link #isKeyBytes()} the groups held then. */
    public int maxGroups() {
        return maxGroups;
    }

    /** Whether the limit reached was the memory for keys ({@link #keyBytes}), not the number of groups. */
    public boolean isKeyBytes() {
        return keyBytes;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
