package io.logwire.client;

import java.util.function.IntPredicate;

/**
 * Chooses stream ids (PROTOCOL.md section 2): increasing u32 values that wrap around, skipping
 * 0 (reserved for connection-level errors) and every id still in use, so a late reply can
 * never be taken for the answer to a newer request. Not thread-safe: one per connection, used
 * on its event loop.
 */
final class StreamIds {
    private int next;

    /** Starts at 1. */
    StreamIds() {
        this(1);
    }

    /** Starts at {@code first} (tests use this to exercise the wrap-around). */
    StreamIds(int first) {
        this.next = first;
    }

    /**
     * The next free id.
     *
     * @param inUse whether an id is still reserved by an outstanding (or timed-out) request
     * @throws IllegalStateException if all 2^32 - 1 ids are in use (cannot happen with a
     *                               bounded in-flight window)
     */
    int next(IntPredicate inUse) {
        for (long tries = 0; tries <= 0xFFFF_FFFFL; tries++) {
            int id = next++;
            if (id != 0 && !inUse.test(id)) {
                return id;
            }
        }
        throw new IllegalStateException("every stream id is in use");
    }
}
