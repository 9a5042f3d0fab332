package io.logwire.server;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Connection limits, timeouts, backpressure and draining, against a real TLS server. */
class ServerLimitsTest {
    @TempDir
    Path dataDir;

    @Test
    void connectionsOverTheMaximumAreRefusedWithOverloaded() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.maxConnections(2));
        try (TestClient a = TestClient.connect(server.port(), server.tls().certificate());
             TestClient b = TestClient.connect(server.port(), server.tls().certificate());
             TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
            Reply.Error e = (Reply.Error) c.next();
            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(e.streamId()).isZero();
            assertThat(c.awaitClosed(5000)).isTrue();
            a.send(new Request.DoubleValue(1, 21));
            assertThat(a.next()).isEqualTo(new Reply.DoubleOk(1, 42));
            assertThat(server.stats().connectionsRefused()).isEqualTo(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void idleConnectionsAndSlowSendersAreClosed() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.idleTimeout(Duration.ofMillis(600)));
        try (TestClient idle = TestClient.connect(server.port(), server.tls().certificate());
             TestClient slow = TestClient.connect(server.port(), server.tls().certificate())) {
            // The slow sender trickles one frame a byte at a time: bytes arrive, frames don't.
            byte[] frame = {0, 0, 0, 10, 0, 5, 0, 0, 0, 1, 0, 0, 0, 1};
            long start = System.nanoTime();
            for (int i = 0; i < frame.length - 1 && slow.isOpen(); i++) {
                slow.sendBytes(new byte[] {frame[i]});
                Thread.sleep(150); // the pace of a slow-loris sender, well inside the idle timeout per byte
            }
            assertThat(slow.awaitClosed(3000)).isTrue();
            assertThat(idle.awaitClosed(3000)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        } finally {
            server.stop();
        }
    }

    @Test
    void aTcpClientThatNeverHandshakesIsCutOff() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.handshakeTimeout(Duration.ofMillis(500)));
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            long start = System.nanoTime();
            assertThat(in.read()).as("server closes the socket").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        } finally {
            server.stop();
        }
    }

    @Test
    void aPlaintextClientOnTheTlsPortIsClosed() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> { });
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, 0, 0, 10, 0, 5, 0, 0, 0, 1, 0, 0, 0, 1});
            out.flush();
            InputStream in = s.getInputStream();
            int b;
            do {
                b = in.read();
            } while (b != -1);
        } finally {
            server.stop();
        }
    }

    @Test
    void aClientThatStopsReadingDoesNotMakeTheServerBufferItsResult() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> { });
        try (TestClient loader = TestClient.connect(server.port(), server.tls().certificate())) {
            int n = 400_000; // about 21 MB of entries
            load(loader, n);
            long resultBytes = server.stats().bytesReceived();
            assertThat(resultBytes).isGreaterThan(16L << 20);
            try (TestClient lazy = TestClient.connect(server.port(), server.tls().certificate(), false)) {
                long before = server.stats().bytesSent();
                lazy.send(new Request.Query(7, 0, ""));
                lazy.channel().read(); // let the TLS handshake's leftovers through, then stop reading
                long sent = waitForPlateau(server);
                // The server's socket send buffer (tcp_wmem max 4 MiB here), the client's 64 KiB
                // receive buffer, the 1 MiB high-water mark and one chunk: far below the result.
                assertThat(sent - before).isLessThan(8L << 20);
                assertThat(server.stats().requestsInFlight()).isEqualTo(1);
                // Reading again lets the whole result through.
                lazy.channel().config().setAutoRead(true);
                long rows = 0;
                while (true) {
                    Reply r = lazy.next();
                    if (r instanceof Reply.Rows rr) {
                        rows += rr.count();
                    } else {
                        assertThat(((Reply.ScanDone) r).totalRows()).isEqualTo(n);
                        break;
                    }
                }
                assertThat(rows).isEqualTo(n);
            }
        } finally {
            server.stop();
        }
    }

    private static long waitForPlateau(LogwireServer server) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 50; i++) {
            Thread.sleep(100); // sampling the server's byte counter until it stops moving
            long now = server.stats().bytesSent();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    @Test
    void drainingAnswersNewRequestsWithShuttingDownAndFinishesInFlightOnes() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.shutdownTimeout(Duration.ofSeconds(20)));
        // About 21 MB of result: far more than the server's socket send buffer (tcp_wmem max 4 MiB
        // here, autotuned), the lazy client's receive buffer and the high-water mark together, so
        // the query cannot finish before the client reads (with 100,000 entries it sometimes did).
        int n = 400_000;
        try (TestClient other = TestClient.connect(server.port(), server.tls().certificate());
             TestClient lazy = TestClient.connect(server.port(), server.tls().certificate(), false)) {
            load(other, n);
            lazy.send(new Request.Query(7, 0, ""));
            lazy.channel().read();
            waitForPlateau(server); // the query is in flight, paused on the lazy reader
            Thread stopper = new Thread(server::stop);
            stopper.start();
            Reply r;
            int stream = 100;
            do {
                other.send(new Request.DoubleValue(stream++, 1));
                r = other.next();
            } while (r instanceof Reply.DoubleOk); // until the drain has begun
            assertThat(((Reply.Error) r).errorCode()).isEqualTo(ErrorCode.SHUTTING_DOWN);
            assertThat(stopper.isAlive()).as("the drain waits for the query in flight").isTrue();
            lazy.channel().config().setAutoRead(true);
            long rows = 0;
            while (true) {
                Reply q = lazy.next();
                if (q instanceof Reply.Rows rr) {
                    rows += rr.count();
                } else {
                    assertThat(((Reply.ScanDone) q).totalRows()).isEqualTo(n);
                    break;
                }
            }
            assertThat(rows).isEqualTo(n);
            stopper.join(10_000);
            assertThat(stopper.isAlive()).isFalse();
            assertThat(lazy.awaitClosed(5000)).isTrue();
        } finally {
            server.stop();
        }
    }

    private static void load(TestClient c, int n) throws Exception {
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
