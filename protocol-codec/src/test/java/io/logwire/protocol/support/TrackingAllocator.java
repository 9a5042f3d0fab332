package io.logwire.protocol.support;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An unpooled allocator that remembers every buffer it hands out, so a test can assert
 * deterministically that all of them were released. (Netty's paranoid leak detector only
 * logs, and only after a garbage collection.) Set it on an {@code EmbeddedChannel} with
 * {@code channel.config().setAllocator(alloc)} so the decoders' cumulation buffers are
 * tracked too. Not thread-safe: one per test.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf buf = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        allocated.add(buf);
        return buf;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf buf = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        allocated.add(buf);
        return buf;
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** A new tracked buffer holding {@code bytes}. */
    public ByteBuf copyOf(byte[] bytes) {
        return heapBuffer(bytes.length).writeBytes(bytes);
    }

    /** A new tracked buffer holding {@code bytes[from, to)}. */
    public ByteBuf copyOf(byte[] bytes, int from, int to) {
        return heapBuffer(to - from).writeBytes(bytes, from, to - from);
    }

    /** Every buffer handed out so far, in order. */
    public List<ByteBuf> allocated() {
        return List.copyOf(allocated);
    }

    public int allocations() {
        return allocated.size();
    }

    /** Buffers handed out and not yet released. */
    public List<ByteBuf> unreleased() {
        return allocated.stream().filter(b -> b.refCnt() > 0).toList();
    }

    public void assertAllReleased() {
        assertThat(unreleased())
                .as("buffers still referenced after the test (a leak) out of %d allocated", allocated.size())
                .isEmpty();
    }
}
