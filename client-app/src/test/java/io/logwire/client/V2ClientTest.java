package io.logwire.client;

import io.logwire.client.support.Entries;
import io.logwire.client.support.FakeV2Server;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.SeqEntry;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The version-2 client logic against a scripted in-memory server ({@link FakeV2Server}). */
class V2ClientTest {
    private FakeV2Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static List<SeqEntry> all(LogwireClient c) {
        List<SeqEntry> out = new ArrayList<>();
        try (QueryPager p = new QueryPager(c, "", 0, 10_000)) {
            p.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void helloVersion2NegotiatesCompressionBothWays() {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().compression(CompressionCodec.LZ4).build())) {
            assertThat(c.protocolVersion()).isEqualTo(2);
            assertThat(c.serverHello().serverCodecs()).contains(CompressionCodec.LZ4, CompressionCodec.ZSTD);
            assertThat(c.requestCompression()).isEqualTo(CompressionCodec.LZ4);
            assertThat(server.helloCodecs).containsExactly(CompressionCodec.LZ4.bit());
            List<LogEntry> entries = Entries.of("zip-", 2_000, 3);
            c.sync().uploadOnce(BatchId.random(), entries);
            assertThat(server.compressedIn.get()).isPositive();
            // The fake compresses SEQ_ROWS with the codec we announced; they must decode to the same entries.
            List<SeqEntry> back = all(c);
            assertThat(back).extracting(SeqEntry::entry).containsExactlyElementsOf(entries);
        }
    }

    @Test
    void withoutCompressionNothingIsAnnouncedOrCompressed() {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            assertThat(c.requestCompression()).isNull();
            c.sync().uploadOnce(BatchId.random(), Entries.of("plain-", 2_000, 3));
            assertThat(server.compressedIn.get()).isZero();
            assertThat(server.helloCodecs).containsExactly(0);
        }
    }

    @Test
    void aCodecTheServerDoesNotAcceptIsNotUsedForRequests() {
        server = FakeV2Server.start(CompressionCodec.LZ4.bit());
        try (LogwireClient c = LogwireClient.connect(server.client().compression(CompressionCodec.ZSTD).build())) {
            assertThat(c.requestCompression()).isNull();
            c.sync().uploadOnce(BatchId.random(), Entries.of("z-", 2_000, 3));
            assertThat(server.compressedIn.get()).isZero();
        }
    }

    @Test
    void aVersion1ServerMakesTheClientReconnectWithVersion1() {
        server = FakeV2Server.version1();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            assertThat(c.protocolVersion()).isEqualTo(1);
            assertThat(server.connections.get()).isEqualTo(2);
            assertThat(c.sync().echo("still works")).isEqualTo("still works");
            assertThatThrownBy(() -> c.aggregate("| count")).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("version 1");
        }
    }

    @Test
    void theSameBatchIdIsStoredOnce() {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            BatchId id = BatchId.random();
            List<LogEntry> entries = Entries.of("once-", 10, 1);
            UploadOnceResult first = c.sync().uploadOnce(id, entries);
            UploadOnceResult again = c.sync().uploadOnce(id, entries);
            assertThat(first.duplicate()).isFalse();
            assertThat(again).isEqualTo(new UploadOnceResult(10, first.firstSequence(), true));
            assertThat(server.stored()).isEqualTo(10);
            assertThatThrownBy(() -> c.uploadOnce(BatchId.of(0, 0), entries))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void errorRetryBecomesARetryLaterExceptionWithItsHint() {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            server.overload.set(1);
            assertThatThrownBy(() -> c.sync().aggregate("| count"))
                    .isInstanceOfSatisfying(RetryLaterException.class, e -> {
                        assertThat(e.retryAfter()).isEqualTo(Duration.ofMillis(50));
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
                        assertThat(e.isRetriable()).isTrue();
                    });
        }
    }

    @Test
    void theResilientUploaderStoresEveryEntryExactlyOnceThroughLostAcksAndOverload() throws Exception {
        server = FakeV2Server.start();
        int batches = 200;
        int perBatch = 100;
        server.loseAcks.set(15);
        server.overload.set(10);
        List<CompletableFuture<UploadOnceResult>> results = new ArrayList<>();
        List<LogEntry> sent = new ArrayList<>();
        try (ResilientUploader up = new ResilientUploader(server.client().maxInFlight(8).build(), 50,
                Duration.ofMillis(5), Duration.ofMillis(100))) {
            for (int b = 0; b < batches; b++) {
                List<LogEntry> batch = Entries.of("b" + b + "-", perBatch, b);
                sent.addAll(batch);
                results.add(up.upload(batch));
            }
            for (CompletableFuture<UploadOnceResult> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS).stored()).isEqualTo(perBatch);
            }
            assertThat(up.retries()).isGreaterThanOrEqualTo(25);
            assertThat(up.duplicates()).isGreaterThanOrEqualTo(15);
        }
        assertThat(server.stored()).isEqualTo(batches * perBatch);
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            // The same multiset: nothing lost, nothing stored twice.
            assertThat(all(c)).extracting(SeqEntry::entry).containsExactlyInAnyOrderElementsOf(sent);
        }
    }

    @Test
    void theResilientUploaderGivesUpAfterItsRetries() {
        server = FakeV2Server.start();
        server.overload.set(100);
        try (ResilientUploader up = new ResilientUploader(server.client().build(), 2, Duration.ofMillis(1),
                Duration.ofMillis(5))) {
            assertThatThrownBy(() -> up.uploadSync(Entries.of("x", 1, 1))).isInstanceOf(RetryLaterException.class);
            assertThat(up.retries()).isEqualTo(2);
        }
        assertThat(server.stored()).isZero();
    }

    @Test
    void thePagerReadsEveryMatchInPagesAndTellsWhereToResume() {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            c.sync().uploadOnce(BatchId.random(), Entries.of("p-", 1_050, 7));
            List<Long> seqs = new ArrayList<>();
            QueryPager pager = new QueryPager(c, "", 0, 100);
            pager.forEachRemaining(r -> seqs.add(r.sequence()));
            assertThat(seqs).hasSize(1_050);
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(pager.pages()).isEqualTo(11);
            assertThat(pager.nextSequence()).isEqualTo(1_050);
            // Resuming from the middle continues after the last row taken.
            QueryPager part = new QueryPager(c, "", 0, 100);
            for (int i = 0; i < 150; i++) {
                part.next();
            }
            part.close();
            QueryPager rest = new QueryPager(c, "", part.nextSequence(), 100);
            List<Long> restSeqs = new ArrayList<>();
            rest.forEachRemaining(r -> restSeqs.add(r.sequence()));
            assertThat(restSeqs).hasSize(900).first().isEqualTo(150L);
        }
    }

    @Test
    void closingATailSendsCancel() throws Exception {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            c.sync().uploadOnce(BatchId.random(), Entries.of("t-", 5, 1));
            RowStream tail = c.tail("", 0);
            for (int i = 0; i < 5; i++) {
                assertThat(tail.nextRow().sequence()).isEqualTo(i);
            }
            tail.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.cancels.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(server.cancels.get()).isEqualTo(1);
            assertThat(c.sync().echo("ok")).isEqualTo("ok");
        }
    }

    @Test
    void theTailFollowerResumesAfterDisconnectsWithoutGapOrRepeat() throws Exception {
        server = FakeV2Server.start();
        LinkedBlockingQueue<SeqEntry> got = new LinkedBlockingQueue<>();
        List<Long> resumedFrom = new java.util.concurrent.CopyOnWriteArrayList<>();
        TailFollower follower = new TailFollower(server.client().build(), "", 0, Duration.ofMillis(10),
                Duration.ofMillis(50), (cause, wait, from) -> resumedFrom.add(from));
        Thread t = new Thread(() -> follower.run(got::add));
        t.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            for (int round = 0; round < 5; round++) {
                c.sync().uploadOnce(BatchId.random(), Entries.of("r" + round + "-", 100, round));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (got.size() < (round + 1) * 100 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                server.dropConnections(); // the tail's connection goes; ours too (only tails are dropped)
            }
        } finally {
            follower.close();
            t.join(10_000);
        }
        assertThat(t.isAlive()).isFalse();
        List<Long> seqs = got.stream().map(SeqEntry::sequence).toList();
        assertThat(seqs).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(seqs.get(i)).isEqualTo(i);
        }
        assertThat(resumedFrom).isNotEmpty();
        assertThat(follower.fromSequence()).isEqualTo(500);
    }

    @Test
    void aggregateResultsAreTypedRows() {
        server = FakeV2Server.start();
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            c.sync().uploadOnce(BatchId.random(), Entries.of("agg-", 30, 2));
            AggregateResult r = c.sync().aggregate("| count, max(port)");
            assertThat(r.columns()).containsExactly("count", "max(port)");
            assertThat(((Number) r.get(0, "count")).longValue()).isEqualTo(30);
            assertThatThrownBy(() -> c.sync().aggregate("| sum(username)"))
                    .isInstanceOfSatisfying(ServerErrorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_QUERY));
        }
    }
}
