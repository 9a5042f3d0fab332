package io.logwire.client.io;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

/**
 * Puts entries in {@code accessTime} order (stable: ties keep input order), like the
 * tutorial's priority queue, but for inputs of any size: runs of {@code runSize} entries are
 * sorted in memory and spilled to temporary files in wire encoding, then merged through a
 * priority queue holding one entry per run.
 */
public final class AccessTimeSorter implements Closeable {
    public static final int DEFAULT_RUN_SIZE = 200_000;
    private static final Comparator<LogEntry> BY_TIME = Comparator.comparingLong(LogEntry::accessTime);

    private final int runSize;
    private final Path tempDir;
    private final List<LogEntry> buffer = new ArrayList<>();
    private final List<Path> runs = new ArrayList<>();
    private final List<DataInputStream> open = new ArrayList<>();
    private long count;

    public AccessTimeSorter(int runSize, Path tempDir) {
        if (runSize < 1) {
            throw new IllegalArgumentException("run size must be positive");
        }
        this.runSize = runSize;
        this.tempDir = tempDir;
    }

    public void add(LogEntry e) throws IOException {
        buffer.add(e);
        count++;
        if (buffer.size() >= runSize) {
            spill();
        }
    }

    /** Entries added so far. */
    public long count() {
        return count;
    }

    private void spill() throws IOException {
        buffer.sort(BY_TIME);
        Path run = Files.createTempFile(tempDir, "logwire-sort-", ".run");
        runs.add(run);
        ByteBuf buf = Unpooled.buffer(256);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 1 << 16))) {
            for (LogEntry e : buffer) {
                buf.clear();
                LogEntryCodec.encode(e, buf);
                out.writeInt(buf.readableBytes());
                buf.readBytes(out, buf.readableBytes());
            }
        } finally {
            buf.release();
        }
        buffer.clear();
    }

    /** Every entry added, in time order. Call once, after the last {@link #add}. */
    public Iterator<LogEntry> sorted() throws IOException {
        if (runs.isEmpty()) {
            buffer.sort(BY_TIME);
            return buffer.iterator();
        }
        if (!buffer.isEmpty()) {
            spill();
        }
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparingLong((Head h) -> h.entry.accessTime())
                .thenComparingInt(h -> h.run));
        for (int i = 0; i < runs.size(); i++) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(runs.get(i)), 1 << 16));
            open.add(in);
            LogEntry first = read(in);
            if (first != null) {
                heads.add(new Head(first, i));
            }
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return !heads.isEmpty();
            }

            @Override
            public LogEntry next() {
                Head h = heads.poll();
                if (h == null) {
                    throw new NoSuchElementException();
                }
                try {
                    LogEntry following = read(open.get(h.run));
                    if (following != null) {
                        heads.add(new Head(following, h.run));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return h.entry;
            }
        };
    }

    private static LogEntry read(DataInputStream in) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return LogEntryCodec.decodeValid(Unpooled.wrappedBuffer(bytes), 0);
    }

    private record Head(LogEntry entry, int run) {
    }

    /** Deletes the temporary files. */
    @Override
    public void close() throws IOException {
        for (DataInputStream in : open) {
            in.close();
        }
        for (Path p : runs) {
            Files.deleteIfExists(p);
        }
        buffer.clear();
    }
}
