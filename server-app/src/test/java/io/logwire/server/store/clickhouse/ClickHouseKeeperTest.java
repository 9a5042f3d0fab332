package io.logwire.server.store.clickhouse;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.Filter;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The keeper's one sequence on the ClickHouse dev cluster: what another server's insert in
 * flight holds back, what a lost session does, and where a new counter starts. Skipped when the
 * cluster is not running (scripts/clickhouse-dev-cluster.sh start).
 */
class ClickHouseKeeperTest {
    private String database;
    private TestingServer keeper;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        ClickHouseTestCluster.assumeRunning();
        database = ClickHouseTestCluster.freshDatabase();
        keeper = new TestingServer(true);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (database != null) {
            ClickHouseTestCluster.drop(database);
        }
        if (keeper != null) {
            keeper.close();
        }
    }

    private ClickHouseConfig config() {
        return ClickHouseTestCluster.config(database).keeper(keeper.getConnectString()).build();
    }

    private ClickHouseLogStore store(ClickHouseConfig config) {
        ClickHouseLogStore s = ClickHouseLogStore.open(config);
        open.add(s);
        return s;
    }

    /** A second "server" that only takes numbers, as a server whose insert is still running does. */
    private KeeperSequencer otherServer() {
        ClickHouseConfig c = config();
        KeeperSequencer s = KeeperSequencer.open(c.keeper(), c.keeperRoot(), Duration.ofSeconds(10),
                Duration.ofSeconds(2), () -> 0, end -> { });
        open.add(s);
        return s;
    }

    private static ByteBuf batch(int from, int n) {
        List<LogEntry> entries = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            entries.add(new LogEntry("user" + i, "10.0.0." + (i % 256), i % 1000, 1_700_000_000L + i, i, i, i / 8f,
                    "srv"));
        }
        ByteBuf buf = Unpooled.buffer();
        LogEntryCodec.encodeAll(entries, buf);
        return buf;
    }

    private static List<Long> sequences(ClickHouseLogStore store) {
        List<Long> out = new ArrayList<>();
        try (Cursor c = store.openCursor(0, Filter.MATCH_ALL.compile(), Filter.MATCH_ALL)) {
            while (!c.isExhausted()) {
                c.advance((sequence, buf, offset, length) -> out.add(sequence), 10_000);
            }
            assertThat(c.position()).as("an exhausted cursor stands at the stable point").isEqualTo(store.nextSequence());
        }
        return out;
    }

    /**
     * Inserts {@code rows} entries through {@code store} (UPLOAD_ONCE with {@code id}, or a plain
     * append if it is null) and, while ClickHouse is still writing them, deletes the insert's
     * in-flight mark as an expired session would (and its batch id claim with {@code dropClaim});
     * asserts the insert is then fenced: not acknowledged.
     */
    private void insertLosingItsMark(ClickHouseLogStore store, ClickHouseConfig config,
                                     io.logwire.protocol.message.BatchId id, int rows, boolean dropClaim) throws Exception {
        try (CuratorFramework zk = CuratorFrameworkFactory.newClient(keeper.getConnectString(), new RetryOneTime(100))) {
            zk.start();
            ByteBuf buf = batch(0, rows);
            CompletableFuture<?> f = id == null ? store.append(buf, rows)
                    : store.appendOnce(id, io.logwire.server.store.BatchDigest.of(buf, rows), buf, rows);
            String inflight = config.keeperRoot() + "/inflight";
            List<String> marks = List.of();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (marks.isEmpty() && System.nanoTime() < deadline) {
                marks = zk.getChildren().forPath(inflight);
            }
            assertThat(marks).hasSize(1);
            zk.delete().forPath(inflight + "/" + marks.get(0));
            if (dropClaim) {
                zk.delete().forPath(config.keeperRoot() + "/once/" + id);
            }
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(StoreException.class).hasMessageContaining("session was lost");
        }
    }

    private long rowsInClickHouse() {
        return Long.parseLong(ClickHouseTestCluster.query(ClickHouseTestCluster.urls().get(0),
                "SELECT count() FROM " + database + ".entries").strip());
    }

    private static List<Long> range(long from, long to) {
        return java.util.stream.LongStream.range(from, to).boxed().toList();
    }

    @Test
    void anInsertInFlightOnAnotherServerHoldsBackReadsAndAcknowledgements() throws Exception {
        ClickHouseLogStore store = store(config());
        assertThat(store.append(batch(0, 5), 5).get(10, TimeUnit.SECONDS).firstSequence()).isZero();
        KeeperSequencer other = otherServer();
        long held = other.allocate(10);
        assertThat(held).isEqualTo(5);

        CompletableFuture<AppendResult> f = store.append(batch(5, 20), 20);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (rowsInClickHouse() < 25 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(rowsInClickHouse()).as("the insert is in ClickHouse").isEqualTo(25);
        // Numbers 5..14 may still appear: nothing at or above them is read or acknowledged.
        Thread.sleep(300);
        assertThat(f).as("acknowledged only once the numbers below it are settled").isNotDone();
        assertThat(store.nextSequence()).isEqualTo(5);
        assertThat(sequences(store)).isEqualTo(range(0, 5));

        // The other server goes away (its session ends): its numbers will never appear.
        other.close();
        assertThat(f.get(10, TimeUnit.SECONDS).firstSequence()).isEqualTo(15);
        assertThat(store.nextSequence()).isEqualTo(35);
        List<Long> expected = new ArrayList<>(range(0, 5));
        expected.addAll(range(15, 35));
        assertThat(sequences(store)).isEqualTo(expected);
    }

    @Test
    void anInsertWhoseInFlightMarkWentAwayIsNotAcknowledgedAndItsRowsAreDeleted() throws Exception {
        ClickHouseConfig config = config();
        ClickHouseLogStore store = store(config);
        // As when the server's session expires during the insert: its mark vanishes. A big insert
        // gives the deletion time to happen while ClickHouse is still writing.
        insertLosingItsMark(store, config, null, 150_000, false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (rowsInClickHouse() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(rowsInClickHouse()).as("the fenced insert's rows are deleted").isZero();
        // The store goes on with new numbers.
        AppendResult r = store.append(batch(0, 3), 3).get(10, TimeUnit.SECONDS);
        assertThat(r.firstSequence()).isEqualTo(150_000);
    }

    @Test
    void aFencedUploadOnceBatchStaysClaimedUntilItsRowsAreGoneSoARetryElsewhereStoresIt() throws Exception {
        ClickHouseConfig config = config();
        ClickHouseLogStore a = store(config);
        ClickHouseLogStore b = store(config);
        io.logwire.protocol.message.BatchId id = io.logwire.protocol.message.BatchId.random();
        int rows = 150_000;
        // What an expired session does: its in-flight mark and its claim vanish.
        insertLosingItsMark(a, config, id, rows, true);
        // Retries on the other server: told to retry while the fenced rows exist, never "duplicate".
        io.logwire.server.store.OnceResult stored = null;
        int toldToRetry = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (stored == null && System.nanoTime() < deadline) {
            ByteBuf buf = batch(0, rows);
            try {
                stored = b.appendOnce(id, io.logwire.server.store.BatchDigest.of(buf, rows), buf, rows)
                        .get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).hasMessageContaining("being stored by another server");
                toldToRetry++;
                Thread.sleep(100);
            }
        }
        assertThat(stored).isNotNull();
        assertThat(stored.duplicate()).as("stored anew, not answered from rows about to vanish").isFalse();
        assertThat(toldToRetry).as("the fenced rows were there for a while").isPositive();
        String left = ClickHouseTestCluster.query(ClickHouseTestCluster.urls().get(0), "SELECT count() FROM " + database
                + ".entries WHERE batch LIKE 'o-" + id + "-%'").strip();
        assertThat(left).as("the batch exactly once").isEqualTo(Integer.toString(rows));
    }

    @Test
    void aFailedInsertIsRecordedInTheKeeperSoOtherServersSkipItsRowsAndDeleteThem() throws Exception {
        // Servers that never run their health tick within the test: nothing deletes rows behind its back.
        ClickHouseConfig idle = ClickHouseTestCluster.config(database).keeper(keeper.getConnectString())
                .healthInterval(Duration.ofHours(1)).build();
        ClickHouseLogStore a = ClickHouseLogStore.open(idle);
        io.logwire.protocol.message.BatchId id = io.logwire.protocol.message.BatchId.random();
        int rows = 150_000;
        String orphansPath = idle.keeperRoot() + "/orphans";
        insertLosingItsMark(a, idle, id, rows, false);
        try (CuratorFramework zk = CuratorFrameworkFactory.newClient(keeper.getConnectString(), new RetryOneTime(100))) {
            zk.start();
            a.close(); // the server that failed goes away before deleting anything
            assertThat(zk.getChildren().forPath(orphansPath)).as("the failed insert is on record").hasSize(1);
            assertThat(rowsInClickHouse()).as("its rows are there").isEqualTo(rows);

            // Another server skips those rows: the retry is stored anew, not answered "duplicate".
            ClickHouseLogStore b = store(idle);
            ByteBuf again = batch(0, rows);
            io.logwire.server.store.OnceResult r = b.appendOnce(id, io.logwire.server.store.BatchDigest.of(again, rows),
                    again, rows).get(30, TimeUnit.SECONDS);
            assertThat(r.duplicate()).isFalse();

            // And a server that does run its health tick deletes them, and the record.
            store(config());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((rowsInClickHouse() > rows || !zk.getChildren().forPath(orphansPath).isEmpty())
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(rowsInClickHouse()).as("only the retry's rows are left").isEqualTo(rows);
            assertThat(zk.getChildren().forPath(orphansPath)).isEmpty();
            ByteBuf third = batch(0, rows);
            io.logwire.server.store.OnceResult dup = b.appendOnce(id, io.logwire.server.store.BatchDigest.of(third, rows),
                    third, rows).get(30, TimeUnit.SECONDS);
            assertThat(dup.duplicate()).isTrue();
            assertThat(dup.firstSequence()).isEqualTo(r.firstSequence());
        }
    }

    @Test
    void whileTheKeeperIsDownUploadsFailAtOnceAndAfterwardsGoOnFromWhereTheyWere() throws Exception {
        ClickHouseLogStore store = store(config());
        assertThat(store.append(batch(0, 4), 4).get(10, TimeUnit.SECONDS).firstSequence()).isZero();
        keeper.stop();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.isAvailable() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(store.isAvailable()).as("unavailable (readiness) while the keeper is away").isFalse();
        CompletableFuture<AppendResult> refused = store.append(batch(4, 2), 2);
        assertThat(refused).as("failed at once, not after the client's retries").isCompletedExceptionally();
        assertThatThrownBy(refused::join).cause().isInstanceOf(StoreException.class).hasMessageContaining("unreachable");
        // Reads go on up to the last stable point.
        assertThat(sequences(store)).isEqualTo(range(0, 4));

        keeper.restart();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!store.isAvailable() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(store.isAvailable()).isTrue();
        assertThat(store.append(batch(4, 2), 2).get(10, TimeUnit.SECONDS).firstSequence()).isEqualTo(4);
    }

    @Test
    void twoServersGivenTheSameUploadOnceBatchAtTheSameMomentStoreItOnce() throws Exception {
        ClickHouseLogStore a = store(config());
        ClickHouseLogStore b = store(config());
        int batches = 30;
        int size = 5;
        List<io.logwire.protocol.message.BatchId> ids = new ArrayList<>();
        List<List<CompletableFuture<io.logwire.server.store.OnceResult>>> firstTries = new ArrayList<>();
        for (int k = 0; k < batches; k++) {
            io.logwire.protocol.message.BatchId id = io.logwire.protocol.message.BatchId.random();
            ids.add(id);
            List<CompletableFuture<io.logwire.server.store.OnceResult>> both = new ArrayList<>();
            for (ClickHouseLogStore s : List.of(a, b)) {
                ByteBuf buf = batch(k * size, size);
                both.add(s.appendOnce(id, io.logwire.server.store.BatchDigest.of(buf, size), buf, size));
            }
            firstTries.add(both);
        }
        int conflicts = 0;
        for (int k = 0; k < batches; k++) {
            long stored = -1;
            int fresh = 0;
            for (int side = 0; side < 2; side++) {
                io.logwire.server.store.OnceResult r;
                try {
                    r = firstTries.get(k).get(side).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    // The other server held the id's claim: a retry (as the client makes) gets the answer.
                    assertThat(e.getCause()).hasMessageContaining("being stored by another server");
                    conflicts++;
                    ClickHouseLogStore s = side == 0 ? a : b;
                    ByteBuf buf = batch(k * size, size);
                    r = s.appendOnce(ids.get(k), io.logwire.server.store.BatchDigest.of(buf, size), buf, size)
                            .get(30, TimeUnit.SECONDS);
                    assertThat(r.duplicate()).isTrue();
                }
                if (!r.duplicate()) {
                    fresh++;
                }
                assertThat(stored == -1 || stored == r.firstSequence()).as("both answers name the same entries")
                        .isTrue();
                stored = r.firstSequence();
            }
            assertThat(fresh).as("batch %d stored by exactly one server", k).isEqualTo(1);
            String rows = ClickHouseTestCluster.query(ClickHouseTestCluster.urls().get(0), "SELECT count() FROM "
                    + database + ".entries WHERE batch LIKE 'o-" + ids.get(k) + "-%'").strip();
            assertThat(rows).as("rows of batch %d", k).isEqualTo(Integer.toString(size));
        }
        assertThat(rowsInClickHouse()).isEqualTo((long) batches * size);
        // Both stores get every batch at once; here 26 of 30 collided. None would mean the race was not run.
        assertThat(conflicts).as("batches that met the other server's claim").isPositive();
    }

    @Test
    void releaseTellsWhetherTheMarkWasStillThere() throws Exception {
        KeeperSequencer s = otherServer();
        long first = s.allocate(3);
        assertThat(s.release(first)).isEqualTo(KeeperSequencer.Release.HELD);
        long second = s.allocate(4);
        assertThat(second).isEqualTo(first + 3);
        try (CuratorFramework zk = CuratorFrameworkFactory.newClient(keeper.getConnectString(), new RetryOneTime(100))) {
            zk.start();
            String inflight = config().keeperRoot() + "/inflight";
            for (String c : zk.getChildren().forPath(inflight)) {
                zk.delete().forPath(inflight + "/" + c);
            }
        }
        assertThat(s.release(second)).isEqualTo(KeeperSequencer.Release.LOST);
    }

    @Test
    void aNewCounterStartsAfterEveryRowAlreadyInTheTable() throws Exception {
        // Rows stored before the keeper was used, in node 1's own range.
        ClickHouseConfig ranged = ClickHouseTestCluster.config(database).nodeId(1).build();
        try (ClickHouseLogStore before = ClickHouseLogStore.open(ranged)) {
            assertThat(before.append(batch(0, 3), 3).get(10, TimeUnit.SECONDS).firstSequence())
                    .isEqualTo(1L << ClickHouseConfig.NODE_SHIFT);
        }
        ClickHouseLogStore store = store(config());
        assertThat(store.nextSequence()).isEqualTo((1L << ClickHouseConfig.NODE_SHIFT) + 3);
        assertThat(store.append(batch(3, 2), 2).get(10, TimeUnit.SECONDS).firstSequence())
                .isEqualTo((1L << ClickHouseConfig.NODE_SHIFT) + 3);
    }
}
