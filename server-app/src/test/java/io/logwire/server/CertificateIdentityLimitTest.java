package io.logwire.server;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --max-connections-per-identity} for client-certificate identities: the identity is
 * settled at the connection's first request, so the connection over the limit is refused then
 * (ERROR OVERLOADED on stream 0, closed). Token identities: AuthEndToEndTest.
 */
class CertificateIdentityLimitTest {
    @TempDir
    Path dir;

    @Test
    void aCertificateIdentityOverItsLimitIsRefusedAtItsFirstRequest() throws Exception {
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("limit CA", Duration.ofDays(1));
        CertificateGenerator.Issued serverCert = CertificateGenerator.signedServer(ca, "server",
                List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        Path caFile = dir.resolve("ca.crt");
        Path certFile = dir.resolve("server.crt");
        Path keyFile = dir.resolve("server.key");
        Pem.writeCertificates(caFile, List.of(ca.certificate()));
        Pem.writeCertificates(certFile, List.of(serverCert.certificate()));
        Pem.writePrivateKey(keyFile, serverCert.privateKey());
        Path policy = dir.resolve("policy.toml");
        Files.writeString(policy, "[[certificate]]\nname = \"shipper\"\nsubject-cn = \"shipper\"\n"
                + "issuer = \"CN=limit CA\"\nroles = [\"admin\"]\n");
        LogwireServer server = TestServers.start(dir.resolve("data"), b -> b.tlsCert(certFile).tlsKey(keyFile)
                .clientCa(caFile).authPolicy(policy).requireAuth(true).maxConnectionsPerIdentity(1));
        CertificateGenerator.Issued client = CertificateGenerator.signedClient(ca, "shipper", Duration.ofDays(1));
        SslContext ssl = SslContextBuilder.forClient().trustManager(ca.certificate())
                .keyManager(client.privateKey(), client.certificate()).build();
        try (TestClient first = TestClient.connect(server.port(), ssl, true);
             TestClient second = TestClient.connect(server.port(), ssl, true)) {
            first.send(new Request.Stats(1));
            assertThat(first.next()).isInstanceOf(Reply.StatsOk.class);
            second.send(new Request.Stats(1));
            Reply.Error e = (Reply.Error) second.next();
            assertThat(e.streamId()).isZero();
            assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED.code());
            assertThat(e.message()).contains("already holds 1 connections");
            assertThat(second.awaitClosed(5000)).isTrue();
            first.send(new Request.Stats(2));
            assertThat(first.next()).as("the identity's first connection is unaffected")
                    .isInstanceOf(Reply.StatsOk.class);
            first.close();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.auth().connectionsOf("cert:shipper") != 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            try (TestClient third = TestClient.connect(server.port(), ssl, true)) {
                third.send(new Request.Stats(1));
                assertThat(third.next()).as("a closed connection freed its place").isInstanceOf(Reply.StatsOk.class);
            }
        } finally {
            server.stop();
        }
    }
}
