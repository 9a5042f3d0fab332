package io.logwire.client.io;

/**
 * A bad record in an input file, reported as {@code FILE:LINE: reason}. {@link #isFatal()}
 * says whether reading can go on after it (a bad value can be skipped; broken CSV quoting
 * or an unreadable file cannot).
 */
public final class InputFormatException extends RuntimeException {
    private final String file;
    private final long line;
    private final String reason;
    private final boolean fatal;

    public InputFormatException(String file, long line, String reason, boolean fatal) {
        super(file + ":" + line + ": " + reason);
        this.file = file;
        this.line = line;
        this.reason = reason;
        this.fatal = fatal;
    }

    /** The file as named on the command line ({@code -} for standard input). */
    public String file() {
        return file;
    }

    /** One-based line number of the record (its first line, for a CSV record over several lines). */
    public long line() {
        return line;
    }

    public String reason() {
        return reason;
    }

    public boolean isFatal() {
        return fatal;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
