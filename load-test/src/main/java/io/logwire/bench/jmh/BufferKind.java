package io.logwire.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;

/** The kinds of buffer an entry batch can sit in (a JMH {@code @Param}, hence public). */
public enum BufferKind {
    /** An unpooled heap buffer (Unpooled.buffer): array-backed, e.g. a client's batch. */
    HEAP {
        @Override
        ByteBuf allocate(int capacity) {
            return Unpooled.buffer(capacity);
        }
    },
    /** PooledByteBufAllocator.DEFAULT direct: what a server configured with the pooled allocator reads into. */
    POOLED_DIRECT {
        @Override
        ByteBuf allocate(int capacity) {
            return PooledByteBufAllocator.DEFAULT.directBuffer(capacity);
        }
    },
    /**
     * A retained slice of a pooled direct buffer: what LengthFieldBasedFrameDecoder hands
     * the codec as a frame body, so what validateBatch sees in the server.
     */
    POOLED_DIRECT_SLICE {
        @Override
        ByteBuf allocate(int capacity) {
            // The slice starts 10 bytes in (the frame header) and owns the buffer.
            ByteBuf whole = PooledByteBufAllocator.DEFAULT.directBuffer(capacity + 10);
            whole.writeZero(10);
            ByteBuf slice = whole.retainedSlice(10, capacity);
            whole.release();
            return slice.writerIndex(0);
        }
    },
    /**
     * A read-only direct NIO buffer wrapped with Unpooled.wrappedBuffer: how the embedded
     * store's cursor scans a sealed, memory-mapped segment. Not for writing (encode).
     */
    READ_ONLY_WRAPPED_DIRECT {
        @Override
        ByteBuf allocate(int capacity) {
            throw new UnsupportedOperationException("read-only: use wrap()");
        }

        @Override
        ByteBuf wrap(byte[] bytes) {
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
            return Unpooled.wrappedBuffer(direct.asReadOnlyBuffer());
        }
    },
    /** ByteBufAllocator.DEFAULT direct: Netty 4.2's default (adaptive) allocator. */
    ADAPTIVE_DIRECT {
        @Override
        ByteBuf allocate(int capacity) {
            return ByteBufAllocator.DEFAULT.directBuffer(capacity);
        }
    };

    abstract ByteBuf allocate(int capacity);

    /**
     * A buffer of this kind holding exactly {@code bytes}. The default (SIMPLE) leak
     * detector wraps about 1 allocation in 128 in a leak-aware wrapper; such a buffer is
     * released and allocated again, so every run measures the same, common case.
     */
    ByteBuf wrap(byte[] bytes) {
        while (true) {
            ByteBuf buf = allocate(bytes.length);
            if (!buf.getClass().getSimpleName().contains("LeakAware")) {
                return buf.writeBytes(bytes);
            }
            buf.release();
        }
    }

    /** An empty buffer of this kind with room for {@code capacity} bytes (see {@link #wrap}). */
    ByteBuf empty(int capacity) {
        ByteBuf buf = wrap(new byte[capacity]);
        return buf.clear();
    }
}
