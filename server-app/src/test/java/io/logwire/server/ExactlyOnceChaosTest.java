package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.store.FsyncPolicy;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once under chaos: 1,000,000 entries uploaded with UPLOAD_ONCE through a proxy that
 * cuts connections at random points (before a request is whole, after it, before or during
 * the acknowledgement), retried with the same batch ids on new connections. Every entry must
 * be stored exactly once, at the sequence its (possibly repeated) acknowledgement names.
 */
class ExactlyOnceChaosTest {
    private static final int THREADS = 4;
    private static final int BATCHES = 1000;
    private static final int BATCH_SIZE = 1000;

    @TempDir
    Path dataDir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void everyEntryIsStoredExactlyOnceThroughACuttingProxy() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.plaintext(true).fsync(FsyncPolicy.BATCH));
        try (ChaosProxy proxy = new ChaosProxy(server.port(), 6 * 45_000, 60)) {
            ConcurrentHashMap<Long, Long> acked = new ConcurrentHashMap<>(); // batch -> firstSequence
            AtomicInteger next = new AtomicInteger();
            AtomicInteger duplicates = new AtomicInteger();
            List<Throwable> failures = new ArrayList<>();
            long[] reconnects = new long[THREADS];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int self = t;
                Thread th = new Thread(() -> {
                    try (RawOnceClient client = new RawOnceClient(proxy.port())) {
                        int batch;
                        while ((batch = next.getAndIncrement()) < BATCHES) {
                            ByteBuf entries = RawOnceClient.batch(batch, BATCH_SIZE);
                            Reply.UploadOnceOk ok = client.uploadOnce(BatchId.random(), entries, BATCH_SIZE, deadline);
                            entries.release();
                            assertThat(ok.stored()).isEqualTo(BATCH_SIZE);
                            if (ok.duplicate()) {
                                duplicates.incrementAndGet(); // stored, then the acknowledgement was cut
                            }
                            acked.put((long) batch, ok.firstSequence());
                        }
                        reconnects[self] = client.reconnects;
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            assertThat(failures).isEmpty();
            assertThat(acked).hasSize(BATCHES);
            long totalReconnects = 0;
            for (long r : reconnects) {
                totalReconnects += r;
            }
            assertThat(proxy.cuts.get()).as("the proxy did cut connections").isGreaterThan(BATCHES / 10);
            System.out.printf("chaos: %d batches of %d, %d connections cut, %d reconnects, %d retries answered "
                    + "as duplicates%n", BATCHES, BATCH_SIZE, proxy.cuts.get(), totalReconnects, duplicates.get());
            assertThat(duplicates.get()).as("some acknowledgements were cut after the batch was stored").isPositive();
            verifyExactlyOnce(server, acked);
        } finally {
            server.stop();
        }
    }

    /** Reads the whole store directly: each batch whole, once, at its acknowledged sequence; nothing else. */
    static void verifyExactlyOnce(LogwireServer server, java.util.Map<Long, Long> acked) throws Exception {
        long[] firstSeen = new long[BATCHES];
        int[] seen = new int[BATCHES];
        java.util.Arrays.fill(firstSeen, -1);
        long position = 0;
        long misplaced = 0;
        try (TestClient c = TestClient.connect(server.port(), (Path) null)) {
            c.send(new Request.Query(1, 0, ""));
            Reply r;
            while ((r = c.next()) instanceof Reply.Rows rows) {
                for (LogEntry e : LogEntryCodec.decodeBatch(rows.entries(), rows.count())) {
                    int b = (int) e.accessTime();
                    if (seen[b] == 0) {
                        firstSeen[b] = position;
                    }
                    if (e.port() != seen[b]) {
                        misplaced++;
                    }
                    seen[b]++;
                    position++;
                }
                rows.entries().release();
            }
            assertThat(r).isInstanceOf(Reply.ScanDone.class);
        }
        assertThat(misplaced).as("entries out of their batch order").isZero();
        long lost = 0;
        long duplicated = 0;
        for (int b = 0; b < BATCHES; b++) {
            lost += Math.max(0, BATCH_SIZE - seen[b]);
            duplicated += Math.max(0, seen[b] - BATCH_SIZE);
            assertThat(firstSeen[b]).as("batch %d at its acknowledged sequence", b).isEqualTo(acked.get((long) b));
        }
        assertThat(lost).as("lost entries").isZero();
        assertThat(duplicated).as("duplicated entries").isZero();
        assertThat(position).isEqualTo((long) BATCHES * BATCH_SIZE);
    }
}
