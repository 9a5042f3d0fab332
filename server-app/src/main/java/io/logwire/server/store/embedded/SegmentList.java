package io.logwire.server.store.embedded;

import io.logwire.server.store.StoreStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The store's segments in sequence order, the last one active, plus the sequence up to which
 * entries are committed (visible to cursors). Thread-safety: the array is copy-on-write behind
 * a volatile field, so readers take a consistent snapshot without locking; the writer adds
 * segments (roll) and retention removes them, both under a lock. The writer publishes a
 * segment's {@link SegmentState} before it publishes {@link #endSequence}, so every sequence
 * below the end a reader sees is in some segment's published state.
 */
final class SegmentList {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentList.class);

    private final Object lock = new Object();
    private volatile Segment[] segments;
    private volatile long endSequence;
    private final java.util.concurrent.CopyOnWriteArrayList<java.util.function.LongConsumer> endListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    SegmentList(List<Segment> recovered) {
        if (recovered.isEmpty()) {
            throw new IllegalArgumentException("a store has at least its active segment");
        }
        this.segments = recovered.toArray(Segment[]::new);
        this.endSequence = segments[segments.length - 1].writerEndSequence();
    }

    Segment[] snapshot() {
        return segments;
    }

    Segment active() {
        Segment[] s = segments;
        return s[s.length - 1];
    }

    /** Sequence after the last committed entry: what the next entry will get. */
    long endSequence() {
        return endSequence;
    }

    /** Writer: entries below {@code end} are now committed; tells the end listeners. */
    void publishEnd(long end) {
        endSequence = end;
        for (java.util.function.LongConsumer l : endListeners) {
            try {
                l.accept(end);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SegmentList.class).error("end listener failed", e);
            }
        }
    }

    /** Listeners told of each new end by {@link #publishEnd} (on the writer thread). */
    AutoCloseable subscribe(java.util.function.LongConsumer listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        endListeners.add(listener);
        return () -> endListeners.remove(listener);
    }

    /** Writer: a newly rolled active segment. */
    void add(Segment segment) {
        synchronized (lock) {
            Segment[] s = segments;
            Segment[] n = Arrays.copyOf(s, s.length + 1);
            n[s.length] = segment;
            segments = n;
        }
    }

    /** The segment whose range holds {@code sequence} (the last whose base is not above it), or null. */
    static Segment floor(Segment[] segs, long sequence) {
        int lo = 0;
        int hi = segs.length - 1;
        Segment found = null;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (segs[mid].baseSequence() <= sequence) {
                found = segs[mid];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * Removes the oldest sealed segments while the store is over {@code maxBytes} (0 = no
     * limit) or their last record is older than {@code maxAgeMillis} (0 = no limit) at
     * {@code nowMillis}. Never removes the active segment. Files are deleted; readers that
     * hold a segment keep reading it.
     *
     * @return the number of segments removed
     */
    int applyRetention(long maxBytes, long maxAgeMillis, long nowMillis) {
        if (maxBytes <= 0 && maxAgeMillis <= 0) {
            return 0;
        }
        List<Segment> removed = new ArrayList<>();
        synchronized (lock) {
            Segment[] segs = segments;
            long total = 0;
            for (Segment s : segs) {
                total += s.state().endOffset();
            }
            int k = 0;
            while (k < segs.length - 1) {
                Segment s = segs[k];
                if (!s.isSealed()) {
                    break;
                }
                SegmentState st = s.state();
                boolean overSize = maxBytes > 0 && total > maxBytes;
                boolean tooOld = maxAgeMillis > 0 && st.lastAppendMillis() >= 0
                        && nowMillis - st.lastAppendMillis() > maxAgeMillis;
                if (!overSize && !tooOld) {
                    break;
                }
                total -= st.endOffset();
                removed.add(s);
                k++;
            }
            if (k > 0) {
                segments = Arrays.copyOfRange(segs, k, segs.length);
            }
        }
        for (Segment s : removed) {
            SegmentState st = s.state();
            LOG.info("Retention: removing segment {} (sequences {} to {}, {} bytes, last written {})",
                    s.path().getFileName(), s.baseSequence(), s.endSequence() - 1, st.endOffset(),
                    Instant.ofEpochMilli(st.lastAppendMillis()));
            s.markRemoved();
            s.release();
        }
        return removed.size();
    }

    StoreStats stats() {
        Segment[] segs = segments;
        long entries = 0;
        long bytes = 0;
        long oldest = -1;
        long newest = -1;
        for (Segment s : segs) {
            SegmentState st = s.state();
            bytes += st.endOffset();
            if (st.entryCount() > 0) {
                if (oldest < 0) {
                    oldest = s.baseSequence();
                }
                entries += st.entryCount();
                newest = s.baseSequence() + st.entryCount() - 1;
            }
        }
        return new StoreStats(entries, segs.length, bytes, oldest, newest);
    }

    /** Store close: drops the store's reference on every segment (readers may still hold theirs). */
    void releaseAll() {
        Segment[] segs;
        synchronized (lock) {
            segs = segments;
            segments = new Segment[0];
        }
        for (Segment s : segs) {
            s.release();
        }
    }
}
