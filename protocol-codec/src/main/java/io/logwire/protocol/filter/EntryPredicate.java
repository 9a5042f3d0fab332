package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.netty.buffer.ByteBuf;

/**
 * A test over entries, both as objects and in their wire encoding, so a scan of stored
 * bytes need not create objects. Implementations are immutable and thread-safe.
 */
public interface EntryPredicate {
    /** Matches everything. */
    EntryPredicate MATCH_ALL = new EntryPredicate() {
        @Override
        public boolean test(LogEntry e) {
            return true;
        }

        @Override
        public boolean test(ByteBuf buf, int offset) {
            return true;
        }

        @Override
        public String toString() {
            return "MATCH_ALL";
        }
    };

    boolean test(LogEntry entry);

    /** Tests the well-formed encoded entry at {@code offset} of {@code buf}. */
    boolean test(ByteBuf buf, int offset);
}
