package io.logwire.client;

import io.logwire.client.support.Entries;
import io.logwire.client.support.TestServer;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The library against a real server over TLS. */
class LogwireClientTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static ClientResources resources;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir.resolve("server"));
        resources = ClientResources.create(2);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (resources != null) {
            resources.close();
        }
    }

    private static LogwireClient connect() {
        return LogwireClient.connect(server.client().build(), resources);
    }

    @Test
    void helloTellsTheServerVersionAndFrameLimit() {
        try (LogwireClient c = connect()) {
            assertThat(c.serverHello().protocolVersion()).isEqualTo(2);
            assertThat(c.serverHello().maxFrameLength()).isEqualTo(16 * 1024 * 1024);
            assertThat(c.serverHello().serverName()).startsWith("logwire/");
            assertThat(c.tlsSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
        }
    }

    @Test
    void tenThousandPipelinedRequestsEachGetTheirOwnReply() throws Exception {
        try (LogwireClient c = connect()) {
            int n = 10_000;
            List<CompletableFuture<Integer>> doubles = new ArrayList<>(n);
            List<CompletableFuture<byte[]>> echoes = new ArrayList<>(n / 10);
            for (int i = 0; i < n; i++) {
                doubles.add(i % 2 == 0 ? c.doubleValue(i) : c.negate(i));
                if (i % 10 == 0) {
                    echoes.add(c.echo(("echo " + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
            for (int i = 0; i < n; i++) {
                assertThat(doubles.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(i % 2 == 0 ? 2 * i : -i);
            }
            for (int i = 0; i < echoes.size(); i++) {
                assertThat(new String(echoes.get(i).get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                        .isEqualTo("echo " + (i * 10));
            }
            assertThat(c.reservedStreamIds()).isEmpty();
        }
    }

    @Test
    void interleavedQueryRowsAndRepliesReachTheirOwnRequests() throws Exception {
        List<LogEntry> a = Entries.of("interleave-a-", 12_000, 1);
        List<LogEntry> b = Entries.of("interleave-b-", 9_000, 2);
        try (LogwireClient c = connect()) {
            upload(c, a, 5000);
            upload(c, b, 5000);
            // Two scans stream at once on one connection, with small requests in between: their
            // ROWS frames and the other replies interleave on the wire.
            List<LogEntry> joses = b.stream().filter(e -> e.username().equals("interleave-b-José")).toList();
            try (RowStream qa = c.search("interleave-a-", 0);
                 RowStream qb = c.query("username=interleave-b-José, port>=0", 0)) {
                List<CompletableFuture<Integer>> small = new ArrayList<>();
                List<LogEntry> gotA = new ArrayList<>();
                List<LogEntry> gotB = new ArrayList<>();
                int i = 0;
                boolean moreA = true;
                boolean moreB = true;
                while (moreA || moreB) {
                    for (int k = 0; k < 97 && (moreA = qa.hasNext()); k++) {
                        gotA.add(qa.next());
                    }
                    for (int k = 0; k < 53 && (moreB = qb.hasNext()); k++) {
                        gotB.add(qb.next());
                    }
                    small.add(c.doubleValue(i++));
                }
                assertThat(gotA).containsExactlyElementsOf(a);
                assertThat(gotB).containsExactlyElementsOf(joses);
                assertThat(qb.totalRows()).hasValue(joses.size());
                for (int k = 0; k < small.size(); k++) {
                    assertThat(small.get(k).get(10, TimeUnit.SECONDS)).isEqualTo(2 * k);
                }
            }
        }
    }

    @Test
    void aTimedOutRequestFailsAloneAndItsLateReplyIsDropped() throws Exception {
        try (LogwireClient c = connect()) {
            byte[] big = new byte[8 * 1024 * 1024];
            Arrays.fill(big, (byte) 'x');
            // 8 MiB through TLS both ways cannot come back within a millisecond.
            CompletableFuture<byte[]> slow = c.echo(big, Duration.ofMillis(1));
            List<CompletableFuture<byte[]>> others = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                others.add(c.echo(("other " + i).getBytes(StandardCharsets.UTF_8)));
            }
            assertThatThrownBy(() -> slow.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(RequestTimeoutException.class).hasMessageContaining("ECHO");
            for (int i = 0; i < others.size(); i++) {
                assertThat(new String(others.get(i).get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                        .isEqualTo("other " + i);
            }
            // The late 8 MiB reply arrives and is dropped; its stream id is then free again.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (c.reservedStreamIds().length > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(c.reservedStreamIds()).isEmpty();
            assertThat(c.sync().echo("still fine")).isEqualTo("still fine");
        }
    }

    @Test
    void errorRepliesBecomeTypedExceptionsAndTheConnectionLivesOn() {
        try (LogwireClient c = connect()) {
            assertThatThrownBy(() -> c.sync().doubleValue(Integer.MAX_VALUE))
                    .isInstanceOfSatisfying(ServerErrorException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERFLOW);
                        assertThat(e.code()).isEqualTo(6);
                        assertThat(e.isRetriable()).isFalse();
                    });
            assertThatThrownBy(() -> c.sync().negate(Integer.MIN_VALUE)).isInstanceOf(ServerErrorException.class);
            try (RowStream rows = c.query("nosuchfield=1", 0)) {
                assertThatThrownBy(rows::hasNext).isInstanceOfSatisfying(ServerErrorException.class,
                        e -> {
                            assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_QUERY);
                            assertThat(e.serverMessage()).contains("Field not found: nosuchfield");
                        });
            }
            assertThat(c.sync().negate(7)).isEqualTo(-7);
        }
    }

    @Test
    void uploadReturnsConsecutiveSequencesAndQueryReturnsTheEntriesExactly() {
        List<LogEntry> entries = Entries.of("roundtrip-", 500, 3);
        try (LogwireClient c = connect()) {
            UploadResult first = c.sync().upload(entries.subList(0, 200));
            UploadResult second = c.sync().upload(entries.subList(200, 500));
            assertThat(first.stored()).isEqualTo(200);
            assertThat(second.firstSequence()).isEqualTo(first.lastSequence() + 1);
            List<LogEntry> back = new ArrayList<>();
            try (RowStream rows = c.search("roundtrip-", 0)) {
                rows.forEachRemaining(back::add);
            }
            assertThat(back).containsExactlyElementsOf(entries);
            try (RowStream rows = c.query("username=roundtrip-明", 3)) {
                assertThat(rows.stream().toList()).hasSize(3).allMatch(e -> e.username().equals("roundtrip-明"));
            }
        }
    }

    @Test
    void encodedBatchesAreStoredAsTheyAreAndMalformedOnesAreRefusedLocally() throws Exception {
        List<LogEntry> entries = Entries.of("encoded-", 300, 5);
        ByteBuf buf = Unpooled.buffer();
        entries.forEach(e -> LogEntryCodec.encode(e, buf));
        try (LogwireClient c = connect()) {
            assertThat(c.uploadEncoded(buf, entries.size()).get(10, TimeUnit.SECONDS).stored()).isEqualTo(300);
            assertThat(buf.refCnt()).isZero();
            List<LogEntry> back = new ArrayList<>();
            try (RowStream rows = c.search("encoded-", 0)) {
                rows.forEachRemaining(back::add);
            }
            assertThat(back).containsExactlyElementsOf(entries);

            ByteBuf wrongCount = Unpooled.buffer();
            entries.subList(0, 2).forEach(e -> LogEntryCodec.encode(e, wrongCount));
            assertThatThrownBy(() -> c.uploadEncoded(wrongCount, 3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed batch");
            assertThat(wrongCount.refCnt()).isZero();
            ByteBuf truncated = Unpooled.buffer();
            LogEntryCodec.encode(entries.get(0), truncated);
            truncated.writerIndex(truncated.writerIndex() - 1);
            assertThatThrownBy(() -> c.uploadEncoded(truncated, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(truncated.refCnt()).isZero();
            // Nothing of the refused batches reached the server; the connection is fine.
            try (RowStream rows = c.search("encoded-", 0)) {
                assertThat(rows.stream().count()).isEqualTo(300);
            }
        }
    }

    @Test
    void aStreamClosedEarlyDiscardsTheRestAndTheConnectionStaysUsable() throws Exception {
        List<LogEntry> entries = Entries.of("early-close-", 20_000, 4);
        try (LogwireClient c = connect()) {
            upload(c, entries, 10_000);
            RowStream rows = c.search("early-close-", 0);
            for (int i = 0; i < 10; i++) {
                rows.next();
            }
            rows.close();
            assertThat(rows.hasNext()).isFalse();
            assertThat(c.sync().echo("after")).isEqualTo("after");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (c.reservedStreamIds().length > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(c.reservedStreamIds()).isEmpty();
        }
    }

    @Test
    void aLargeQueryIsConsumedWithBoundedBuffering() throws Exception {
        int n = 60_000;
        int maxBuffered = 1_000;
        List<LogEntry> entries = Entries.of("bounded-", n, 5);
        ClientConfig config = server.client().maxBufferedRows(maxBuffered).build();
        try (LogwireClient c = LogwireClient.connect(config, resources)) {
            upload(c, entries, 10_000);
            entries = null; // only the count matters from here on
            long count = 0;
            try (RowStream rows = c.search("bounded-", 0)) {
                assertThat(rows.hasNext()).isTrue();
                // A consumer that stalls: without backpressure the whole result would pile up here.
                Thread.sleep(1000);
                int stalled = rows.bufferedRows();
                while (rows.hasNext()) {
                    rows.next();
                    count++;
                }
                assertThat(count).isEqualTo(n);
                // One read may deliver a few more frames (about 1,000 rows each) after reading stops.
                assertThat(stalled).isLessThanOrEqualTo(maxBuffered + 8_000);
                assertThat(rows.peakBufferedRows()).isLessThanOrEqualTo(maxBuffered + 8_000);
            }
        }
    }

    @Test
    void requestsFromManyThreadsShareTheWindow() throws Exception {
        ClientConfig config = server.client().maxInFlight(4).build();
        try (LogwireClient c = LogwireClient.connect(config, resources)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 8; t++) {
                int base = t * 1000;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 500; i++) {
                            assertThat(c.sync().doubleValue(base + i)).isEqualTo(2 * (base + i));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertThat(errors).isEmpty();
        }
    }

    @Test
    void callbacksOnTheEventLoopMaySendMoreRequestsWithoutDeadlock() throws Exception {
        ClientConfig config = server.client().maxInFlight(2).build();
        try (LogwireClient c = LogwireClient.connect(config, resources)) {
            // Chained sends from completion callbacks run on the event loop: they queue instead of blocking.
            CompletableFuture<Integer> chain = c.doubleValue(1);
            for (int i = 0; i < 50; i++) {
                chain = chain.thenCompose(v -> c.doubleValue(1).thenCombine(c.negate(v), (a, b) -> -b));
            }
            assertThat(chain.get(20, TimeUnit.SECONDS)).isEqualTo(2);
        }
    }

    @Test
    void closingTheClientFailsWhatIsStillWaiting() {
        LogwireClient c = connect();
        c.close();
        assertThat(c.isOpen()).isFalse();
        assertThatThrownBy(() -> c.sync().echo("x")).isInstanceOf(ConnectionException.class);
    }

    static void upload(LogwireClient c, List<LogEntry> entries, int batch) throws Exception {
        List<CompletableFuture<UploadResult>> fs = new ArrayList<>();
        for (int i = 0; i < entries.size(); i += batch) {
            fs.add(c.upload(entries.subList(i, Math.min(entries.size(), i + batch))));
        }
        for (CompletableFuture<UploadResult> f : fs) {
            f.get(60, TimeUnit.SECONDS);
        }
    }
}
