package io.logwire.server;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real {@code kill -HUP} to the packaged server: the JVM's default would be to shut down;
 * the server reloads its certificate instead, keeps open connections and keeps running.
 */
class TlsReloadIT {
    @TempDir
    Path dir;

    @Test
    void sighupReloadsTheCertificateOfARunningServer() throws Exception {
        List<String> names = List.of("localhost", "127.0.0.1");
        CertificateGenerator.Issued a = CertificateGenerator.selfSignedServer("A", names, Duration.ofDays(1));
        CertificateGenerator.Issued b = CertificateGenerator.selfSignedServer("B", names, Duration.ofDays(1));
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        Pem.writeCertificates(cert, List.of(a.certificate()));
        Pem.writePrivateKey(key, a.privateKey());
        SslContext trust = SslContextBuilder.forClient().trustManager(a.certificate(), b.certificate()).build();

        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), "--tls-cert", cert.toString(),
                "--tls-key", key.toString(), "--tls-watch-interval", "0");
             TestClient first = TestClient.connect(server.port, trust, true)) {
            assertThat(fingerprint(first)).isEqualTo(Pem.sha256Fingerprint(a.certificate()));

            Pem.writeCertificates(dir.resolve("new.crt"), List.of(b.certificate()));
            Pem.writePrivateKey(dir.resolve("new.key"), b.privateKey());
            Files.move(dir.resolve("new.crt"), cert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(dir.resolve("new.key"), key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(server.process.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();

            String seen = null;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                try (TestClient c = TestClient.connect(server.port, trust, true)) {
                    seen = fingerprint(c);
                }
                if (seen.equals(Pem.sha256Fingerprint(b.certificate()))) {
                    break;
                }
                Thread.sleep(50);
            }
            assertThat(seen).isEqualTo(Pem.sha256Fingerprint(b.certificate()));
            assertThat(server.process.isAlive()).as("SIGHUP did not stop the JVM").isTrue();
            first.send(new Request.DoubleValue(1, 21));
            assertThat(first.next()).isEqualTo(new Reply.DoubleOk(1, 42));
            assertThat(server.terminate()).isZero();
        }
    }

    private static String fingerprint(TestClient c) throws Exception {
        SslHandler ssl = c.channel().pipeline().get(SslHandler.class);
        return Pem.sha256Fingerprint((X509Certificate) ssl.engine().getSession().getPeerCertificates()[0]);
    }
}
