package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static io.logwire.server.store.embedded.StoreTestSupport.Stored;
import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.encode;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static io.logwire.server.store.embedded.StoreTestSupport.numbered;
import static io.logwire.server.store.embedded.StoreTestSupport.readAll;
import static io.logwire.server.store.embedded.StoreTestSupport.segmentFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The writer: group commit, the bounded queue, and failed writes or forces. */
class GroupCommitTest {
    @TempDir
    Path dir;

    @Test
    void concurrentAppendsAllCompleteAndShareFsyncs() throws Exception {
        int threads = 4;
        int perThread = 250;
        int batchSize = 5;
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).segmentBytes(64 * 1024).build();
        Map<Long, List<LogEntry>> batchAt = new ConcurrentHashMap<>();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<CompletableFuture<List<Long>>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(CompletableFuture.supplyAsync(() -> {
                    await(start);
                    List<List<LogEntry>> mine = new ArrayList<>();
                    List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
                    for (int k = 0; k < perThread; k++) {
                        List<LogEntry> batch = entries((long) (id * perThread + k) * batchSize, batchSize);
                        mine.add(batch);
                        futures.add(store.append(encode(batch), batchSize)); // no waiting: a pipelining client
                    }
                    List<Long> firsts = new ArrayList<>();
                    for (int k = 0; k < perThread; k++) {
                        AppendResult r = futures.get(k).join();
                        assertThat(r.stored()).isEqualTo(batchSize);
                        batchAt.put(r.firstSequence(), mine.get(k));
                        firsts.add(r.firstSequence());
                    }
                    return firsts;
                }, runnable -> new Thread(runnable, "appender-" + id).start()));
            }
            List<Long> all = new ArrayList<>();
            for (CompletableFuture<List<Long>> f : done) {
                List<Long> firsts = f.get(60, TimeUnit.SECONDS);
                assertThat(firsts).isSorted(); // one connection's batches keep their order
                all.addAll(firsts);
            }
            Collections.sort(all);
            List<Long> expected = new ArrayList<>();
            for (long s = 0; s < (long) threads * perThread * batchSize; s += batchSize) {
                expected.add(s);
            }
            assertThat(all).isEqualTo(expected); // contiguous, no overlap, no gap

            int appends = threads * perThread;
            assertThat(store.fsyncCount()).isPositive().isLessThan(appends);
            assertThat(store.groupCommitCount()).isLessThan(appends);

            List<Stored> stored = readAll(store);
            assertThat(stored).hasSize(appends * batchSize);
            for (long first : expected) {
                assertThat(stored.subList((int) first, (int) first + batchSize))
                        .isEqualTo(numbered(first, batchAt.get(first)));
            }
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFullQueueFailsAppendsAtOnceAsOverloaded() throws Exception {
        FaultyFileChannel.Faults faults = new FaultyFileChannel.Faults();
        CountDownLatch gate = new CountDownLatch(1);
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).maxQueuedBytes(32 * 1024).build();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg, faults.factory())) {
            faults.forceGate = gate; // the disk stalls: the writer hangs in its first force
            List<CompletableFuture<AppendResult>> accepted = new ArrayList<>();
            CompletableFuture<AppendResult> refused = null;
            ByteBuf refusedBuf = null;
            long next = 0;
            for (int k = 0; k < 200 && refused == null; k++) {
                List<LogEntry> batch = entries(next, 60); // about 4 KiB
                ByteBuf buf = encode(batch);
                CompletableFuture<AppendResult> f = store.append(buf, batch.size());
                if (f.isCompletedExceptionally()) {
                    refused = f;
                    refusedBuf = buf;
                } else {
                    accepted.add(f);
                    next += batch.size();
                }
            }
            assertThat(refused).as("an append was refused").isNotNull();
            assertThat(accepted).hasSizeBetween(5, 10);
            assertThat(refusedBuf.refCnt()).isZero();
            CompletableFuture<AppendResult> failed = refused;
            assertThatThrownBy(failed::join).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("overloaded");
            assertThat(EmbeddedLogStore.isOverloaded(catchCause(failed))).isTrue();
            assertThat(store.overloadedCount()).isEqualTo(1);

            faults.forceGate = null;
            gate.countDown();
            for (int k = 0; k < accepted.size(); k++) {
                assertThat(accepted.get(k).get(30, TimeUnit.SECONDS)).isEqualTo(new AppendResult(60, 60L * k));
            }
            // Room again.
            assertThat(append(store, entries(next, 1)).firstSequence()).isEqualTo(next);
        }
    }

    private static Throwable catchCause(CompletableFuture<?> f) {
        try {
            f.join();
            throw new AssertionError("not failed");
        } catch (RuntimeException e) {
            return e.getCause();
        }
    }

    @Test
    void aFailedFsyncFailsTheBatchAndLeavesNoTrace() throws Exception {
        FaultyFileChannel.Faults faults = new FaultyFileChannel.Faults();
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).build();
        List<LogEntry> a = entries(0, 10);
        List<LogEntry> c = entries(10, 4);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg, faults.factory())) {
            append(store, a);
            long size = Files.size(segmentFiles(dir).get(0));

            faults.failForces.set(1);
            ByteBuf b = encode(entries(100, 7));
            assertThatThrownBy(() -> store.append(b, 7).join()).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("injected fsync failure");
            assertThat(b.refCnt()).isZero();
            assertThat(Files.size(segmentFiles(dir).get(0))).isEqualTo(size);
            assertThat(readAll(store)).isEqualTo(numbered(0, a));
            assertThat(store.nextSequence()).isEqualTo(10);

            assertThat(append(store, c).firstSequence()).isEqualTo(10); // the failed batch's numbers, reused
        }
        List<Stored> expected = new ArrayList<>(numbered(0, a));
        expected.addAll(numbered(10, c));
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            assertThat(readAll(store)).isEqualTo(expected);
        }
    }

    @Test
    void aTornWriteIsCutBack() throws Exception {
        FaultyFileChannel.Faults faults = new FaultyFileChannel.Faults();
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.NEVER).build();
        List<LogEntry> a = entries(0, 3);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg, faults.factory())) {
            append(store, a);
            faults.partialWriteBytes = 50;
            faults.failWrites.set(1);
            assertThatThrownBy(() -> append(store, entries(3, 20))).hasCauseInstanceOf(StoreException.class)
                    .hasMessageContaining("injected write failure");
            assertThat(Files.size(segmentFiles(dir).get(0))).isEqualTo(store.stats().bytesOnDisk());
            assertThat(append(store, entries(3, 2)).firstSequence()).isEqualTo(3);
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            List<Stored> expected = new ArrayList<>(numbered(0, a));
            expected.addAll(numbered(3, entries(3, 2)));
            assertThat(readAll(store)).isEqualTo(expected);
        }
    }

    @Test
    void aFailedTruncateRefusesWritesUntilRestart() throws Exception {
        FaultyFileChannel.Faults faults = new FaultyFileChannel.Faults();
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).build();
        List<LogEntry> a = entries(0, 5);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg, faults.factory())) {
            append(store, a);
            faults.failForces.set(1);
            faults.failTruncate = true;
            assertThatThrownBy(() -> append(store, entries(5, 5))).hasCauseInstanceOf(StoreException.class);
            ByteBuf later = encode(entries(5, 1));
            CompletableFuture<AppendResult> refused = store.append(later, 1);
            assertThat(refused).isCompletedExceptionally();
            assertThatThrownBy(refused::join).hasMessageContaining("restarted");
            assertThat(later.refCnt()).isZero();
            assertThat(readAll(store)).isEqualTo(numbered(0, a)); // never visible
            faults.failTruncate = false; // close retries the truncation
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(cfg)) {
            assertThat(readAll(store)).isEqualTo(numbered(0, a));
            assertThat(append(store, entries(5, 1)).firstSequence()).isEqualTo(5);
        }
    }
}
