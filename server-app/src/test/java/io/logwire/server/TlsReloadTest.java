package io.logwire.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.tls.ReloadableServerTls;
import io.logwire.server.tls.ReloadableServerTls.Outcome;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Certificate rotation without a restart: new connections get the new certificate after a
 * SIGHUP-style reload or a change the file watcher sees, connections already open keep
 * working, and a bad pair is refused with the old certificate staying in use.
 */
class TlsReloadTest {
    private static final List<String> NAMES = List.of("localhost", "127.0.0.1");

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger reloadLog = (Logger) LoggerFactory.getLogger(ReloadableServerTls.class);
    private CertificateGenerator.Issued a;
    private CertificateGenerator.Issued b;
    private Path certFile;
    private Path keyFile;
    private SslContext trustingBoth;
    private LogwireServer server;

    @BeforeEach
    void setUp() throws Exception {
        logs.start();
        reloadLog.addAppender(logs);
        a = CertificateGenerator.selfSignedServer("server A", NAMES, Duration.ofDays(30));
        b = CertificateGenerator.selfSignedServer("server B", NAMES, Duration.ofDays(60));
        certFile = dir.resolve("tls").resolve("server.crt");
        keyFile = dir.resolve("tls").resolve("server.key");
        Pem.writeCertificates(certFile, List.of(a.certificate()));
        Pem.writePrivateKey(keyFile, a.privateKey());
        trustingBoth = SslContextBuilder.forClient().trustManager(a.certificate(), b.certificate()).build();
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop();
        }
        reloadLog.detachAppender(logs);
    }

    private LogwireServer start(Duration watch, Consumer<ServerConfig.Builder> more) throws Exception {
        server = TestServers.start(dir.resolve("data"), c -> {
            c.tlsCert(certFile).tlsKey(keyFile).tlsWatchInterval(watch);
            more.accept(c);
        });
        return server;
    }

    @Test
    void sighupReloadGivesNewConnectionsTheNewCertificateAndOpenOnesContinue() throws Exception {
        start(Duration.ZERO, c -> { });
        assertThat(server.tls().fingerprint()).isEqualTo(fingerprint(a));
        assertThat(messages(Level.INFO)).anyMatch(m -> m.contains(fingerprint(a)) && m.contains("valid until"));

        try (TestClient first = TestClient.connect(server.port(), trustingBoth, true)) {
            assertThat(peerFingerprint(first)).isEqualTo(fingerprint(a));
            roundTrip(first, 1);

            replaceByRename(b.certificate(), b.privateKey());
            assertThat(server.tls().fingerprint()).as("no reload before the signal").isEqualTo(fingerprint(a));
            assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.RELOADED);
            assertThat(server.tls().fingerprint()).isEqualTo(fingerprint(b));

            try (TestClient second = TestClient.connect(server.port(), trustingBoth, true)) {
                assertThat(peerFingerprint(second)).isEqualTo(fingerprint(b));
                roundTrip(second, 2);
            }
            // The connection made before the reload still works, still on A.
            roundTrip(first, 3);
            assertThat(peerFingerprint(first)).isEqualTo(fingerprint(a));
        }
        // Same files again: nothing to do.
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.UNCHANGED);
        assertThat(server.tlsReloader().reloads()).isEqualTo(1);
    }

    @Test
    void aMismatchedPairIsRefusedAndTheOldCertificateStays() throws Exception {
        start(Duration.ZERO, c -> { });
        // B's certificate with A's key: the state between a cert rotation and a key rotation.
        replaceByRename(b.certificate(), a.privateKey());
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.FAILED);
        assertThat(server.tls().fingerprint()).isEqualTo(fingerprint(a));
        assertThat(messages(Level.WARN)).anyMatch(m -> m.contains("does not match the certificate")
                && m.contains(fingerprint(a)));
        try (TestClient c = TestClient.connect(server.port(), trustingBoth, true)) {
            assertThat(peerFingerprint(c)).isEqualTo(fingerprint(a));
            roundTrip(c, 1);
        }

        // A garbled key file: also refused, with the reason.
        Files.writeString(keyFile, "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.FAILED);
        Files.delete(keyFile);
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.FAILED);
        assertThat(messages(Level.WARN)).anyMatch(m -> m.contains("file not found"));
        assertThat(server.tls().fingerprint()).isEqualTo(fingerprint(a));

        // Once the key catches up the pair loads.
        replaceByRename(b.certificate(), b.privateKey());
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.RELOADED);
        try (TestClient c = TestClient.connect(server.port(), trustingBoth, true)) {
            assertThat(peerFingerprint(c)).isEqualTo(fingerprint(b));
        }
    }

    @Test
    void theWatcherReloadsWhenTheFilesAreReplacedAndSkipsAHalfRotatedPair() throws Exception {
        start(Duration.ofMillis(50), c -> c.legacyPort(ServerConfig.LISTENER_EPHEMERAL));
        try (TestClient first = TestClient.connect(server.port(), trustingBoth, true)) {
            assertThat(peerFingerprint(first)).isEqualTo(fingerprint(a));
            assertThat(legacyPeerFingerprint()).isEqualTo(fingerprint(a));

            // The certificate first; the key follows a while later, as some tools do it.
            writeByRename(certFile, () -> Pem.writeCertificates(tmp(certFile), List.of(b.certificate())));
            awaitLog(Level.WARN, "does not match the certificate");
            assertThat(server.tls().fingerprint()).isEqualTo(fingerprint(a));
            try (TestClient c = TestClient.connect(server.port(), trustingBoth, true)) {
                assertThat(peerFingerprint(c)).as("half-rotated: still A").isEqualTo(fingerprint(a));
            }
            writeByRename(keyFile, () -> Pem.writePrivateKey(tmp(keyFile), b.privateKey()));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!server.tls().fingerprint().equals(fingerprint(b)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(server.tls().fingerprint()).isEqualTo(fingerprint(b));
            try (TestClient second = TestClient.connect(server.port(), trustingBoth, true)) {
                assertThat(peerFingerprint(second)).isEqualTo(fingerprint(b));
                roundTrip(second, 5);
            }
            assertThat(legacyPeerFingerprint()).as("the compat TLS listener too").isEqualTo(fingerprint(b));
            roundTrip(first, 6);
        }
        // One WARN for the half-rotated state, not one per check.
        assertThat(messages(Level.WARN).stream().filter(m -> m.contains("does not match")).count()).isEqualTo(1);
        assertThat(server.tlsReloader().reloads()).isEqualTo(1);
    }

    @Test
    void aRotatedClientCaAppliesToNewConnections() throws Exception {
        CertificateGenerator.Issued ca1 = CertificateGenerator.certificateAuthority("CA 1", Duration.ofDays(1));
        CertificateGenerator.Issued ca2 = CertificateGenerator.certificateAuthority("CA 2", Duration.ofDays(1));
        Path caFile = dir.resolve("tls").resolve("clients.crt");
        Pem.writeCertificates(caFile, List.of(ca1.certificate()));
        start(Duration.ZERO, c -> c.clientCa(caFile));
        SslContext client1 = clientOf(CertificateGenerator.signedClient(ca1, "client-1", Duration.ofDays(1)));
        SslContext client2 = clientOf(CertificateGenerator.signedClient(ca2, "client-2", Duration.ofDays(1)));
        try (TestClient c = TestClient.connect(server.port(), client1, true)) {
            roundTrip(c, 1);
            assertThat(refused(client2)).as("CA 2 not trusted yet").isTrue();

            writeByRename(caFile, () -> Pem.writeCertificates(tmp(caFile), List.of(ca2.certificate())));
            assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.RELOADED);
            assertThat(refused(client2)).as("CA 2 trusted now").isFalse();
            assertThat(refused(client1)).as("CA 1 no longer").isTrue();
            roundTrip(c, 2); // admitted under CA 1 before the reload: still open
        }
    }

    @Test
    void aRotatedClientCaAlsoIdentifiesCertificatesPinnedToItsFingerprint() throws Exception {
        CertificateGenerator.Issued ca1 = CertificateGenerator.certificateAuthority("CA 1", Duration.ofDays(1));
        CertificateGenerator.Issued ca2 = CertificateGenerator.certificateAuthority("CA 2", Duration.ofDays(1));
        Path caFile = dir.resolve("tls").resolve("clients.crt");
        Pem.writeCertificates(caFile, List.of(ca1.certificate()));
        Path policy = dir.resolve("policy.toml");
        // issuer-sha256: the issuer is checked against the --client-ca certificates (the client sends only its leaf).
        Files.writeString(policy, "[[certificate]]\nname = \"pinned\"\nsubject-cn = \"client-2\"\n"
                + "issuer-sha256 = \"" + Pem.sha256Fingerprint(ca2.certificate()) + "\"\nroles = [\"admin\"]\n");
        start(Duration.ZERO, c -> c.clientCa(caFile).authPolicy(policy).requireAuth(true));
        SslContext client2 = clientOf(CertificateGenerator.signedClient(ca2, "client-2", Duration.ofDays(1)));
        writeByRename(caFile, () -> Pem.writeCertificates(tmp(caFile), List.of(ca2.certificate())));
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.RELOADED);
        try (TestClient c = TestClient.connect(server.port(), client2, true)) {
            c.send(new Request.Stats(1));
            assertThat(c.next()).as("identified under the CA loaded by the reload").isInstanceOf(Reply.StatsOk.class);
        }
    }

    private SslContext clientOf(CertificateGenerator.Issued clientCert) throws Exception {
        return SslContextBuilder.forClient().trustManager(a.certificate())
                .keyManager(clientCert.privateKey(), clientCert.certificate()).build();
    }

    /** Whether the server refuses a connection with this client context (TLS 1.3 tells after the handshake). */
    private boolean refused(SslContext ctx) {
        try (TestClient c = TestClient.connect(server.port(), ctx, true)) {
            c.send(new Request.NegateValue(9, 1));
            c.next();
            return false;
        } catch (Exception | AssertionError e) {
            return true;
        }
    }

    @Test
    void aTouchWithoutAChangeReloadsNothing() throws Exception {
        start(Duration.ZERO, c -> { });
        ReloadableServerTls tls = server.tlsReloader();
        assertThat(tls.checkForChanges()).isEqualTo(Outcome.UNCHANGED);
        Files.setLastModifiedTime(certFile, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
                + 5_000));
        assertThat(tls.checkForChanges()).as("first sight of a change: wait to settle").isEqualTo(Outcome.UNCHANGED);
        assertThat(tls.checkForChanges()).as("same content as loaded").isEqualTo(Outcome.UNCHANGED);
        assertThat(tls.reloads()).isZero();
        replaceByRename(b.certificate(), b.privateKey());
        assertThat(tls.checkForChanges()).isEqualTo(Outcome.UNCHANGED);
        assertThat(tls.checkForChanges()).isEqualTo(Outcome.RELOADED);
        assertThat(tls.checkForChanges()).isEqualTo(Outcome.UNCHANGED);
        assertThat(tls.reloads()).isEqualTo(1);
    }

    @Test
    void aCertificateCloseToExpiryIsLoadedWithAWarning() throws Exception {
        start(Duration.ZERO, c -> { });
        assertThat(messages(Level.WARN)).isEmpty();
        CertificateGenerator.Issued soon = CertificateGenerator.selfSignedServer("soon", NAMES, Duration.ofDays(3));
        replaceByRename(soon.certificate(), soon.privateKey());
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.RELOADED);
        assertThat(messages(Level.WARN)).anyMatch(m -> m.contains(fingerprint(soon)) && m.contains("days left"));
    }

    @Test
    void withAGeneratedCertificateReloadIsANoOpAndSaysSo() throws Exception {
        server = TestServers.start(dir.resolve("gen"), c -> { });
        String before = server.tls().fingerprint();
        assertThat(server.reloadTls("SIGHUP")).isEqualTo(Outcome.NOT_APPLICABLE);
        assertThat(server.tls().fingerprint()).isEqualTo(before);
        assertThat(messages(Level.INFO)).anyMatch(m -> m.contains("generated") && m.contains("nothing to reload"));
    }

    // ------------------------------------------------------------------ helpers

    private interface Write {
        void run() throws Exception;
    }

    private static Path tmp(Path file) {
        return file.resolveSibling(file.getFileName() + ".new");
    }

    /** Writes a sibling file and renames it over {@code file}, as editors and cert managers do. */
    private static void writeByRename(Path file, Write write) throws Exception {
        write.run();
        Files.move(tmp(file), file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void replaceByRename(X509Certificate cert, java.security.PrivateKey key) throws Exception {
        writeByRename(certFile, () -> Pem.writeCertificates(tmp(certFile), List.of(cert)));
        writeByRename(keyFile, () -> Pem.writePrivateKey(tmp(keyFile), key));
    }

    private static String fingerprint(CertificateGenerator.Issued issued) {
        return Pem.sha256Fingerprint(issued.certificate());
    }

    private static String peerFingerprint(TestClient c) throws Exception {
        SslHandler ssl = c.channel().pipeline().get(SslHandler.class);
        return Pem.sha256Fingerprint((X509Certificate) ssl.engine().getSession().getPeerCertificates()[0]);
    }

    private String legacyPeerFingerprint() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("a", a.certificate());
        ks.setCertificateEntry("b", b.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", server.legacyPort())) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            return Pem.sha256Fingerprint((X509Certificate) s.getSession().getPeerCertificates()[0]);
        }
    }

    private static void roundTrip(TestClient c, int stream) throws Exception {
        c.send(new Request.NegateValue(stream, 7));
        assertThat(c.next()).isEqualTo(new Reply.NegateOk(stream, -7));
    }

    private List<String> messages(Level level) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : new ArrayList<>(logs.list)) {
            if (e.getLevel() == level) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    private void awaitLog(Level level, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (messages(level).stream().anyMatch(m -> m.contains(text))) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no " + level + " log containing '" + text + "' within 10 s: " + messages(level));
    }
}
