package io.logwire.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.clickhouse.ClickHouseConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several logwire servers on the two-shard ClickHouse dev cluster, over the real protocol:
 * shared data with disjoint numbering, and a shard that goes away in the middle of uploads.
 * Skipped when the cluster is not running (scripts/clickhouse-dev-cluster.sh start).
 */
class ClickHouseScaleOutTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private String database;
    private final List<LogwireServer> servers = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();

    @BeforeEach
    void cluster() {
        ClickHouseTestCluster.assumeRunning();
        database = ClickHouseTestCluster.freshDatabase();
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(TestClient::close);
        servers.forEach(LogwireServer::stop);
        if (database != null) {
            if (!ClickHouseTestCluster.ping(ClickHouseTestCluster.urls().get(1))) {
                ClickHouseTestCluster.script("start-shard", "2");
            }
            ClickHouseTestCluster.drop(database);
        }
    }

    private LogwireServer server(int nodeId) throws Exception {
        ClickHouseConfig ch = ClickHouseTestCluster.config(database).nodeId(nodeId).build();
        LogwireServer s = TestServers.start(dir.resolve("node" + nodeId + "-" + servers.size()), b -> b.plaintext(true)
                .storeBackend(ServerConfig.StoreBackend.CLICKHOUSE).clickHouse(ch));
        servers.add(s);
        return s;
    }

    private TestClient client(LogwireServer s) throws Exception {
        TestClient c = TestClient.connect(s.port(), (Path) null);
        clients.add(c);
        return c;
    }

    private static List<LogEntry> batch(String prefix, int n) {
        List<LogEntry> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            out.add(new LogEntry(prefix + "-" + k, "10.1.2." + (k % 256), 443, 1_700_000_000L + k, k, 2L * k,
                    k / 10f, "web-" + (k % 3)));
        }
        return out;
    }

    private static Reply upload(TestClient c, int stream, List<LogEntry> entries) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        LogEntryCodec.encodeAll(entries, buf);
        c.send(new Request.Upload(stream, entries.size(), buf));
        return c.next();
    }

    private static List<LogEntry> queryAll(TestClient c, int stream) throws Exception {
        return ServerEndToEndTest.query(c, stream, new Request.Query(stream, 0, ""));
    }

    private long localRows(int shard) {
        URI u = ClickHouseTestCluster.urls().get(shard);
        return Long.parseLong(ClickHouseTestCluster.query(u, "SELECT count() FROM " + database + ".entries_local").strip());
    }

    @Test
    void twoServersSeeEachOthersDataWithDisjointSequencesOnBothShards() throws Exception {
        TestClient a = client(server(0));
        TestClient b = client(server(1));
        List<long[]> ranges = new ArrayList<>();
        Map<String, Integer> expected = new HashMap<>();
        for (int k = 0; k < 20; k++) {
            TestClient c = k % 2 == 0 ? a : b;
            String prefix = (k % 2 == 0 ? "a" : "b") + k;
            List<LogEntry> entries = batch(prefix, 50);
            Reply r = upload(c, k + 1, entries);
            assertThat(r).isInstanceOf(Reply.UploadOk.class);
            long first = ((Reply.UploadOk) r).firstSequence();
            long owner = first >>> ClickHouseConfig.NODE_SHIFT;
            assertThat(owner).as("batch %d numbered by its node", k).isEqualTo(k % 2);
            ranges.add(new long[] {first, first + 50});
            entries.forEach(e -> expected.merge(e.username(), 1, Integer::sum));
        }
        ranges.sort((x, y) -> Long.compare(x[0], y[0]));
        for (int k = 1; k < ranges.size(); k++) {
            assertThat(ranges.get(k)[0]).as("no sequence collides").isGreaterThanOrEqualTo(ranges.get(k - 1)[1]);
        }
        // Node 0 numbers contiguously from 0, node 1 from 2^40.
        assertThat(ranges.get(0)[0]).isZero();
        assertThat(ranges.get(10)[0]).isEqualTo(1L << ClickHouseConfig.NODE_SHIFT);

        List<LogEntry> viaA = queryAll(a, 100);
        List<LogEntry> viaB = queryAll(b, 100);
        assertThat(viaA).hasSize(1000).isEqualTo(viaB);
        Map<String, Integer> seen = new HashMap<>();
        viaA.forEach(e -> seen.merge(e.username(), 1, Integer::sum));
        assertThat(seen).isEqualTo(expected);
        assertThat(ServerEndToEndTest.query(b, 101, new Request.Query(101, 0, "username=a0-7"))).hasSize(1);
        assertThat(ServerEndToEndTest.query(a, 102, new Request.Search(102, 0, "B19-4"))).hasSize(11);

        long shard1 = localRows(0);
        long shard2 = localRows(1);
        assertThat(shard1).as("shard 1 holds rows").isPositive();
        assertThat(shard2).as("shard 2 holds rows").isPositive();
        assertThat(shard1 + shard2).isEqualTo(1000);

        a.send(new Request.Stats(103));
        JsonNode stats = JSON.readTree(((Reply.StatsOk) a.next()).json());
        assertThat(stats.at("/store/backend").asText()).isEqualTo("clickhouse");
        assertThat(stats.at("/store/rowsInserted").asLong()).isEqualTo(500);
        assertThat(stats.at("/store/insertErrors").asLong()).isZero();

        // A restarted node 1 goes on after its own last number.
        servers.get(1).stop();
        TestClient b2 = client(server(1));
        Reply r = upload(b2, 1, batch("b-again", 5));
        assertThat(((Reply.UploadOk) r).firstSequence()).isEqualTo((1L << ClickHouseConfig.NODE_SHIFT) + 500);
    }

    @Test
    void aShardStoppedMidUploadFailsBatchesCleanlyAndLosesNothingAcknowledged() throws Exception {
        TestClient c = client(server(0));
        Map<String, Long> acked = new HashMap<>();
        List<String> failed = new ArrayList<>();
        int[] batchNo = {0};
        int window = 8; // uploads in flight at once
        uploadWindows(c, 5, window, batchNo, acked, failed);
        // Stop shard 2 WHILE uploads go on: some inserts are inside it when it goes.
        Process stop = ClickHouseTestCluster.scriptAsync("stop-shard", "2");
        while (stop.isAlive()) {
            uploadWindows(c, 1, window, batchNo, acked, failed);
        }
        assertThat(stop.waitFor()).isZero();
        assertThat(ClickHouseTestCluster.ping(ClickHouseTestCluster.urls().get(1))).isFalse();
        // Reads need every shard: a clear STORAGE_ERROR, and the connection goes on.
        c.send(new Request.Query(999_999, 0, ""));
        Reply q = c.next();
        assertThat(q).isInstanceOf(Reply.Error.class);
        assertThat(ErrorCode.fromCode(((Reply.Error) q).code())).isEqualTo(ErrorCode.STORAGE_ERROR);
        int before = acked.size();
        uploadWindows(c, 5, window, batchNo, acked, failed);
        // With one shard down the other takes the batches.
        assertThat(acked.size()).as("batches acknowledged while shard 2 is down").isGreaterThan(before);
        Process start = ClickHouseTestCluster.scriptAsync("start-shard", "2");
        while (start.isAlive()) {
            uploadWindows(c, 1, window, batchNo, acked, failed);
        }
        assertThat(start.waitFor()).isZero();
        uploadWindows(c, 5, window, batchNo, acked, failed);

        List<LogEntry> all = queryAll(c, 1_000_000);
        Map<String, Integer> perBatch = perBatch(all);
        int visibleFailed = (int) failed.stream().filter(perBatch::containsKey).count();
        // A batch whose insert outcome could not be told may have been stored after all; once its shard is
        // back the store deletes its rows (a mutation, applied in the background).
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (failed.stream().anyMatch(perBatch::containsKey) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            all = queryAll(c, 1_000_001);
            perBatch = perBatch(all);
        }
        for (String p : acked.keySet()) {
            assertThat(perBatch.get(p)).as("acknowledged batch %s exactly once", p).isEqualTo(40);
        }
        for (String p : failed) {
            assertThat(perBatch.getOrDefault(p, 0)).as("failed batch %s left nothing", p).isZero();
        }
        assertThat(perBatch.keySet()).allMatch(acked::containsKey);
        System.out.printf("shard stopped mid-upload: %d batches acknowledged, %d failed (%d of those visible at the "
                + "first read after the restart, then deleted)%n", acked.size(), failed.size(), visibleFailed);
        List<Long> firsts = acked.values().stream().sorted().toList();
        for (int k = 1; k < firsts.size(); k++) {
            assertThat(firsts.get(k)).as("no sequence reused").isGreaterThanOrEqualTo(firsts.get(k - 1) + 40);
        }
        assertThat(localRows(0)).isPositive();
        assertThat(localRows(1)).isPositive();
        assertThat(localRows(0) + localRows(1)).isEqualTo(all.size());
    }

    private static Map<String, Integer> perBatch(List<LogEntry> all) {
        Map<String, Integer> perBatch = new HashMap<>();
        for (LogEntry e : all) {
            perBatch.merge(e.username().substring(0, e.username().indexOf('-')), 1, Integer::sum);
        }
        return perBatch;
    }

    /** Sends {@code rounds} windows of {@code window} uploads of 40 entries, each window then its replies. */
    private static void uploadWindows(TestClient c, int rounds, int window, int[] batchNo, Map<String, Long> acked,
                                      List<String> failed) throws Exception {
        for (int round = 0; round < rounds; round++) {
            Map<Integer, String> sent = new HashMap<>();
            for (int k = 0; k < window; k++) {
                int n = batchNo[0]++;
                String prefix = "b" + n;
                ByteBuf buf = Unpooled.buffer();
                LogEntryCodec.encodeAll(batch(prefix, 40), buf);
                c.send(new Request.Upload(n % 1_000_000 + 1, 40, buf));
                sent.put(n % 1_000_000 + 1, prefix);
            }
            for (int k = 0; k < window; k++) {
                Reply r = c.next();
                String prefix = sent.get(r.streamId());
                if (r instanceof Reply.UploadOk ok) {
                    acked.put(prefix, ok.firstSequence());
                } else {
                    Reply.Error e = (Reply.Error) r;
                    assertThat(ErrorCode.fromCode(e.code())).as(e.message()).isEqualTo(ErrorCode.STORAGE_ERROR);
                    failed.add(prefix);
                }
            }
        }
    }
}
