package io.logwire.server;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.store.AggregateOracle;
import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.clickhouse.ClickHouseConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QUERY_FROM, CANCEL, TAIL and AGGREGATE through a server on the ClickHouse dev cluster.
 * Skipped when the cluster is not running (scripts/clickhouse-dev-cluster.sh start).
 */
class ClickHouseV2StreamTest {
    @TempDir
    Path dir;
    private String database;
    private LogwireServer server;
    private final List<TestClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        ClickHouseTestCluster.assumeRunning();
        database = ClickHouseTestCluster.freshDatabase();
        ClickHouseConfig ch = ClickHouseTestCluster.config(database).build();
        server = TestServers.start(dir, b -> b.plaintext(true)
                .storeBackend(ServerConfig.StoreBackend.CLICKHOUSE).clickHouse(ch));
    }

    @AfterEach
    void stop() {
        clients.forEach(TestClient::close);
        if (server != null) {
            server.stop();
        }
        if (database != null) {
            ClickHouseTestCluster.drop(database);
        }
    }

    private TestClient client() throws Exception {
        TestClient c = TestClient.connect(server.port(), (Path) null);
        clients.add(c);
        return c;
    }

    @Test
    void tailQueryFromAndAggregateOnClickHouse() throws Exception {
        TestClient tail = client();
        // From sequence 0 of the fresh table, not "from now": nothing can slip in between the
        // request and the subscription, and the entries uploaded next still arrive live.
        tail.send(new Request.Tail(3, 0, "port>=500"));
        TestClient up = client();
        List<LogEntry> entries = V2StreamTest.data(21, 3000);
        V2StreamTest.upload(up, entries, 100);

        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).port() >= 500) {
                expected.add((long) i);
            }
        }
        // The tail: every match, in order, pushed by this server's inserts.
        List<Long> tailed = new ArrayList<>();
        while (tailed.size() < expected.size()) {
            Reply.SeqRows s = (Reply.SeqRows) tail.next();
            for (SeqEntry e : SeqEntryCodec.decodeBatch(s.rows(), s.count())) {
                tailed.add(e.sequence());
            }
        }
        assertThat(tailed).isEqualTo(expected);
        tail.send(new Request.Cancel(9, 3));
        assertThat(List.of(tail.next(), tail.next())).contains(new Reply.CancelOk(9));

        // QUERY_FROM pages.
        List<Long> paged = new ArrayList<>();
        long from = 0;
        int stream = 10;
        while (true) {
            up.send(new Request.QueryFrom(++stream, from, 200, "port>=500"));
            List<SeqEntry> rows = new ArrayList<>();
            Reply.SeqScanDone done = (Reply.SeqScanDone) V2StreamTest.readSeq(up, stream, rows);
            rows.forEach(r -> paged.add(r.sequence()));
            if (rows.size() < 200) {
                break;
            }
            assertThat(done.nextSequence()).isEqualTo(rows.get(199).sequence() + 1);
            from = done.nextSequence();
        }
        assertThat(paged).isEqualTo(expected);

        // AGGREGATE, pushed down (exact filter) and evaluated on the server (score filter).
        for (String q : new String[] {"port>=500 | count, sum(dataSent), avg(score), max(port) by username",
                "score<50 | count, min(score) by server top 2", "username=nobody | count, sum(port)"}) {
            up.send(new Request.Aggregate(++stream, q));
            Reply.AggregateOk ok = (Reply.AggregateOk) up.next();
            AggregateOracle.assertSame(q, AggregateResult.fromJson(ok.json()),
                    AggregateOracle.evaluate(AggregateQuery.parse(q), entries));
        }
    }
}
