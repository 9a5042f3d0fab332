package io.logwire.client;

import io.logwire.client.ConnectionException.Reason;
import io.logwire.client.support.TestServer;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each way a connection can fail gives its own reason and a message that names the cause. */
class TlsFailuresTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static ClientResources resources;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(dir.resolve("server"));
        resources = ClientResources.create(1);
    }

    @AfterAll
    static void stop() {
        server.close();
        resources.close();
    }

    private static ConnectionException failure(ClientConfig config) {
        try (LogwireClient c = LogwireClient.connect(config, resources)) {
            throw new AssertionError("connected, but should not have: " + c.serverHello());
        } catch (ConnectionException e) {
            return e;
        }
    }

    @Test
    void trustingTheServerCertificateWorks() {
        try (LogwireClient c = LogwireClient.connect(server.client().build(), resources)) {
            assertThat(c.sync().doubleValue(4)).isEqualTo(8);
        }
    }

    @Test
    void unknownCaWithTheSystemTrustStore() {
        ConnectionException e = failure(server.client().caFile(null).build());
        assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CERTIFICATE);
        assertThat(e.getMessage()).contains("not signed by a trusted CA").contains("--ca FILE");
    }

    @Test
    void unknownCaWithAnotherCa() throws IOException {
        CertificateGenerator.Issued other = CertificateGenerator.certificateAuthority("some other CA", Duration.ofDays(1));
        Path otherCa = dir.resolve("other-ca.crt");
        Pem.writeCertificates(otherCa, List.of(other.certificate()));
        ConnectionException e = failure(server.client().caFile(otherCa).build());
        assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CERTIFICATE);
        assertThat(e.getMessage()).contains("not signed by a trusted CA").contains(otherCa.toString());
    }

    @Test
    void hostnameMismatch() {
        ConnectionException e = failure(server.client().serverName("not-this-server.example").build());
        assertThat(e.reason()).isEqualTo(Reason.HOSTNAME_MISMATCH);
        assertThat(e.getMessage()).contains("does not match the name 'not-this-server.example'");
    }

    @Test
    void hostnameMismatchForAnIpAddressTheCertificateDoesNotList() throws IOException {
        Path d = dir.resolve("wrong-san");
        CertificateGenerator.Issued cert = CertificateGenerator.selfSignedServer("elsewhere",
                List.of("elsewhere.example"), Duration.ofDays(1));
        Pem.writeCertificates(d.resolve("s.crt"), List.of(cert.certificate()));
        Pem.writePrivateKey(d.resolve("s.key"), cert.privateKey());
        try (TestServer s = TestServer.start(TestServer.base(d).tlsCert(d.resolve("s.crt")).tlsKey(d.resolve("s.key")))) {
            ConnectionException e = failure(s.client().build());
            assertThat(e.reason()).isEqualTo(Reason.HOSTNAME_MISMATCH);
            assertThat(e.getMessage()).contains("does not match the name '127.0.0.1'");
        }
    }

    @Test
    void expiredCertificateSignedByATrustedCa() throws IOException {
        Path d = dir.resolve("expired");
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("test CA", Duration.ofDays(1));
        // Valid from an hour ago until half an hour ago.
        CertificateGenerator.Issued cert = CertificateGenerator.signedServer(ca, "expired",
                CertificateGenerator.defaultServerNames(List.of()), Duration.ofMinutes(-30));
        Pem.writeCertificates(d.resolve("ca.crt"), List.of(ca.certificate()));
        Pem.writeCertificates(d.resolve("s.crt"), List.of(cert.certificate()));
        Pem.writePrivateKey(d.resolve("s.key"), cert.privateKey());
        try (TestServer s = TestServer.start(TestServer.base(d).tlsCert(d.resolve("s.crt")).tlsKey(d.resolve("s.key")))) {
            ConnectionException e = failure(s.client().caFile(d.resolve("ca.crt")).build());
            assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_EXPIRED);
            assertThat(e.getMessage()).contains("has expired");
        }
    }

    @Test
    void expiredSelfSignedCertificateTrustedDirectly() throws IOException {
        Path d = dir.resolve("expired-self-signed");
        CertificateGenerator.Issued cert = CertificateGenerator.selfSignedServer("expired",
                CertificateGenerator.defaultServerNames(List.of()), Duration.ofMinutes(-30));
        Pem.writeCertificates(d.resolve("s.crt"), List.of(cert.certificate()));
        Pem.writePrivateKey(d.resolve("s.key"), cert.privateKey());
        try (TestServer s = TestServer.start(TestServer.base(d).tlsCert(d.resolve("s.crt")).tlsKey(d.resolve("s.key")))) {
            ConnectionException e = failure(s.client().build());
            assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_EXPIRED);
            assertThat(e.getMessage()).contains("has expired");
        }
    }

    @Test
    void plaintextServer() throws IOException {
        try (TestServer s = TestServer.start(TestServer.base(dir.resolve("plain")).plaintext(true))) {
            ConnectionException e = failure(s.client().plaintext(false).caFile(server.certificate()).build());
            assertThat(e.reason()).isEqualTo(Reason.PLAINTEXT_SERVER);
            assertThat(e.getMessage()).contains("does not speak TLS").contains("--plaintext");
            // ... and the same server works once asked for plaintext.
            try (LogwireClient c = LogwireClient.connect(s.client().build(), resources)) {
                assertThat(c.tlsSession()).isNull();
                assertThat(c.sync().negate(3)).isEqualTo(-3);
            }
        }
    }

    @Test
    void plaintextClientToATlsServer() {
        ConnectionException e = failure(server.client().caFile(null).plaintext(true).build());
        assertThat(e.reason()).isEqualTo(Reason.TLS_SERVER);
        assertThat(e.getMessage()).contains("drop --plaintext");
    }

    @Test
    void connectionRefused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ConnectionException e = failure(server.client().port(port).build());
        assertThat(e.reason()).isEqualTo(Reason.CONNECTION_REFUSED);
        assertThat(e.getMessage()).contains("connection refused by 127.0.0.1:" + port);
    }

    @Test
    void timeoutWhenThePeerNeverAnswers() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    Socket s = silent.accept();
                    Thread.sleep(10_000);
                    s.close();
                } catch (Exception ignored) {
                    // closed by the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            ConnectionException e = failure(server.client().port(silent.getLocalPort())
                    .timeout(Duration.ofMillis(500)).build());
            assertThat(e.reason()).isEqualTo(Reason.TIMEOUT);
            assertThat(e.getMessage()).contains("timed out").contains("500ms");
            acceptor.interrupt();
        }
    }

    @Test
    void mutualTlsRequiresAClientCertificateFromTheCa() throws IOException {
        Path d = dir.resolve("mutual");
        Duration days = Duration.ofDays(1);
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("test CA", days);
        CertificateGenerator.Issued srv = CertificateGenerator.signedServer(ca, "server",
                CertificateGenerator.defaultServerNames(List.of()), days);
        CertificateGenerator.Issued cli = CertificateGenerator.signedClient(ca, "client", days);
        CertificateGenerator.Issued stranger = CertificateGenerator.selfSignedServer("stranger", List.of("x"), days);
        Pem.writeCertificates(d.resolve("ca.crt"), List.of(ca.certificate()));
        Pem.writeCertificates(d.resolve("server.crt"), List.of(srv.certificate()));
        Pem.writePrivateKey(d.resolve("server.key"), srv.privateKey());
        Pem.writeCertificates(d.resolve("client.crt"), List.of(cli.certificate()));
        Pem.writePrivateKey(d.resolve("client.key"), cli.privateKey());
        Pem.writeCertificates(d.resolve("stranger.crt"), List.of(stranger.certificate()));
        Pem.writePrivateKey(d.resolve("stranger.key"), stranger.privateKey());
        try (TestServer s = TestServer.start(TestServer.base(d.resolve("data")).tlsCert(d.resolve("server.crt"))
                .tlsKey(d.resolve("server.key")).clientCa(d.resolve("ca.crt")))) {
            ClientConfig.Builder base = s.client().caFile(d.resolve("ca.crt"));
            try (LogwireClient c = LogwireClient.connect(base.certFile(d.resolve("client.crt"))
                    .keyFile(d.resolve("client.key")).build(), resources)) {
                assertThat(c.sync().doubleValue(21)).isEqualTo(42);
            }
            ConnectionException none = failure(base.certFile(null).keyFile(null).build());
            assertThat(none.reason()).isEqualTo(Reason.CLIENT_CERTIFICATE_REJECTED);
            assertThat(none.getMessage()).contains("requires a client certificate");
            ConnectionException wrong = failure(base.certFile(d.resolve("stranger.crt"))
                    .keyFile(d.resolve("stranger.key")).build());
            assertThat(wrong.reason()).isEqualTo(Reason.CLIENT_CERTIFICATE_REJECTED);
            assertThat(wrong.getMessage()).contains("does not accept the client certificate");
        }
    }

    @Test
    void insecureModeAcceptsAnUntrustedCertificate() {
        try (LogwireClient c = LogwireClient.connect(server.client().caFile(null).insecure(true).build(), resources)) {
            assertThat(c.sync().echo("ok")).isEqualTo("ok");
        }
    }

    @Test
    void missingCaFileIsAConfigurationError() {
        assertThatThrownBy(() -> LogwireClient.connect(server.client().caFile(dir.resolve("nope.crt")).build(),
                resources)).isInstanceOf(ConfigurationException.class).hasMessageContaining("nope.crt: no such file");
    }
}
