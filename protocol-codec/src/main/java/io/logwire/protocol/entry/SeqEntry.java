package io.logwire.protocol.entry;

import java.util.Objects;

/**
 * A row of SEQ_ROWS (PROTOCOL.md 6.3): an entry with its store sequence number, so that a
 * client can resume after it.
 *
 * @param sequence the entry's sequence number (u64 on the wire; never negative in practice)
 * @param entry    the entry
 */
public record SeqEntry(long sequence, LogEntry entry) {
    public SeqEntry {
        Objects.requireNonNull(entry, "entry");
    }
}
