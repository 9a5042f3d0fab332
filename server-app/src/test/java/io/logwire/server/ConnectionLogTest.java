package io.logwire.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The connection log: one line per closed connection with the right fields and close reason. */
class ConnectionLogTest {
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private Logger logger;

    @BeforeEach
    void capture() {
        logger = (Logger) LoggerFactory.getLogger(ConnectionLog.class);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
    }

    /** The fields of connection-log lines, once {@code n} have been logged. */
    private List<Map<String, String>> entries(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<Map<String, String>> out = new ArrayList<>();
            for (ILoggingEvent e : List.copyOf(appender.list)) {
                if (e.getMessage().equals("connection closed")) {
                    Map<String, String> fields = new HashMap<>();
                    for (KeyValuePair kv : e.getKeyValuePairs()) {
                        fields.put(kv.key, String.valueOf(kv.value));
                    }
                    out.add(fields);
                }
            }
            if (out.size() >= n || System.nanoTime() > deadline) {
                assertThat(out).hasSize(n);
                return out;
            }
            Thread.sleep(10);
        }
    }

    @Test
    void mutualTlsConnectionClosedByTheClient() throws Exception {
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("test CA", Duration.ofDays(1));
        CertificateGenerator.Issued serverCert = CertificateGenerator.signedServer(ca, "server",
                List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        CertificateGenerator.Issued clientCert = CertificateGenerator.signedClient(ca, "client-1", Duration.ofDays(1));
        Path caFile = dir.resolve("ca.crt");
        Path certFile = dir.resolve("server.crt");
        Path keyFile = dir.resolve("server.key");
        Pem.writeCertificates(caFile, List.of(ca.certificate()));
        Pem.writeCertificates(certFile, List.of(serverCert.certificate()));
        Pem.writePrivateKey(keyFile, serverCert.privateKey());
        LogwireServer server = TestServers.start(dir.resolve("data"),
                b -> b.tlsCert(certFile).tlsKey(keyFile).clientCa(caFile));
        try {
            SslContext withCert = SslContextBuilder.forClient().trustManager(ca.certificate())
                    .keyManager(clientCert.privateKey(), clientCert.certificate()).build();
            String local;
            try (TestClient c = TestClient.connect(server.port(), withCert, true)) {
                c.send(new Request.NegateValue(1, 5));
                assertThat(c.next()).isEqualTo(new Reply.NegateOk(1, -5));
                c.send(new Request.DoubleValue(2, 5));
                assertThat(c.next()).isEqualTo(new Reply.DoubleOk(2, 10));
                local = c.channel().localAddress().toString().substring(1);
            }
            Map<String, String> e = entries(1).get(0);
            assertThat(e).containsEntry("peer", local).containsEntry("listener", "main")
                    .containsEntry("requests", "2").containsEntry("reason", "client closed");
            assertThat(e.get("tls")).startsWith("TLSv1.");
            assertThat(e.get("cipher")).startsWith("TLS_");
            assertThat(e.get("client")).contains("CN=client-1");
            assertThat(Long.parseLong(e.get("bytes_in"))).isGreaterThan(0);
            assertThat(Long.parseLong(e.get("bytes_out"))).isGreaterThan(0);
            assertThat(Long.parseLong(e.get("duration_ms"))).isGreaterThanOrEqualTo(0);

            // No client certificate: the handshake fails and the log says so.
            SslContext withoutCert = SslContextBuilder.forClient().trustManager(ca.certificate()).build();
            try (TestClient c = TestClient.connect(server.port(), withoutCert, true)) {
                c.send(new Request.NegateValue(1, 5));
                c.awaitClosed(5000);
            } catch (Exception expected) {
                // refused during or right after the handshake
            }
            Map<String, String> refused = entries(2).get(1);
            assertThat(refused).containsEntry("reason", "tls error").containsEntry("client", "-")
                    .containsEntry("requests", "0");
        } finally {
            server.stop();
        }
    }

    @Test
    void plaintextConnectionsIdleTimeoutProtocolErrorAndDrain() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"),
                b -> b.plaintext(true).idleTimeout(Duration.ofSeconds(1)));
        try {
            try (TestClient c = TestClient.connect(server.port(), (Path) null)) {
                c.send(new Request.NegateValue(1, 7));
                assertThat(c.next()).isEqualTo(new Reply.NegateOk(1, -7));
                assertThat(c.awaitClosed(5000)).isTrue();
            }
            Map<String, String> idle = entries(1).get(0);
            assertThat(idle).containsEntry("listener", "main").containsEntry("tls", "-").containsEntry("cipher", "-")
                    .containsEntry("client", "-").containsEntry("requests", "1")
                    .containsEntry("reason", "idle timeout");
            assertThat(Long.parseLong(idle.get("duration_ms"))).isGreaterThanOrEqualTo(1000);

            try (TestClient c = TestClient.connect(server.port(), (Path) null)) {
                // A frame length of 2^31 - 1: over --max-frame, which is fatal.
                c.sendHex("7fffffff0000");
                assertThat(c.awaitClosed(5000)).isTrue();
            }
            Map<String, String> bad = entries(2).get(1);
            assertThat(bad).containsEntry("reason", "protocol error").containsEntry("requests", "0");
            assertThat(bad.get("detail")).isNotBlank();

            TestClient open = TestClient.connect(server.port(), (Path) null);
            open.send(new Request.NegateValue(1, 7));
            assertThat(open.next()).isEqualTo(new Reply.NegateOk(1, -7));
            server.stop();
            assertThat(entries(3).get(2)).containsEntry("reason", "server drain");
            open.close();
        } finally {
            server.stop();
        }
    }

    @Test
    void plaintextToTheTlsPortAndAStalledHandshake() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"),
                b -> b.handshakeTimeout(Duration.ofMillis(300)));
        try {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.setSoTimeout(5000);
                s.getInputStream().readAllBytes();
            }
            assertThat(entries(1).get(0)).containsEntry("reason", "tls error").containsEntry("tls", "-")
                    .containsEntry("detail", "not a TLS record");
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5000);
                s.getInputStream().readAllBytes(); // the server gives up on the handshake and closes
            }
            assertThat(entries(2).get(1)).containsEntry("reason", "tls handshake timeout");
        } finally {
            server.stop();
        }
    }

    @Test
    void compatListenersAreNamed() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"),
                b -> b.plaintext(true).echoPort(ServerConfig.LISTENER_EPHEMERAL));
        try {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.echoPort())) {
                s.getOutputStream().write("Hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(s.getInputStream().readNBytes(5)).hasSize(5);
            }
            Map<String, String> e = entries(1).get(0);
            assertThat(e).containsEntry("listener", "echo").containsEntry("reason", "client closed")
                    .containsEntry("bytes_in", "5").containsEntry("bytes_out", "5");
            assertThat(Long.parseLong(e.get("requests"))).isPositive();
        } finally {
            server.stop();
        }
    }

    @Test
    void refusedConnectionsAreLoggedAsRefused() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"), b -> b.plaintext(true).maxConnections(1));
        try (TestClient first = TestClient.connect(server.port(), (Path) null)) {
            first.send(new Request.NegateValue(1, 1));
            first.next();
            try (TestClient second = TestClient.connect(server.port(), (Path) null)) {
                assertThat(second.next()).isInstanceOf(Reply.Error.class);
                second.awaitClosed(5000);
            }
            assertThat(entries(1).get(0)).containsEntry("reason", "refused").containsEntry("detail",
                    "connection limit");
        } finally {
            server.stop();
        }
    }

    @Test
    void aFloodIsCutToTheRateAndSummarised() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        ConnectionLog.Limiter limiter = new ConnectionLog.Limiter(3, now::get);
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            allowed += limiter.tryAcquire(null) ? 1 : 0;
        }
        assertThat(allowed).isEqualTo(3);
        assertThat(appender.list).isEmpty();
        now.addAndGet(1_000_000_000L);
        assertThat(limiter.tryAcquire(null)).isTrue();
        assertThat(appender.list).hasSize(1);
        ILoggingEvent summary = appender.list.get(0);
        assertThat(summary.getFormattedMessage()).isEqualTo("7 connection log entries suppressed (limit 3 a second)");
        assertThat(summary.getKeyValuePairs().get(0).value).isEqualTo(7L);
        limiter.flush();
        assertThat(appender.list).hasSize(1);
        assertThat(new ConnectionLog.Limiter(0, now::get).tryAcquire(null)).isFalse();
    }

    @Test
    void aFloodOfRealConnectionsIsSummarisedWithinASecond() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"), b -> b.plaintext(true).connectionLogRate(2));
        try {
            for (int i = 0; i < 20; i++) {
                try (TestClient c = TestClient.connect(server.port(), (Path) null)) {
                    c.send(new Request.NegateValue(1, i));
                    c.next();
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long logged;
            long suppressed;
            do {
                Thread.sleep(50);
                logged = 0;
                suppressed = 0;
                for (ILoggingEvent e : List.copyOf(appender.list)) {
                    if (e.getMessage().equals("connection closed")) {
                        logged++;
                    } else {
                        suppressed += (Long) e.getKeyValuePairs().get(0).value;
                    }
                }
            } while (logged + suppressed < 20 && System.nanoTime() < deadline);
            assertThat(logged + suppressed).isEqualTo(20);
            assertThat(suppressed).isPositive();
        } finally {
            server.stop();
        }
    }
}
