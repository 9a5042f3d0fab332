package io.logwire.protocol.entry;

/**
 * An encoded entry that breaks PROTOCOL.md section 3: truncated, invalid UTF-8, non-finite
 * score, or a batch whose count disagrees with its bytes. {@link #entryIndex()} is the
 * zero-based index of the first entry that could not be decoded, or -1 for a single entry.
 */
public final class MalformedEntryException extends RuntimeException {
    private final long entryIndex;
    private final String reason;

    public MalformedEntryException(long entryIndex, String reason) {
        super(entryIndex >= 0 ? "entry " + entryIndex + ": " + reason : reason);
        this.entryIndex = entryIndex;
        this.reason = reason;
    }

    public long entryIndex() {
        return entryIndex;
    }

    /** The problem, without the entry index. */
    public String reason() {
        return reason;
    }

    /** The same problem, attributed to entry {@code index} of a batch. */
    public MalformedEntryException atIndex(long index) {
        return new MalformedEntryException(index, reason);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // Thrown for peers' bad input, possibly often: the stack says nothing useful.
        return this;
    }
}
