package io.logwire.client;

import io.logwire.client.support.Entries;
import io.logwire.client.support.TestServer;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.message.BatchId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QUERY_FROM paging, TAIL resumption across a server restart, and AGGREGATE against the real
 * server.
 */
class RealServerStreamsTest {
    @TempDir
    Path dir;

    @Test
    void pagingReadsEveryMatchOnceAndResumes() throws Exception {
        try (TestServer server = TestServer.start(TestServer.base(dir.resolve("s")));
             LogwireClient c = LogwireClient.connect(server.client().build())) {
            c.sync().uploadOnce(BatchId.random(), Entries.of("page-", 2_345, 5));
            List<Long> seqs = new ArrayList<>();
            QueryPager pager = new QueryPager(c, "", 0, 500);
            pager.forEachRemaining(r -> seqs.add(r.sequence()));
            assertThat(seqs).hasSize(2_345).isSorted().doesNotHaveDuplicates();
            assertThat(pager.pages()).isEqualTo(5);
            c.sync().uploadOnce(BatchId.random(), Entries.of("more-", 10, 6));
            List<SeqEntry> rest = new ArrayList<>();
            new QueryPager(c, "", pager.nextSequence(), 500).forEachRemaining(rest::add);
            assertThat(rest).hasSize(10);
            assertThat(rest.get(0).sequence()).isGreaterThan(seqs.get(seqs.size() - 1));
        }
    }

    @Test
    void aggregateGivesTypedRows() throws Exception {
        try (TestServer server = TestServer.start(TestServer.base(dir.resolve("s")));
             LogwireClient c = LogwireClient.connect(server.client().build())) {
            List<LogEntry> entries = Entries.of("agg-", 1_000, 9);
            c.sync().uploadOnce(BatchId.random(), entries);
            AggregateResult r = c.sync().aggregate("| count, max(port)");
            assertThat(((Number) r.get(0, "count")).longValue()).isEqualTo(1_000);
            long maxPort = entries.stream().mapToLong(LogEntry::port).max().orElseThrow();
            assertThat(((Number) r.get(0, "max(port)")).longValue()).isEqualTo(maxPort);
        }
    }

    @Test
    void aTailResumesAfterAServerRestartWithoutGapOrRepeat() throws Exception {
        Path data = dir.resolve("restart");
        TestServer server = TestServer.start(TestServer.base(data));
        int port = server.port();
        long from;
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            from = c.sync().uploadOnce(BatchId.random(), Entries.of("probe-", 1, 0)).firstSequence() + 1;
        }
        ClientConfig config = server.client().build();
        LinkedBlockingQueue<SeqEntry> got = new LinkedBlockingQueue<>();
        TailFollower follower = new TailFollower(config, "", from, Duration.ofMillis(50), Duration.ofMillis(500), null);
        Thread t = new Thread(() -> follower.run(got::add), "tail");
        t.start();
        try {
            try (LogwireClient c = LogwireClient.connect(config)) {
                c.sync().uploadOnce(BatchId.random(), Entries.of("before-", 500, 1));
            }
            waitFor(got, 500);
            server.close();
            server = TestServer.start(TestServer.base(data).port(port));
            try (LogwireClient c = LogwireClient.connect(server.client().build())) {
                c.sync().uploadOnce(BatchId.random(), Entries.of("after-", 500, 2));
            }
            waitFor(got, 1_000);
        } finally {
            follower.close();
            t.join(10_000);
            server.close();
        }
        List<Long> seqs = got.stream().map(SeqEntry::sequence).toList();
        assertThat(seqs).hasSize(1_000).isSorted().doesNotHaveDuplicates();
        assertThat(follower.reconnects()).isPositive();
    }

    private static void waitFor(LinkedBlockingQueue<SeqEntry> got, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(got).hasSizeGreaterThanOrEqualTo(n);
    }
}
