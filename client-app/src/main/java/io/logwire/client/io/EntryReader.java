package io.logwire.client.io;

import io.logwire.protocol.entry.LogEntry;

import java.io.Closeable;
import java.io.IOException;

/**
 * Reads entries one at a time in constant memory. A bad record raises an
 * {@link InputFormatException} naming file and line; unless it is fatal, reading can go on
 * with the next record.
 */
public interface EntryReader extends Closeable {
    /**
     * The next entry, or {@code null} at the end.
     *
     * @throws InputFormatException for a bad record (the reader is past it)
     * @throws IOException          if the input cannot be read
     */
    LogEntry next() throws IOException;

    /** Line of the record last returned (or refused). */
    long line();

    /** Bytes of input consumed so far (for progress). */
    long bytesRead();
}
