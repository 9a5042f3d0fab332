package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.clickhouse.ClickHouseConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two logwire servers sharing the two-shard ClickHouse dev cluster and one sequence in a keeper
 * (an in-process ZooKeeper): uploads to both reach tails on both in one sequence order, with no
 * gap and no repeat, and QUERY_FROM pages through the same order. Skipped when the cluster is
 * not running (scripts/clickhouse-dev-cluster.sh start).
 */
class ClickHouseKeeperTailTest {
    private static final int UPLOADERS = 4;
    private static final int BATCHES = 40;
    private static final int BATCH = 125;
    private static final int TOTAL = UPLOADERS * BATCHES * BATCH;

    @TempDir
    Path dir;
    private String database;
    private TestingServer keeper;
    private final List<LogwireServer> servers = new ArrayList<>();
    private final List<TestClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        ClickHouseTestCluster.assumeRunning();
        database = ClickHouseTestCluster.freshDatabase();
        keeper = new TestingServer(true);
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(TestClient::close);
        servers.forEach(LogwireServer::stop);
        if (database != null) {
            ClickHouseTestCluster.drop(database);
        }
        if (keeper != null) {
            keeper.close();
        }
    }

    private LogwireServer server(int n) throws Exception {
        // The same node id on purpose: with a keeper it plays no part in numbering.
        ClickHouseConfig ch = ClickHouseTestCluster.config(database).keeper(keeper.getConnectString()).build();
        LogwireServer s = TestServers.start(dir.resolve("node" + n), b -> b.plaintext(true)
                .storeBackend(ServerConfig.StoreBackend.CLICKHOUSE).clickHouse(ch));
        servers.add(s);
        return s;
    }

    private TestClient client(LogwireServer s) throws Exception {
        TestClient c = TestClient.connect(s.port(), (Path) null);
        clients.add(c);
        return c;
    }

    private static LogEntry entry(int uploader, int i) {
        return new LogEntry("u" + uploader + "-" + i, "10.0." + uploader + "." + (i % 256), i % 1000,
                1_700_000_000L + i, i, 2L * i, (i % 100) / 4f, "srv" + (i % 3));
    }

    @Test
    void tailsOnEveryServerSeeEveryServersEntriesInOneOrderWithoutGaps() throws Exception {
        LogwireServer a = server(0);
        LogwireServer b = server(1);
        // Two tails on each server, from sequence 0 of the fresh table; one of each pair filtered.
        TestClient[] tails = {client(a), client(a), client(b), client(b)};
        String[] filters = {"", "port>=500", "", "port>=500"};
        for (int t = 0; t < tails.length; t++) {
            tails[t].send(new Request.Tail(7, 0, filters[t]));
        }

        // Four uploaders, two per server, each with several batches in flight.
        Map<Long, String> bySequence = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(UPLOADERS);
        List<Future<?>> done = new ArrayList<>();
        for (int u = 0; u < UPLOADERS; u++) {
            TestClient c = client(u % 2 == 0 ? a : b);
            int uploader = u;
            done.add(pool.submit(() -> {
                Map<Integer, Integer> firstIndex = new HashMap<>();
                for (int k = 0; k < BATCHES; k++) {
                    List<LogEntry> part = new ArrayList<>();
                    for (int i = 0; i < BATCH; i++) {
                        part.add(entry(uploader, k * BATCH + i));
                    }
                    ByteBuf buf = Unpooled.buffer();
                    LogEntryCodec.encodeAll(part, buf);
                    c.send(new Request.Upload(k + 1, BATCH, buf));
                    firstIndex.put(k + 1, k * BATCH);
                }
                for (int k = 0; k < BATCHES; k++) {
                    Reply r = c.next();
                    assertThat(r).isInstanceOf(Reply.UploadOk.class);
                    Reply.UploadOk ok = (Reply.UploadOk) r;
                    int from = firstIndex.get(ok.streamId());
                    for (int i = 0; i < BATCH; i++) {
                        assertThat(bySequence.put(ok.firstSequence() + i, "u" + uploader + "-" + (from + i)))
                                .as("sequence %d given twice", ok.firstSequence() + i).isNull();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        // No insert failed, so the numbers are exactly 0..TOTAL-1, whichever server gave them.
        assertThat(bySequence).hasSize(TOTAL);
        assertThat(bySequence.keySet()).allMatch(s -> s >= 0 && s < TOTAL);

        for (int t = 0; t < tails.length; t++) {
            List<Long> expected = new ArrayList<>();
            for (long s = 0; s < TOTAL; s++) {
                String user = bySequence.get(s);
                int i = Integer.parseInt(user.substring(user.indexOf('-') + 1));
                if (filters[t].isEmpty() || i % 1000 >= 500) {
                    expected.add(s);
                }
            }
            List<Long> got = new ArrayList<>();
            while (got.size() < expected.size()) {
                Reply r = tails[t].next();
                assertThat(r).as("tail %d", t).isInstanceOf(Reply.SeqRows.class);
                Reply.SeqRows rows = (Reply.SeqRows) r;
                for (SeqEntry e : SeqEntryCodec.decodeBatch(rows.rows(), rows.count())) {
                    assertThat(e.entry().username()).as("entry at sequence %d", e.sequence())
                            .isEqualTo(bySequence.get(e.sequence()));
                    got.add(e.sequence());
                }
            }
            assertThat(got).as("tail %d (filter '%s'): every match, in order, once", t, filters[t]).isEqualTo(expected);
        }

        // QUERY_FROM on either server pages through the same order and ends at the shared next sequence.
        TestClient q = client(b);
        List<SeqEntry> rows = new ArrayList<>();
        q.send(new Request.QueryFrom(9, 0, 0, ""));
        Reply.SeqScanDone end = (Reply.SeqScanDone) V2StreamTest.readSeq(q, 9, rows);
        assertThat(rows).extracting(SeqEntry::sequence).containsExactlyElementsOf(
                java.util.stream.LongStream.range(0, TOTAL).boxed().toList());
        assertThat(end.nextSequence()).isEqualTo(TOTAL);

        // A restarted server goes on from the shared counter.
        servers.get(0).stop();
        TestClient a2 = client(server(2));
        ByteBuf buf = Unpooled.buffer();
        LogEntryCodec.encodeAll(List.of(entry(9, 0)), buf);
        a2.send(new Request.Upload(1, 1, buf));
        assertThat(((Reply.UploadOk) a2.next()).firstSequence()).isEqualTo(TOTAL);
    }
}
