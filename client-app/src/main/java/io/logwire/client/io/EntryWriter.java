package io.logwire.client.io;

import io.logwire.protocol.entry.LogEntry;

import java.io.Closeable;
import java.io.IOException;

/** Writes entries one at a time; {@link #finish()} completes the output (without closing the underlying writer). */
public interface EntryWriter extends Closeable {
    void write(LogEntry e) throws IOException;

    /**
     * Pushes every entry written so far through to the underlying writer and flushes it (a
     * tail's output must show as entries arrive, not when a buffer fills).
     */
    void flush() throws IOException;

    /** Completes and flushes the output. */
    void finish() throws IOException;

    /** Same as {@link #finish()}; the underlying writer stays open (it may be standard output). */
    @Override
    default void close() throws IOException {
        finish();
    }
}
