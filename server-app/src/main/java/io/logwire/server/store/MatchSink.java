package io.logwire.server.store;

import io.netty.buffer.ByteBuf;

/** Receives matching entries from a {@link Cursor}. */
@FunctionalInterface
public interface MatchSink {
    /**
     * One matching entry: {@code length} bytes at {@code offset} of {@code buf}, in wire
     * encoding. The bytes are valid only during the call (copy them to keep them).
     *
     * @return whether the cursor should go on
     */
    boolean accept(long sequence, ByteBuf buf, int offset, int length);
}
