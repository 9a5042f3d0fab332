package io.logwire.server;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.tls.TlsPolicy;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS hardening (docs/security.md "TLS"): protocol versions, TLS 1.2 suites, key file permissions, expiry gauge. */
class TlsHardeningTest {
    @TempDir
    Path dir;

    @Test
    void tls13OnlyRefusesATls12OnlyClient() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"), b -> b.tls13Only(true));
        Path cert = server.tls().certificate();
        try {
            assertThatThrownBy(() -> TestClient.connect(server.port(), client(cert, "TLSv1.2", null), true).close())
                    .isNotNull();
            try (TestClient ok = TestClient.connect(server.port(), client(cert, "TLSv1.3", null), true)) {
                AbuseLimitsTest.assertDoubles(ok, 4);
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void tls12IsLimitedToEcdheWithAeadCiphers() throws Exception {
        LogwireServer server = TestServers.start(dir.resolve("data"), b -> { });
        Path cert = server.tls().certificate();
        try {
            // CBC suites (for both key types), which a default JDK client would offer.
            List<String> cbc = List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
            assertThatThrownBy(() -> TestClient.connect(server.port(), client(cert, "TLSv1.2", cbc), true).close())
                    .isNotNull();
            try (TestClient ok = TestClient.connect(server.port(),
                    client(cert, "TLSv1.2", TlsPolicy.TLS12_CIPHERS), true)) {
                AbuseLimitsTest.assertDoubles(ok, 5);
            }
            try (TestClient ok = TestClient.connect(server.port(), client(cert, "TLSv1.3", null), true)) {
                AbuseLimitsTest.assertDoubles(ok, 6);
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void aPrivateKeyReadableByOthersIsRefusedAtStartUnlessAllowed() throws Exception {
        CertificateGenerator.Issued issued = CertificateGenerator.selfSignedServer("given",
                List.of("localhost", "127.0.0.1"), CertificateGenerator.DEFAULT_VALIDITY);
        Path certFile = dir.resolve("given.crt");
        Path keyFile = dir.resolve("given.key");
        Pem.writeCertificates(certFile, List.of(issued.certificate()));
        Pem.writePrivateKey(keyFile, issued.privateKey());
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> TestServers.start(dir.resolve("data1"), b -> b.tlsCert(certFile).tlsKey(keyFile)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(keyFile.toAbsolutePath().toString())
                .hasMessageContaining("chmod 600 " + keyFile.toAbsolutePath())
                .hasMessageContaining("--allow-readable-key");

        LogwireServer allowed = TestServers.start(dir.resolve("data2"),
                b -> b.tlsCert(certFile).tlsKey(keyFile).allowReadableKey(true));
        allowed.stop();

        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        LogwireServer fixed = TestServers.start(dir.resolve("data3"), b -> b.tlsCert(certFile).tlsKey(keyFile)
                .metricsPort(ServerConfig.LISTENER_EPHEMERAL));
        try {
            String metrics = fixed.stats().metrics().scrape();
            double seconds = Double.parseDouble(metrics.lines()
                    .filter(l -> l.startsWith("logwire_tls_certificate_expiry_seconds ")).findFirst().orElseThrow()
                    .split(" ")[1]);
            double expected = java.time.Duration.between(java.time.Instant.now(), fixed.tls().notAfter()).toSeconds();
            assertThat(seconds).isBetween(expected - 60, expected + 60).isPositive();
        } finally {
            fixed.stop();
        }
    }

    private static SslContext client(Path cert, String protocol, List<String> ciphers) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(cert.toFile())
                .protocols(protocol);
        if (ciphers != null) {
            b.ciphers(ciphers);
        }
        return b.build();
    }
}
