package io.logwire.protocol.message;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A message that carries a reference-counted buffer: a deliberate zero-copy path (uploaded
 * entries, echoed bytes, rows). Releasing the message releases the buffer.
 */
public interface ContentHolder extends ReferenceCounted {
    /** The carried bytes, readable from reader index to writer index. */
    ByteBuf content();

    @Override
    default int refCnt() {
        return content().refCnt();
    }

    @Override
    default ContentHolder retain() {
        content().retain();
        return this;
    }

    @Override
    default ContentHolder retain(int increment) {
        content().retain(increment);
        return this;
    }

    @Override
    default ContentHolder touch() {
        content().touch();
        return this;
    }

    @Override
    default ContentHolder touch(Object hint) {
        content().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return content().release();
    }

    @Override
    default boolean release(int decrement) {
        return content().release(decrement);
    }
}
