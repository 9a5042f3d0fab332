package io.logwire.server.store.embedded;

import io.logwire.protocol.message.BatchId;
import io.logwire.server.store.BatchDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The batch ids of the UPLOAD_ONCE batches stored within the deduplication window, in the
 * order they were stored: id → digest, first sequence, count, append time. The durable copy
 * is each record's batch trailer ({@link RecordFormat}); {@link SegmentRecovery} rebuilds this
 * index from the retained segments at open.
 *
 * <p>Memory: about {@value #BYTES_PER_BATCH} bytes of heap per remembered batch (hash-table
 * slot, linked entry, key and value objects). Bounded twice: ids older than the window are
 * dropped (checked at every insertion), and beyond {@code maxBatches} the oldest are dropped
 * early (counted and logged, since a retry of such a batch would then be stored again).
 * Batches whose segment retention removed may stay remembered until the window passes.
 *
 * <p>Not thread-safe: used by recovery, then only by the writer thread.
 */
final class DedupIndex {
    private static final Logger LOG = LoggerFactory.getLogger(DedupIndex.class);
    /** Heap per remembered batch, measured-order estimate (see the class comment). */
    static final int BYTES_PER_BATCH = 160;

    /** What is remembered of one stored batch. */
    record Remembered(long digestHigh, long digestLow, long firstSequence, int count, long appendTime) {
        boolean sameDigest(BatchDigest d) {
            return d.high() == digestHigh && d.low() == digestLow;
        }
    }

    private final long windowMillis;
    private final int maxBatches;
    private final LinkedHashMap<BatchId, Remembered> byId = new LinkedHashMap<>();
    private long evictedEarly;

    DedupIndex(Duration window, int maxBatches) {
        this.windowMillis = window.toMillis();
        this.maxBatches = maxBatches;
    }

    Remembered get(BatchId id) {
        return byId.get(id);
    }

    /** Remembers a stored batch (append time {@code now}) and forgets what the window and the cap no longer cover. */
    void put(BatchId id, Remembered r, long now) {
        byId.put(id, r);
        evict(now);
    }

    /** Drops ids stored before {@code now - window}, and the oldest beyond the cap. */
    void evict(long now) {
        long oldest = now - windowMillis;
        Iterator<Map.Entry<BatchId, Remembered>> it = byId.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<BatchId, Remembered> e = it.next();
            if (e.getValue().appendTime() >= oldest && byId.size() <= maxBatches) {
                break;
            }
            if (e.getValue().appendTime() >= oldest) {
                evictedEarly++;
                if (evictedEarly == 1 || Long.bitCount(evictedEarly) == 1) {
                    LOG.warn("Deduplication index is full ({} batch ids): forgetting ids before the end of the "
                            + "window ({} so far); raise the cap or lower the window", maxBatches, evictedEarly);
                }
            }
            it.remove();
        }
    }

    int size() {
        return byId.size();
    }

    /** Ids forgotten before their window ended because of the cap. */
    long evictedEarly() {
        return evictedEarly;
    }
}
