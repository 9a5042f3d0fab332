package io.logwire.client;

import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.frame.FrameConstants;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Immutable client configuration; build with {@link #builder()}. Defaults are the
 * {@code DEFAULT_*} constants, which the CLI's {@code --help} shows. TLS is on unless
 * {@link #plaintext()}; the system trust store is used unless {@link #caFile()} or
 * {@link #insecure()} say otherwise (PROTOCOL.md section 1).
 *
 * @param host            server host name or address
 * @param port            server port
 * @param caFile          PEM file of CA or self-signed server certificates to trust instead of the system store
 * @param insecure        accept any server certificate and skip hostname verification (testing only)
 * @param certFile        PEM client certificate chain for mutual TLS
 * @param keyFile         PEM private key of {@code certFile}
 * @param plaintext       no TLS at all
 * @param serverName      the name to send as SNI and to verify the certificate against; null = {@code host}
 * @param timeout         connect + handshake + HELLO, and each request's wait for its reply; zero = none
 * @param maxInFlight     requests sent and not yet answered, per connection; more wait for room
 * @param maxBufferedRows rows of a query result buffered for a slow consumer before the client stops reading
 * @param maxFrameLength  largest reply frame accepted
 * @param clientName      sent in HELLO
 * @param token           bearer token sent in AUTH right after HELLO (PROTOCOL.md 6.8), or null for none
 * @param protocolVersion the highest protocol version to offer in HELLO (1 or 2); a version-1 server
 *                        answering UNSUPPORTED_VERSION makes the client reconnect with version 1
 * @param compression     the codec to compress large requests with, and to announce for replies, when
 *                        the server accepts it (PROTOCOL.md 6.7); null = no compression
 */
public record ClientConfig(
        String host,
        int port,
        Path caFile,
        boolean insecure,
        Path certFile,
        Path keyFile,
        boolean plaintext,
        String serverName,
        Duration timeout,
        int maxInFlight,
        int maxBufferedRows,
        int maxFrameLength,
        String clientName,
        BearerToken token,
        int protocolVersion,
        CompressionCodec compression) {

    public static final String DEFAULT_HOST = "localhost";
    public static final int DEFAULT_PORT = FrameConstants.DEFAULT_PORT;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    public static final int DEFAULT_MAX_BUFFERED_ROWS = 16_384;
    public static final int DEFAULT_MAX_FRAME_LENGTH = 64 * 1024 * 1024;
    public static final int DEFAULT_PROTOCOL_VERSION = 2;
    public static final String DEFAULT_CLIENT_NAME = "logwire-client/" + ClientVersion.VERSION;

    public ClientConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(clientName, "clientName");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0 (0 = none): " + timeout);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max in-flight must be positive: " + maxInFlight);
        }
        if (maxBufferedRows < 2) {
            throw new IllegalArgumentException("max buffered rows must be at least 2: " + maxBufferedRows);
        }
        if (maxFrameLength < FrameConstants.MIN_FRAME_LENGTH) {
            throw new IllegalArgumentException("max frame length too small: " + maxFrameLength);
        }
        if (protocolVersion != 1 && protocolVersion != 2) {
            throw new IllegalArgumentException("protocol version must be 1 or 2: " + protocolVersion);
        }
        if (compression != null && protocolVersion < 2) {
            throw new IllegalArgumentException("compression needs protocol version 2");
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("--cert and --key go together (mutual TLS needs both)");
        }
        if (plaintext && (caFile != null || insecure || certFile != null)) {
            throw new IllegalArgumentException("--plaintext cannot be combined with --ca, --insecure, --cert or --key");
        }
        if (insecure && caFile != null) {
            throw new IllegalArgumentException("--insecure and --ca contradict each other: pick one");
        }
    }

    /** The name used for SNI and hostname verification. */
    public String effectiveServerName() {
        return serverName != null && !serverName.isBlank() ? serverName : host;
    }

    /** {@code host:port}, with brackets around IPv6 literals. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preset with this configuration. */
    public Builder toBuilder() {
        return new Builder().host(host).port(port).caFile(caFile).insecure(insecure).certFile(certFile)
                .keyFile(keyFile).plaintext(plaintext).serverName(serverName).timeout(timeout)
                .maxInFlight(maxInFlight).maxBufferedRows(maxBufferedRows).maxFrameLength(maxFrameLength)
                .clientName(clientName).token(token).protocolVersion(protocolVersion).compression(compression);
    }

    /** A duration the way people write it: 250ms, 30s, 5m. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000 || ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        return s % 60 == 0 && s >= 60 ? (s / 60) + "m" : s + "s";
    }

    /** Mutable builder; every field starts at its default. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private Path caFile;
        private boolean insecure;
        private Path certFile;
        private Path keyFile;
        private boolean plaintext;
        private String serverName;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxBufferedRows = DEFAULT_MAX_BUFFERED_ROWS;
        private int maxFrameLength = DEFAULT_MAX_FRAME_LENGTH;
        private String clientName = DEFAULT_CLIENT_NAME;
        private BearerToken token;
        private int protocolVersion = DEFAULT_PROTOCOL_VERSION;
        private CompressionCodec compression;

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder caFile(Path v) { caFile = v; return this; }
        public Builder insecure(boolean v) { insecure = v; return this; }
        public Builder certFile(Path v) { certFile = v; return this; }
        public Builder keyFile(Path v) { keyFile = v; return this; }
        public Builder plaintext(boolean v) { plaintext = v; return this; }
        public Builder serverName(String v) { serverName = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder maxInFlight(int v) { maxInFlight = v; return this; }
        public Builder maxBufferedRows(int v) { maxBufferedRows = v; return this; }
        public Builder maxFrameLength(int v) { maxFrameLength = v; return this; }
        public Builder clientName(String v) { clientName = v; return this; }
        public Builder token(BearerToken v) { token = v; return this; }
        /** The token as text; null for none. */
        public Builder token(String v) { token = v == null ? null : new BearerToken(v); return this; }
        public Builder protocolVersion(int v) { protocolVersion = v; return this; }
        public Builder compression(CompressionCodec v) { compression = v; return this; }

        public ClientConfig build() {
            return new ClientConfig(host, port, caFile, insecure, certFile, keyFile, plaintext, serverName, timeout,
                    maxInFlight, maxBufferedRows, maxFrameLength, clientName, token, protocolVersion, compression);
        }
    }
}
