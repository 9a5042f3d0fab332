package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.limits.Limits;
import io.logwire.server.store.FsyncPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each abuse limit (docs/security.md) provoked against a real TLS server, with the error the
 * spec gives it, while a normal client on another connection keeps being served.
 */
class AbuseLimitsTest {
    @TempDir
    Path dataDir;

    @Test
    void connectionsOverThePerAddressLimitGetOverloadedAndAreClosed() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.maxConnectionsPerAddress(2));
        Path cert = server.tls().certificate();
        try (TestClient a = TestClient.connect(server.port(), cert);
             TestClient b = TestClient.connect(server.port(), cert);
             TestClient c = TestClient.connect(server.port(), cert)) {
            Reply.Error e = (Reply.Error) c.next();
            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(e.streamId()).isZero();
            assertThat(e.message()).contains("per client address");
            assertThat(c.awaitClosed(5000)).isTrue();
            assertDoubles(a, 1);
            assertDoubles(b, 2);
            assertThat(server.stats().metrics().scrape())
                    .contains("logwire_limits_rejected_total{limit=\"connections_per_address\"} 1.0");
            b.close();
            waitUntil(() -> server.limits().connectionsFrom(java.net.InetAddress.getLoopbackAddress()) == 1);
            try (TestClient d = TestClient.connect(server.port(), cert)) {
                assertDoubles(d, 3); // a closed connection frees its place
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void requestsOverTheRateGetOverloadedOnTheirStreamAndOthersAreServed() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.maxRequestRate(10));
        Path cert = server.tls().certificate();
        try (TestClient flood = TestClient.connect(server.port(), cert);
             TestClient normal = TestClient.connect(server.port(), cert)) {
            int n = 100;
            for (int i = 1; i <= n; i++) {
                flood.send(new Request.DoubleValue(i, i));
            }
            int ok = 0;
            int overloaded = 0;
            for (int i = 0; i < n; i++) {
                Reply r = flood.next();
                if (r instanceof Reply.DoubleOk d) {
                    assertThat(d.value()).isEqualTo(2 * d.streamId());
                    ok++;
                } else {
                    Reply.Error e = (Reply.Error) r;
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
                    assertThat(e.streamId()).isBetween(1, n);
                    assertThat(e.message()).contains("request rate");
                    overloaded++;
                }
            }
            // A burst of 10, plus whatever refilled (10/s) while the 100 requests arrived.
            assertThat(ok).isBetween(10, 40);
            assertThat(overloaded).isEqualTo(n - ok);
            assertThat(flood.isOpen()).isTrue();
            assertDoubles(normal, 5);
            assertThat(server.limits().rejections(Limits.Kind.REQUEST_RATE)).isEqualTo(overloaded);
            Thread.sleep(300); // the bucket refills: the flooding connection is served again
            assertDoubles(flood, 1000);
        } finally {
            server.stop();
        }
    }

    @Test
    void aConnectionOverItsByteRateIsSlowedNotFailed() throws Exception {
        long rate = 256 * 1024;
        LogwireServer server = TestServers.start(dataDir, b -> b.maxByteRate(rate));
        Path cert = server.tls().certificate();
        try (TestClient fast = TestClient.connect(server.port(), cert);
             TestClient normal = TestClient.connect(server.port(), cert)) {
            int frames = 48;
            byte[] payload = new byte[32 * 1024]; // 1.5 MiB in all: 6 s at exactly 256 KiB/s
            long start = System.nanoTime();
            Thread sender = new Thread(() -> {
                for (int i = 1; i <= frames; i++) {
                    fast.send(new Request.Echo(i, Unpooled.wrappedBuffer(payload)));
                }
            });
            sender.start();
            Thread.sleep(500);
            long t0 = System.nanoTime();
            assertDoubles(normal, 7); // another connection is not slowed down
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
            for (int i = 0; i < frames; i++) {
                Reply r = fast.next();
                assertThat(r).isInstanceOf(Reply.EchoOk.class);
                assertThat(((Reply.EchoOk) r).data().readableBytes()).isEqualTo(payload.length);
            }
            sender.join();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            // Netty's shaper measures in 250 ms windows, so allow some slack below the ideal 6 s;
            // unlimited, this takes a fraction of a second.
            assertThat(took).as("1.5 MiB at 256 KiB/s").isGreaterThan(Duration.ofSeconds(4));
            assertThat(server.limits().readPauses()).isPositive();
            assertThat(server.stats().errorsSent()).isZero();
        } finally {
            server.stop();
        }
    }

    @Test
    void queriesOverThePerConnectionAndTotalLimitsGetOverloaded() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.maxQueriesPerConnection(1).maxQueries(2)
                .fsync(FsyncPolicy.NEVER));
        Path cert = server.tls().certificate();
        int n = 150_000;
        try (TestClient other = TestClient.connect(server.port(), cert);
             TestClient lazy1 = TestClient.connect(server.port(), cert, false);
             TestClient lazy2 = TestClient.connect(server.port(), cert, false)) {
            load(other, n);
            lazy1.send(new Request.Query(7, 0, ""));
            lazy1.send(new Request.Query(8, 0, ""));
            lazy1.channel().read();
            lazy2.send(new Request.Query(9, 0, ""));
            lazy2.channel().read();
            waitUntil(() -> server.limits().queriesRunning() == 2
                    && server.limits().rejections(Limits.Kind.QUERIES_PER_CONNECTION) == 1);
            // Both query places are taken by the stalled readers: a third query is refused...
            other.send(new Request.Query(10, 5, ""));
            Reply.Error e = (Reply.Error) other.next();
            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(e.streamId()).isEqualTo(10);
            assertThat(e.message()).contains("maximum of 2 queries");
            // ...while other requests are served.
            assertDoubles(other, 11);
            Map<Integer, Reply> finals = drain(lazy1, 2);
            assertThat(((Reply.ScanDone) finals.get(7)).totalRows()).isEqualTo(n);
            Reply.Error second = (Reply.Error) finals.get(8);
            assertThat(second.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(second.message()).contains("on this connection");
            assertThat(((Reply.ScanDone) drain(lazy2, 1).get(9)).totalRows()).isEqualTo(n);
            waitUntil(() -> server.limits().queriesRunning() == 0);
            other.send(new Request.Query(12, 5, ""));
            assertThat(((Reply.ScanDone) drain(other, 1).get(12)).totalRows()).isEqualTo(5);
            assertThat(server.limits().rejections(Limits.Kind.QUERIES_TOTAL)).isEqualTo(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void anAggregateTakesAQueryPlaceLikeAScan() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.maxQueries(1).fsync(FsyncPolicy.NEVER));
        Path cert = server.tls().certificate();
        int n = 150_000;
        try (TestClient other = TestClient.connect(server.port(), cert);
             TestClient lazy = TestClient.connect(server.port(), cert, false)) {
            load(other, n);
            lazy.send(new Request.Query(7, 0, ""));
            lazy.channel().read();
            waitUntil(() -> server.limits().queriesRunning() == 1);
            other.send(new Request.Aggregate(8, "| count"));
            Reply.Error e = (Reply.Error) other.next();
            assertThat(e.streamId()).isEqualTo(8);
            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(e.message()).contains("maximum of 1 queries");
            assertThat(((Reply.ScanDone) drain(lazy, 1).get(7)).totalRows()).isEqualTo(n);
            waitUntil(() -> server.limits().queriesRunning() == 0);
            other.send(new Request.Aggregate(9, "| count"));
            Reply.AggregateOk ok = (Reply.AggregateOk) other.next();
            assertThat(ok.json()).contains(Integer.toString(n));
            waitUntil(() -> server.limits().queriesRunning() == 0); // the aggregate gave its place back
        } finally {
            server.stop();
        }
    }

    @Test
    void anAggregatePastTheTimeLimitIsStoppedAndAnsweredOverloaded() throws Exception {
        // Two scan threads: the store's ~600k entries are three partitions of 256Ki, the third
        // started only when one of the first two is done (milliseconds each); the partitions check
        // the 1 ms deadline before they start, so the third at least sees it passed.
        LogwireServer server = TestServers.start(dataDir, b -> b.queryTimeout(Duration.ofMillis(1)).scanThreads(2)
                .fsync(FsyncPolicy.NEVER));
        Path cert = server.tls().certificate();
        try (TestClient c = TestClient.connect(server.port(), cert)) {
            load(c, 600_000);
            c.send(new Request.Aggregate(7, "| count by ip"));
            Reply.Error e = (Reply.Error) c.next();
            assertThat(e.streamId()).isEqualTo(7);
            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(e.message()).contains("AGGREGATE ran past the query time limit (1ms)");
            waitUntil(() -> server.limits().queriesRunning() == 0);
            assertThat(server.limits().rejections(Limits.Kind.QUERY_TIME)).isEqualTo(1);
            assertDoubles(c, 8); // the connection lives on
        } finally {
            server.stop();
        }
    }

    @Test
    void aQueryPastTheTimeLimitIsCancelledAndEndsWithOverloaded() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.queryTimeout(Duration.ofMillis(800))
                .fsync(FsyncPolicy.NEVER));
        Path cert = server.tls().certificate();
        int n = 150_000;
        try (TestClient other = TestClient.connect(server.port(), cert);
             TestClient lazy = TestClient.connect(server.port(), cert, false)) {
            load(other, n);
            lazy.send(new Request.Query(7, 0, ""));
            lazy.channel().read();
            // The scan waits for the stalled reader; the time limit ends it and frees its place.
            waitUntil(() -> server.limits().rejections(Limits.Kind.QUERY_TIME) == 1);
            waitUntil(() -> server.stats().requestsInFlight() == 0 && server.limits().queriesRunning() == 0);
            other.send(new Request.Query(8, 100, ""));
            assertThat(((Reply.ScanDone) drain(other, 1).get(8)).totalRows()).isEqualTo(100);
            lazy.channel().config().setAutoRead(true);
            long rows = 0;
            Reply r;
            while ((r = lazy.next()) instanceof Reply.Rows rr) {
                rows += rr.count();
            }
            Reply.Error e = (Reply.Error) r;
            assertThat(e.streamId()).isEqualTo(7);
            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(e.message()).contains("query time limit (800ms)").contains("after sending " + rows + " rows");
            assertThat(rows).isLessThan(n);
            assertDoubles(lazy, 9); // the connection lives on
        } finally {
            server.stop();
        }
    }

    @Test
    void tlsConnectionsOverTheHandshakeRateAreClosedAtAccept() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.maxHandshakeRate(2));
        Path cert = server.tls().certificate();
        try (TestClient a = TestClient.connect(server.port(), cert);
             TestClient b = TestClient.connect(server.port(), cert)) {
            assertThatThrownBy(() -> TestClient.connect(server.port(), cert).close()).isNotNull();
            assertThat(server.limits().rejections(Limits.Kind.TLS_HANDSHAKE_RATE)).isEqualTo(1);
            assertDoubles(a, 1);
            assertDoubles(b, 2);
            Thread.sleep(1100); // the budget refills
            try (TestClient c = TestClient.connect(server.port(), cert)) {
                assertDoubles(c, 3);
            }
            assertThat(server.stats().metrics().scrape())
                    .contains("logwire_limits_rejected_total{limit=\"tls_handshake_rate\"} 1.0");
        } finally {
            server.stop();
        }
    }

    // ------------------------------------------------------------------ helpers

    static void assertDoubles(TestClient c, int value) throws Exception {
        c.send(new Request.DoubleValue(value, value));
        assertThat(c.next()).isEqualTo(new Reply.DoubleOk(value, 2 * value));
    }

    /** Reads replies until {@code finals} streams have had their final reply; returns those by stream. */
    private static Map<Integer, Reply> drain(TestClient c, int finals) throws Exception {
        c.channel().config().setAutoRead(true);
        Map<Integer, Reply> out = new HashMap<>();
        while (out.size() < finals) {
            Reply r = c.next();
            if (!(r instanceof Reply.Rows)) {
                out.put(r.streamId(), r);
            }
        }
        return out;
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 15 s");
            }
            Thread.sleep(20); // polling server-side state that changes on other threads
        }
    }

    static void load(TestClient c, int n) throws Exception {
        List<LogEntry> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(new LogEntry("user" + i, "192.168.1." + (i % 256), 443, i, i, i, 1.5f, "web-01"));
            if (batch.size() == 5000 || i == n - 1) {
                ByteBuf buf = Unpooled.buffer();
                LogEntryCodec.encodeAll(batch, buf);
                c.send(new Request.Upload(1, batch.size(), buf));
                assertThat(c.next()).isInstanceOf(Reply.UploadOk.class);
                batch.clear();
            }
        }
    }
}
