package io.logwire.client;

import io.logwire.tls.Pem;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Builds the client's {@link SslContext} (PROTOCOL.md section 1): TLS 1.2/1.3; the system
 * trust store, or the certificates of {@code --ca}, or (insecure mode) anything; hostname
 * verification ({@code HTTPS} endpoint identification) unless insecure; a client certificate
 * for mutual TLS. OpenSSL (BoringSSL) when available, the JDK provider otherwise.
 */
public final class ClientTls {
    /** Protocols the client offers. */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private ClientTls() {
    }

    /** The TLS implementation the client uses on this machine. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * @throws ConfigurationException if a PEM file is missing or unreadable
     */
    public static SslContext context(ClientConfig config) {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(provider()).protocols(PROTOCOLS);
        if (config.insecure()) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            if (config.caFile() != null) {
                List<X509Certificate> cas = read("--ca", config.caFile(), Pem::readCertificates);
                b.trustManager(cas);
            }
            // Hostname verification against the server name (or host), like HTTPS.
            b.endpointIdentificationAlgorithm("HTTPS");
        }
        if (config.certFile() != null) {
            List<X509Certificate> chain = read("--cert", config.certFile(), Pem::readCertificates);
            PrivateKey key = read("--key", config.keyFile(), Pem::readPrivateKey);
            b.keyManager(key, chain);
        }
        try {
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigurationException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private interface PemReader<T> {
        T read(Path file) throws IOException;
    }

    private static <T> T read(String option, Path file, PemReader<T> reader) {
        if (!Files.isReadable(file)) {
            throw new ConfigurationException(option + " " + file + ": "
                    + (Files.exists(file) ? "not readable" : "no such file"));
        }
        try {
            return reader.read(file);
        } catch (IOException | RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            // Pem's messages usually start with the file name already.
            throw new ConfigurationException(option + " " + (msg.startsWith(file.toString()) ? msg : file + ": " + msg), e);
        }
    }
}
