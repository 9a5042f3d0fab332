package io.logwire.client.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.util.Locale;

/** The file formats entries are read from and written to. */
public enum EntryFormat {
    /** Comma-separated values with a header row. */
    CSV,
    /** JSON Lines: one object per line. */
    JSONL;

    /** The format a file name implies ({@code .csv}, {@code .jsonl}, {@code .ndjson}, {@code .json}), or null. */
    public static EntryFormat forFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) {
            n = n.substring(0, n.length() - 3);
        }
        if (n.endsWith(".csv")) {
            return CSV;
        }
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) {
            return JSONL;
        }
        return null;
    }

    /**
     * Guesses from the first non-blank byte of a buffered stream without consuming it:
     * {@code {} means JSON Lines, anything else CSV.
     */
    public static EntryFormat sniff(BufferedInputStream in) throws IOException {
        in.mark(4096);
        try {
            for (int i = 0; i < 4096; i++) {
                int b = in.read();
                if (b < 0) {
                    return CSV;
                }
                if (b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0xEF || b == 0xBB || b == 0xBF) {
                    continue; // whitespace or a UTF-8 byte-order mark
                }
                return b == '{' ? JSONL : CSV;
            }
            return CSV;
        } finally {
            in.reset();
        }
    }

    /** A reader of this format over {@code in}; {@code name} is what error messages call it. */
    public EntryReader reader(String name, InputStream in) throws IOException {
        return this == CSV ? new CsvEntryReader(name, in) : new JsonLinesEntryReader(name, in);
    }

    /** A writer of this format to {@code out}. */
    public EntryWriter writer(Writer out) throws IOException {
        return this == CSV ? new CsvEntryWriter(out) : new JsonLinesEntryWriter(out);
    }
}
