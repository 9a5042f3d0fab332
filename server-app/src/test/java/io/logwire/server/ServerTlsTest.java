package io.logwire.server;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS material: the generated certificate, given PEM files in every key format, and mutual TLS. */
class ServerTlsTest {
    @TempDir
    Path dir;

    @Test
    void aGeneratedCertificateIsOwnerOnlyAndReusedOnTheNextStart() throws Exception {
        Path data = dir.resolve("data");
        LogwireServer first = TestServers.start(data, b -> b.tlsSans(List.of("logs.example.com")));
        String fingerprint = first.tls().fingerprint();
        Path key = data.resolve("tls").resolve("server.key");
        assertThat(first.tls().generated()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        X509Certificate cert = Pem.readCertificates(first.tls().certificate()).get(0);
        List<String> names = cert.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList();
        assertThat(names).contains("localhost", "127.0.0.1", "logs.example.com");
        echo(first, first.tls().certificate());
        first.stop();

        LogwireServer second = TestServers.start(data, b -> { });
        try {
            assertThat(second.tls().generated()).isFalse();
            assertThat(second.tls().fingerprint()).isEqualTo(fingerprint);
            echo(second, second.tls().certificate());
        } finally {
            second.stop();
        }
    }

    @Test
    void givenCertificatesWorkWithRsaPkcs1EcTraditionalAndPkcs8Keys() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair rsaKeys = rsa.generateKeyPair();
        X509Certificate rsaCert = selfSigned(rsaKeys, "SHA256withRSA");
        serveWith(rsaCert, rsaKeys.getPrivate(), "RSA PRIVATE KEY", false);

        // A Bouncy Castle key writes the SEC1 form openssl writes (curve and public key included).
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        KeyPair ecKeys = ec.generateKeyPair();
        X509Certificate ecCert = selfSigned(ecKeys, "SHA256withECDSA");
        serveWith(ecCert, ecKeys.getPrivate(), "EC PRIVATE KEY", false);
        serveWith(ecCert, ecKeys.getPrivate(), "PRIVATE KEY", true);
    }

    private void serveWith(X509Certificate cert, PrivateKey key, String expectedPemType, boolean pkcs8)
            throws Exception {
        Path certFile = dir.resolve("given.crt");
        Path keyFile = dir.resolve("given.key");
        Pem.writeCertificates(certFile, List.of(cert));
        if (pkcs8) {
            Pem.writePrivateKey(keyFile, key);
        } else {
            try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
                pem.writeObject(key); // traditional OpenSSL form
            }
            // The server refuses a key file that group or others can read (docs/security.md).
            Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        assertThat(Files.readString(keyFile)).contains("BEGIN " + expectedPemType);
        LogwireServer server = TestServers.start(dir.resolve("data-" + expectedPemType.charAt(0) + pkcs8),
                b -> b.tlsCert(certFile).tlsKey(keyFile));
        try {
            assertThat(server.tls().generated()).isFalse();
            echo(server, certFile);
        } finally {
            server.stop();
        }
    }

    @Test
    void mutualTlsAdmitsOnlyClientsWithACertificateFromTheCa() throws Exception {
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
            assertThat(server.tls().mutual()).isTrue();
            SslContext withCert = SslContextBuilder.forClient().trustManager(ca.certificate())
                    .keyManager(clientCert.privateKey(), clientCert.certificate()).build();
            try (TestClient c = TestClient.connect(server.port(), withCert, true)) {
                c.send(new Request.NegateValue(1, 5));
                assertThat(c.next()).isEqualTo(new Reply.NegateOk(1, -5));
            }
            SslContext withoutCert = SslContextBuilder.forClient().trustManager(ca.certificate()).build();
            assertThatThrownBy(() -> {
                try (TestClient c = TestClient.connect(server.port(), withoutCert, true)) {
                    // TLS 1.3 reports the refusal after the client's handshake completes.
                    c.send(new Request.NegateValue(1, 5));
                    c.next();
                }
            }).isInstanceOfAny(Exception.class, AssertionError.class);
        } finally {
            server.stop();
        }
    }

    private static void echo(LogwireServer server, Path trust) throws Exception {
        try (TestClient c = TestClient.connect(server.port(), trust)) {
            c.send(new Request.DoubleValue(3, 4));
            assertThat(c.next()).isEqualTo(new Reply.DoubleOk(3, 8));
        }
    }

    private static X509Certificate selfSigned(KeyPair keys, String algorithm) throws Exception {
        X500Name name = new X500Name("CN=localhost");
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(86400)), name, keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())));
    }
}
