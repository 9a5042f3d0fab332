package io.logwire.server;

import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.server.store.AggregateOracle;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.Aggregation;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.entry.SeqEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** QUERY_FROM, CANCEL, TAIL and AGGREGATE (PROTOCOL.md 6.3-6.5) against a real server. */
class V2StreamTest {
    @TempDir
    Path dataDir;
    LogwireServer server;
    final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(TestClient::close);
        if (server != null) {
            server.stop();
        }
    }

    void start(Consumer<ServerConfig.Builder> customize) throws Exception {
        server = TestServers.start(dataDir, customize);
    }

    TestClient connect(boolean autoRead) throws Exception {
        TestClient c = TestClient.connect(server.port(), server.tls().certificate(), autoRead);
        clients.add(c);
        return c;
    }

    static LogEntry entry(Random r, int i) {
        return new LogEntry("user" + r.nextInt(5), "10.0.0." + r.nextInt(4), r.nextInt(1000), 1_700_000_000L + i,
                r.nextInt(100_000), r.nextInt(100_000), r.nextInt(1000) / 8f, "srv" + r.nextInt(3));
    }

    /** Uploads {@code entries} in batches of {@code batch} on {@code c} and waits for every ack. */
    static void upload(TestClient c, List<LogEntry> entries, int batch) throws Exception {
        int stream = 1;
        int batches = 0;
        for (int i = 0; i < entries.size(); i += batch) {
            ByteBuf buf = Unpooled.buffer();
            List<LogEntry> part = entries.subList(i, Math.min(entries.size(), i + batch));
            LogEntryCodec.encodeAll(part, buf);
            c.send(new Request.Upload(stream++, part.size(), buf));
            batches++;
        }
        for (int i = 0; i < batches; i++) {
            assertThat(c.next()).isInstanceOf(Reply.UploadOk.class);
        }
    }

    static List<LogEntry> data(long seed, int n) {
        Random r = new Random(seed);
        List<LogEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(entry(r, i));
        }
        return out;
    }

    /** Reads SEQ_ROWS until the final frame of {@code stream}, adding rows to {@code rows}. */
    static Reply readSeq(TestClient c, int stream, List<SeqEntry> rows) throws Exception {
        while (true) {
            Reply r = c.next();
            if (r.streamId() != stream) {
                continue;
            }
            if (r instanceof Reply.SeqRows s) {
                rows.addAll(SeqEntryCodec.decodeBatch(s.rows(), s.count()));
                continue;
            }
            return r;
        }
    }

    @Test
    void queryFromPagesThroughExactlyTheMatches() throws Exception {
        start(b -> { });
        TestClient c = connect(true);
        List<LogEntry> entries = data(1, 5000);
        upload(c, entries, 250);
        EntryPredicate p = Filter.parse("port>=500").compile();
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (p.test(entries.get(i))) {
                expected.add((long) i);
            }
        }
        List<Long> got = new ArrayList<>();
        long from = 0;
        int stream = 100;
        while (true) {
            c.send(new Request.QueryFrom(++stream, from, 37, "port>=500"));
            List<SeqEntry> rows = new ArrayList<>();
            Reply.SeqScanDone done = (Reply.SeqScanDone) readSeq(c, stream, rows);
            assertThat(done.request()).isEqualTo(Opcode.QUERY_FROM);
            assertThat(done.totalRows()).isEqualTo(rows.size());
            for (SeqEntry row : rows) {
                got.add(row.sequence());
                assertThat(row.entry()).isEqualTo(entries.get((int) row.sequence()));
            }
            if (rows.size() == 37) {
                assertThat(done.nextSequence()).isEqualTo(rows.get(36).sequence() + 1);
            } else {
                assertThat(done.nextSequence()).isEqualTo(entries.size());
                break;
            }
            from = done.nextSequence();
        }
        assertThat(got).isEqualTo(expected);
        // Past the end: nothing, and nextSequence is the store's next sequence.
        c.send(new Request.QueryFrom(7, 1L << 40, 0, ""));
        Reply.SeqScanDone done = (Reply.SeqScanDone) readSeq(c, 7, new ArrayList<>());
        assertThat(done.totalRows()).isZero();
        assertThat(done.nextSequence()).isEqualTo(entries.size());
    }

    @Test
    void cancelEndsQueryAndQueryFromWithTotalsSoFarAndResumingLosesNothing() throws Exception {
        start(b -> { });
        TestClient loader = connect(true);
        List<LogEntry> entries = data(2, 200_000);
        upload(loader, entries, 5000);
        for (Opcode op : List.of(Opcode.QUERY, Opcode.SEARCH, Opcode.QUERY_FROM)) {
            TestClient c = connect(false);
            Request req = op == Opcode.QUERY ? new Request.Query(5, 0, "")
                    : op == Opcode.SEARCH ? new Request.Search(5, 0, "user")
                    : new Request.QueryFrom(5, 0, 0, "");
            c.send(req);
            Thread.sleep(300); // the scan fills the socket buffers and waits for the client
            c.send(new Request.Cancel(6, 5));
            c.channel().config().setAutoRead(true);
            long rows = 0;
            long lastSeq = -1;
            boolean cancelOk = false;
            Reply fin = null;
            while (fin == null || !cancelOk) {
                Reply r = c.next();
                if (r instanceof Reply.CancelOk ok) {
                    assertThat(ok.streamId()).isEqualTo(6);
                    cancelOk = true;
                } else if (r instanceof Reply.Rows rs) {
                    rows += rs.count();
                } else if (r instanceof Reply.SeqRows sr) {
                    List<SeqEntry> list = SeqEntryCodec.decodeBatch(sr.rows(), sr.count());
                    for (SeqEntry e : list) {
                        assertThat(e.sequence()).isEqualTo(lastSeq + 1);
                        lastSeq = e.sequence();
                    }
                    rows += sr.count();
                } else {
                    fin = r;
                }
            }
            assertThat(rows).isPositive().isLessThan(entries.size());
            if (op == Opcode.QUERY_FROM) {
                Reply.SeqScanDone done = (Reply.SeqScanDone) fin;
                assertThat(done.totalRows()).isEqualTo(rows);
                assertThat(done.nextSequence()).isEqualTo(lastSeq + 1);
                // Resuming delivers exactly the rest.
                c.send(new Request.QueryFrom(9, done.nextSequence(), 0, ""));
                List<SeqEntry> rest = new ArrayList<>();
                Reply.SeqScanDone d2 = (Reply.SeqScanDone) readSeq(c, 9, rest);
                assertThat(rows + rest.size()).isEqualTo(entries.size());
                assertThat(rest.get(0).sequence()).isEqualTo(lastSeq + 1);
                assertThat(d2.nextSequence()).isEqualTo(entries.size());
            } else {
                Reply.ScanDone done = (Reply.ScanDone) fin;
                assertThat(done.request()).isEqualTo(op);
                assertThat(done.totalRows()).isEqualTo(rows);
            }
        }
        // CANCEL of a stream that is not running is still CANCEL_OK.
        loader.send(new Request.Cancel(77, 12345));
        assertThat(loader.next()).isEqualTo(new Reply.CancelOk(77));
    }

    @Test
    void tailDeliversEveryEntryFromSeveralUploadersToTwoSubscribersInOrder() throws Exception {
        start(b -> b.tailBudget(1_000_000));
        TestClient t1 = connect(true);
        TestClient t2 = connect(true);
        t1.send(new Request.Tail(3, Request.Tail.FROM_NOW, ""));
        t2.send(new Request.Tail(4, 0, "")); // from 0 on an empty store: the same entries
        awaitSubscribers(2);
        int uploaders = 4;
        int each = 25_000;
        ExecutorService pool = Executors.newFixedThreadPool(uploaders);
        List<Future<?>> fs = new ArrayList<>();
        for (int u = 0; u < uploaders; u++) {
            TestClient up = connect(true);
            List<LogEntry> part = data(10 + u, each);
            fs.add(pool.submit(() -> {
                upload(up, part, 100);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        for (TestClient t : List.of(t1, t2)) {
            int stream = t == t1 ? 3 : 4;
            long expect = 0;
            while (expect < uploaders * each) {
                Reply r = t.next();
                Reply.SeqRows s = (Reply.SeqRows) r;
                assertThat(s.request()).isEqualTo(Opcode.TAIL);
                for (SeqEntry e : SeqEntryCodec.decodeBatch(s.rows(), s.count())) {
                    assertThat(e.sequence()).isEqualTo(expect++);
                }
            }
            t.send(new Request.Cancel(99, stream));
            List<Reply> rest = List.of(t.next(), t.next());
            assertThat(rest).contains(new Reply.CancelOk(99),
                    new Reply.SeqScanDone(Opcode.TAIL, stream, uploaders * each, uploaders * each));
        }
        awaitSubscribers(0);
    }

    @Test
    void slowTailIsEndedWithOverloadedAndResumesWithoutLoss() throws Exception {
        start(b -> b.tailBudget(2_000));
        TestClient slow = connect(false);
        slow.send(new Request.Tail(3, 0, ""));
        awaitSubscribers(1);
        TestClient up = connect(true);
        // Big entries, so the kernel's socket buffers cannot hide the slow reader.
        String pad = "x".repeat(400);
        List<LogEntry> entries = new ArrayList<>();
        for (LogEntry e : data(3, 100_000)) {
            entries.add(new LogEntry(e.username(), e.ip(), e.port(), e.accessTime(), e.dataSent(), e.dataReceived(),
                    e.score(), e.server() + pad));
        }
        upload(up, entries, 1000);
        awaitSubscribers(0); // ended by the budget while its client does not read
        slow.channel().config().setAutoRead(true);
        List<SeqEntry> got = new ArrayList<>();
        Reply fin = readSeq(slow, 3, got);
        assertThat(fin).isInstanceOf(Reply.Error.class);
        assertThat(((Reply.Error) fin).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i).sequence()).isEqualTo(i);
        }
        assertThat(got.size()).isLessThan(entries.size());
        // Resume from last + 1: the rest arrives, nothing lost, nothing repeated.
        TestClient again = connect(true);
        again.send(new Request.Tail(5, got.size(), ""));
        long expect = got.size();
        while (expect < entries.size()) {
            Reply.SeqRows s = (Reply.SeqRows) again.next();
            for (SeqEntry e : SeqEntryCodec.decodeBatch(s.rows(), s.count())) {
                assertThat(e.sequence()).isEqualTo(expect);
                assertThat(e.entry()).isEqualTo(entries.get((int) expect));
                expect++;
            }
        }
        assertThat(again.poll(200)).isNull();
    }

    @Test
    void theTailLimitPerConnectionHoldsAndACancelledTailFreesItsPlace() throws Exception {
        start(b -> b.maxTailsPerConnection(2));
        TestClient c = connect(true);
        c.send(new Request.Tail(1, Request.Tail.FROM_NOW, ""));
        c.send(new Request.Tail(2, Request.Tail.FROM_NOW, "port>10"));
        awaitSubscribers(2);
        c.send(new Request.Tail(3, Request.Tail.FROM_NOW, ""));
        Reply.Error e = (Reply.Error) c.next();
        assertThat(e.streamId()).isEqualTo(3);
        assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
        assertThat(e.message()).contains("this connection already runs 2 tails");
        TestClient other = connect(true); // another connection has its own places
        other.send(new Request.Tail(1, Request.Tail.FROM_NOW, ""));
        awaitSubscribers(3);
        c.send(new Request.Cancel(4, 1));
        Reply first = c.next();
        Reply second = c.next();
        assertThat(List.of(first, second)).anyMatch(r -> r instanceof Reply.CancelOk)
                .anyMatch(r -> r.streamId() == 1);
        awaitSubscribers(2);
        c.send(new Request.Tail(5, Request.Tail.FROM_NOW, ""));
        awaitSubscribers(3);
        assertThat(c.poll(200)).isNull(); // accepted: a live tail sends nothing until entries arrive
    }

    @Test
    void tailsEndWhenTheConnectionClosesAndTheTailLimitHolds() throws Exception {
        start(b -> b.maxTails(3));
        TestClient c = connect(true);
        c.send(new Request.Tail(1, Request.Tail.FROM_NOW, ""));
        c.send(new Request.Tail(2, 0, "port>10"));
        c.send(new Request.Tail(3, Request.Tail.FROM_NOW, "username=bob"));
        awaitSubscribers(3);
        TestClient other = connect(true);
        other.send(new Request.Tail(1, 0, ""));
        Reply r = other.next();
        assertThat(((Reply.Error) r).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
        c.close();
        awaitSubscribers(0);
        other.send(new Request.Tail(2, 0, "port>"));
        assertThat(((Reply.Error) other.next()).errorCode()).isEqualTo(ErrorCode.INVALID_QUERY);
        other.send(new Request.Tail(3, 0, ""));
        awaitSubscribers(1);
    }

    @Test
    void aggregatesMatchAStraightforwardEvaluator() throws Exception {
        start(b -> { });
        TestClient c = connect(true);
        List<LogEntry> entries = data(4, 20_000);
        upload(c, entries, 2000);
        String[] queries = {
                "| count",
                "username=nobody | count, sum(dataSent), avg(score), min(port), max(accessTime)",
                "port>500 | count, sum(dataSent), avg(score) by username",
                "| sum(dataReceived), min(score), max(score), count by username, server top 4",
                "score<50 | max(port), count by ip, port top 10",
                "| avg(dataSent), count by server, username",
        };
        int stream = 10;
        for (String q : queries) {
            c.send(new Request.Aggregate(++stream, q));
            Reply.AggregateOk ok = (Reply.AggregateOk) c.next();
            AggregateResult got = AggregateResult.fromJson(ok.json());
            AggregateOracle.assertSame(q, got, AggregateOracle.evaluate(AggregateQuery.parse(q), entries));
        }
        c.send(new Request.Aggregate(50, "| count by nosuchfield"));
        assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.INVALID_QUERY);
    }

    @Test
    void theVectorsAggregateCasesThroughTheServer() throws Exception {
        start(b -> { });
        TestClient c = connect(true);
        com.fasterxml.jackson.databind.JsonNode vectors;
        try (java.io.InputStream in = V2StreamTest.class.getResourceAsStream("/vectors-v2.json")) {
            vectors = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in).get("aggregates");
        }
        upload(c, ServerEndToEndTest.vectorEntries(), 100);
        int stream = 1;
        int checked = 0;
        for (com.fasterxml.jackson.databind.JsonNode k : vectors.get("cases")) {
            String q = k.get("query").asText();
            c.send(new Request.Aggregate(++stream, q));
            Reply r = c.next();
            assertThat(r).as(q).isInstanceOf(Reply.AggregateOk.class);
            AggregateOracle.assertSame(q, AggregateResult.fromJson(((Reply.AggregateOk) r).json()),
                    AggregateResult.fromJson(k.get("result").toString()));
            checked++;
        }
        for (com.fasterxml.jackson.databind.JsonNode k : vectors.get("invalid")) {
            c.send(new Request.Aggregate(++stream, k.get("query").asText()));
            Reply.Error e = (Reply.Error) c.next();
            assertThat(e.code()).as(k.get("query").asText()).isEqualTo(k.get("expectError").asInt());
            checked++;
        }
        assertThat(checked).isGreaterThan(20);
    }

    @Test
    void tooManyGroupsIsOverloaded() throws Exception {
        start(b -> b.maxGroups(100));
        TestClient c = connect(true);
        upload(c, data(5, 5000), 1000);
        c.send(new Request.Aggregate(1, "| count by port"));
        Reply.Error e = (Reply.Error) c.next();
        assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
        assertThat(e.message()).contains("100").contains("groups");
        c.send(new Request.Aggregate(2, "| count by server"));
        assertThat(c.next()).isInstanceOf(Reply.AggregateOk.class);
    }

    void awaitSubscribers(int n) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        double v = -1;
        while (System.nanoTime() < deadline) {
            v = server.stats().metrics().registry().get("logwire.tail.subscribers").gauge().value();
            if (v == n) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("tail subscribers: " + v + ", expected " + n);
    }
}
