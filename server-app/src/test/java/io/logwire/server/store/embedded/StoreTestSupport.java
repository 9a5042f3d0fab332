package io.logwire.server.store.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.LogStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Entries, batches, scans and log capture for the store tests. */
final class StoreTestSupport {
    private StoreTestSupport() {
    }

    /** A stored entry as read back. */
    record Stored(long sequence, LogEntry entry) {
    }

    /** Entry number {@code i}: deterministic, varied lengths, accessTime grows with {@code i}. */
    static LogEntry entry(long i) {
        return new LogEntry("user" + (i % 97), "10.0." + (i % 256) + "." + (i * 7 % 256), (int) (i * 31 % 65536),
                1_700_000_000L + i, i * 13 % 100_000, i * 17 % 1_000_000, (i % 1000) / 8f,
                "srv-" + (i % 5) + "x".repeat((int) (i % 11)));
    }

    static List<LogEntry> entries(long from, int count) {
        List<LogEntry> out = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            out.add(entry(from + k));
        }
        return out;
    }

    /** The entries encoded back to back in a pooled direct buffer (as the server hands them over). */
    static ByteBuf encode(List<LogEntry> entries) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer();
        LogEntryCodec.encodeAll(entries, buf);
        return buf;
    }

    /**
     * The same in a buffer that no leak detector tracks: under paranoid leak detection each
     * write to a tracked buffer records a stack trace, too slow for hundreds of thousands of entries.
     */
    static ByteBuf encodeUntracked(List<LogEntry> entries) {
        ByteBuf buf = UNTRACKED.directBuffer(encodedSize(entries));
        LogEntryCodec.encodeAll(entries, buf);
        return buf;
    }

    private static final UnpooledByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(true, true);

    static int encodedSize(List<LogEntry> entries) {
        int n = 0;
        for (LogEntry e : entries) {
            n += LogEntryCodec.encodedSize(e);
        }
        return n;
    }

    static AppendResult append(LogStore store, List<LogEntry> entries) {
        return store.append(encode(entries), entries.size()).join();
    }

    static EmbeddedStoreConfig.Builder config(Path dir) {
        return EmbeddedStoreConfig.builder(dir).fsyncPolicy(FsyncPolicy.NEVER);
    }

    static List<Stored> readAll(LogStore store) {
        return read(store, 0, EntryPredicate.MATCH_ALL, Filter.MATCH_ALL);
    }

    static List<Stored> read(LogStore store, long from, EntryPredicate predicate, Filter filter) {
        List<Stored> out = new ArrayList<>();
        try (Cursor c = store.openCursor(from, predicate, filter)) {
            while (!c.isExhausted()) {
                c.advance((seq, buf, off, len) -> {
                    out.add(new Stored(seq, LogEntryCodec.decodeValid(buf, off)));
                    return true;
                }, 997);
            }
        }
        return out;
    }

    /** The stored form of {@code entries}, numbered from {@code firstSequence}. */
    static List<Stored> numbered(long firstSequence, List<LogEntry> entries) {
        List<Stored> out = new ArrayList<>(entries.size());
        for (int k = 0; k < entries.size(); k++) {
            out.add(new Stored(firstSequence + k, entries.get(k)));
        }
        return out;
    }

    /** A condition that may throw (file checks). */
    interface Condition {
        boolean holds() throws IOException;
    }

    /**
     * Waits (at most 30 s, else fails) until {@code condition} holds: for what the store does on
     * its own background threads (column files, preallocation, retention's deletes), which a test
     * cannot join, so it polls.
     */
    static void await(Condition condition, String what) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        try {
            while (!condition.holds()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out waiting until " + what);
                }
                Thread.sleep(2);
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("while waiting until " + what, e);
        }
    }

    static List<Path> segmentFiles(Path dataDir) throws IOException {
        try (Stream<Path> s = Files.list(StoreFiles.segmentsDir(dataDir))) {
            return s.filter(p -> p.getFileName().toString().endsWith(StoreFiles.SEGMENT_SUFFIX)).sorted().toList();
        }
    }

    static void copyDir(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Captures what a class logs, from {@code level} up, while open. */
    static final class LogCapture implements AutoCloseable {
        private final Logger logger;
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        LogCapture(Class<?> type) {
            logger = (Logger) LoggerFactory.getLogger(type);
            appender.start();
            logger.addAppender(appender);
        }

        List<String> messages(Level level) {
            List<String> out = new ArrayList<>();
            for (ILoggingEvent e : new ArrayList<>(appender.list)) {
                if (e.getLevel().isGreaterOrEqual(level)) {
                    out.add(e.getFormattedMessage());
                }
            }
            return out;
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
        }
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
