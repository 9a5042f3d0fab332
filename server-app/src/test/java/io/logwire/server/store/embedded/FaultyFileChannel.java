package io.logwire.server.store.embedded;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link FileChannel} that passes everything to a real one, failing or stalling on demand. */
final class FaultyFileChannel extends FileChannel {
    /** What to break; shared by every channel of a store. */
    static final class Faults {
        /** Forces that fail before succeeding again. */
        final AtomicInteger failForces = new AtomicInteger();
        /** Gathering writes that write only {@link #partialWriteBytes} and then fail. */
        final AtomicInteger failWrites = new AtomicInteger();
        volatile int partialWriteBytes;
        volatile boolean failTruncate;
        /** When set, forces wait for it. */
        volatile CountDownLatch forceGate;
        final AtomicInteger forces = new AtomicInteger();

        ChannelFactory factory() {
            return (path, options) -> new FaultyFileChannel(FileChannel.open(path, options), this);
        }
    }

    private final FileChannel delegate;
    private final Faults faults;

    FaultyFileChannel(FileChannel delegate, Faults faults) {
        this.delegate = delegate;
        this.faults = faults;
    }

    private static boolean take(AtomicInteger counter) {
        return counter.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (take(faults.failWrites)) {
            ByteBuffer prefix = ByteBuffer.allocate(faults.partialWriteBytes);
            for (int i = offset; i < offset + length && prefix.hasRemaining(); i++) {
                ByteBuffer b = srcs[i].duplicate();
                if (b.remaining() > prefix.remaining()) {
                    b.limit(b.position() + prefix.remaining());
                }
                prefix.put(b);
            }
            prefix.flip();
            delegate.write(prefix);
            throw new IOException("injected write failure after " + prefix.limit() + " bytes");
        }
        return delegate.write(srcs, offset, length);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        CountDownLatch gate = faults.forceGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        if (take(faults.failForces)) {
            throw new IOException("injected fsync failure");
        }
        faults.forces.incrementAndGet();
        delegate.force(metaData);
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        if (faults.failTruncate) {
            throw new IOException("injected truncate failure");
        }
        delegate.truncate(size);
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return delegate.write(src);
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return delegate.transferFrom(src, position, count);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        return delegate.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
