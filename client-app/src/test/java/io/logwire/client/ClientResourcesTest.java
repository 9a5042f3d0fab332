package io.logwire.client;

import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientResourcesTest {
    @TempDir
    Path dir;
    final ClientResources resources = ClientResources.create(1);

    @AfterEach
    void close() {
        resources.close();
    }

    private Path writeCa(String name) throws IOException {
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority(name, Duration.ofDays(1));
        Path file = dir.resolve(name + ".crt");
        Pem.writeCertificates(file, List.of(ca.certificate()));
        return file;
    }

    private ClientConfig config(Path ca) {
        return ClientConfig.builder().host("127.0.0.1").port(1).caFile(ca).build();
    }

    @Test
    void sameSettingsShareOneContext() throws IOException {
        Path ca = writeCa("ca-a");
        SslContext first = resources.sslContext(config(ca));
        assertThat(resources.sslContext(config(ca))).isSameAs(first);
        assertThat(resources.sslContext(ClientConfig.builder().host("127.0.0.1").port(1).insecure(true).build()))
                .isNotSameAs(first);
    }

    @Test
    void aReplacedPemFileGivesANewContext() throws IOException {
        Path ca = writeCa("ca-a");
        SslContext first = resources.sslContext(config(ca));
        Path other = writeCa("ca-b");
        Files.move(other, ca, StandardCopyOption.REPLACE_EXISTING); // rotation by rename
        Files.setLastModifiedTime(ca, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(resources.sslContext(config(ca))).isNotSameAs(first);
    }

    @Test
    void aMissingFileIsAnErrorEveryTimeAndIsNotCached() {
        Path missing = dir.resolve("nope.crt");
        assertThatThrownBy(() -> resources.sslContext(config(missing)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no such file");
        assertThatThrownBy(() -> resources.sslContext(config(missing)))
                .isInstanceOf(ConfigurationException.class);
    }
}
