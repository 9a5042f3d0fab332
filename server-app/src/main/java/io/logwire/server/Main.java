package io.logwire.server;

import io.logwire.server.backup.BackupCommand;
import io.logwire.server.backup.RestoreCommand;
import io.logwire.server.backup.VerifyBackupCommand;
import io.logwire.server.store.FsyncPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code logwire-server}: starts the server and runs until SIGTERM or SIGINT, then drains and
 * exits 0; SIGHUP reloads the TLS certificate. Subcommands back up and restore the embedded store.
 */
@Command(name = "logwire-server", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true, usageHelpWidth = 110,
        subcommands = {BackupCommand.class, RestoreCommand.class, VerifyBackupCommand.class},
        description = {"The logwire log ingest-and-query server (TLS binary protocol, durable embedded store).",
                "Every option can also be set with the environment variable shown in its description."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly (also after SIGTERM/SIGINT)", "1:invalid options",
                "2:could not start (TLS material, data directory, address in use)"})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    @Option(names = "--bind", defaultValue = "${env:LOGWIRE_BIND:-" + ServerConfig.DEFAULT_BIND_ADDRESS + "}",
            description = "Address to listen on (env LOGWIRE_BIND).")
    String bind;

    @Option(names = "--port", defaultValue = "${env:LOGWIRE_PORT:-" + ServerConfig.DEFAULT_PORT + "}",
            description = "TCP port; 0 picks a free one (env LOGWIRE_PORT).")
    int port;

    @Option(names = "--data-dir", defaultValue = "${env:LOGWIRE_DATA_DIR:-" + ServerConfig.DEFAULT_DATA_DIR + "}",
            description = "Where the store and a generated certificate live (env LOGWIRE_DATA_DIR).")
    Path dataDir;

    @Option(names = "--tls-cert", defaultValue = "${env:LOGWIRE_TLS_CERT}",
            description = "PEM certificate chain; without it a self-signed one is generated in <data-dir>/tls "
                    + "(env LOGWIRE_TLS_CERT).")
    Path tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:LOGWIRE_TLS_KEY}",
            description = "PEM private key (PKCS#8, RSA or EC) for --tls-cert (env LOGWIRE_TLS_KEY).")
    Path tlsKey;

    @Option(names = "--tls-san", split = ",", defaultValue = "${env:LOGWIRE_TLS_SAN}",
            description = "Extra names (DNS or IP) for a generated certificate, comma-separated (env LOGWIRE_TLS_SAN).")
    List<String> tlsSans = new ArrayList<>();

    @Option(names = "--client-ca", defaultValue = "${env:LOGWIRE_CLIENT_CA}",
            description = "PEM CA: require client certificates signed by it (mutual TLS) (env LOGWIRE_CLIENT_CA).")
    Path clientCa;

    @Option(names = "--plaintext", defaultValue = "${env:LOGWIRE_PLAINTEXT:-false}",
            description = "Serve WITHOUT TLS (debugging only; logs a warning) (env LOGWIRE_PLAINTEXT).")
    boolean plaintext;

    @Option(names = "--max-frame", defaultValue = "${env:LOGWIRE_MAX_FRAME:-16MiB}", converter = SizeConverter.class,
            description = "Largest frame accepted, announced in HELLO_OK (env LOGWIRE_MAX_FRAME).")
    long maxFrame;

    @Option(names = "--max-connections",
            defaultValue = "${env:LOGWIRE_MAX_CONNECTIONS:-" + ServerConfig.DEFAULT_MAX_CONNECTIONS + "}",
            description = "Connections beyond this get ERROR OVERLOADED and are closed (env LOGWIRE_MAX_CONNECTIONS).")
    int maxConnections;

    @Option(names = "--max-in-flight",
            defaultValue = "${env:LOGWIRE_MAX_IN_FLIGHT:-" + ServerConfig.DEFAULT_MAX_IN_FLIGHT + "}",
            description = "Requests in flight per connection before the server stops reading it "
                    + "(env LOGWIRE_MAX_IN_FLIGHT).")
    int maxInFlight;

    @Option(names = "--idle-timeout", defaultValue = "${env:LOGWIRE_IDLE_TIMEOUT:-5m}",
            converter = DurationConverter.class,
            description = "Close a connection that completes no frame for this long and has nothing in flight "
                    + "(env LOGWIRE_IDLE_TIMEOUT).")
    java.time.Duration idleTimeout;

    @Option(names = "--handshake-timeout", defaultValue = "${env:LOGWIRE_HANDSHAKE_TIMEOUT:-10s}",
            converter = DurationConverter.class,
            description = "Close a connection whose TLS handshake takes longer (env LOGWIRE_HANDSHAKE_TIMEOUT).")
    java.time.Duration handshakeTimeout;

    @Option(names = "--fsync", defaultValue = "${env:LOGWIRE_FSYNC:-always}", converter = FsyncConverter.class,
            description = "always: fsync before every acknowledgement (group commit); batch: every --fsync-interval, "
                    + "a crash can lose that much; never: leave it to the OS (env LOGWIRE_FSYNC).")
    FsyncPolicy fsync;

    @Option(names = "--fsync-interval", defaultValue = "${env:LOGWIRE_FSYNC_INTERVAL:-100ms}",
            converter = DurationConverter.class, description = "Interval for --fsync batch (env LOGWIRE_FSYNC_INTERVAL).")
    java.time.Duration fsyncInterval;

    @Option(names = "--segment-size", defaultValue = "${env:LOGWIRE_SEGMENT_SIZE:-256MiB}",
            converter = SizeConverter.class, description = "Size at which store segments roll (env LOGWIRE_SEGMENT_SIZE).")
    long segmentSize;

    @Option(names = "--retention-size", defaultValue = "${env:LOGWIRE_RETENTION_SIZE:-0}",
            converter = SizeConverter.class,
            description = "Delete whole oldest segments beyond this total size; 0 keeps everything "
                    + "(env LOGWIRE_RETENTION_SIZE).")
    long retentionSize;

    @Option(names = "--retention-age", defaultValue = "${env:LOGWIRE_RETENTION_AGE:-0}",
            converter = DurationConverter.class,
            description = "Delete whole segments older than this; 0 keeps everything (env LOGWIRE_RETENTION_AGE).")
    java.time.Duration retentionAge;

    @Option(names = "--shutdown-timeout", defaultValue = "${env:LOGWIRE_SHUTDOWN_TIMEOUT:-30s}",
            converter = DurationConverter.class,
            description = "How long SIGTERM waits for requests in flight (env LOGWIRE_SHUTDOWN_TIMEOUT).")
    java.time.Duration shutdownTimeout;

    @Option(names = "--worker-threads", defaultValue = "${env:LOGWIRE_WORKER_THREADS:-0}",
            description = "Event-loop threads; 0 = 2 x cores (env LOGWIRE_WORKER_THREADS).")
    int workerThreads;

    @Option(names = "--scan-threads", defaultValue = "${env:LOGWIRE_SCAN_THREADS:-0}",
            description = "Threads for query/search scans; 0 = cores, at least 2. A scan over more than 512Ki "
                    + "entries is split across up to this many threads (0 = cores; 1 = never) (env LOGWIRE_SCAN_THREADS).")
    int scanThreads;

    @Option(names = "--legacy-port", defaultValue = "${env:LOGWIRE_LEGACY_PORT:-off}", converter = PortConverter.class,
            description = "Port for the tutorial's raw log protocol (docs/compat.md); TLS unless --legacy-plaintext; "
                    + "off or 0 = off (env LOGWIRE_LEGACY_PORT).")
    int legacyPort;

    @Option(names = "--legacy-plaintext", defaultValue = "${env:LOGWIRE_LEGACY_PLAINTEXT:-false}",
            description = "Serve --legacy-port WITHOUT TLS, as the tutorial's plain client needs; logs a warning "
                    + "(env LOGWIRE_LEGACY_PLAINTEXT).")
    boolean legacyPlaintext;

    @Option(names = "--app-port", defaultValue = "${env:LOGWIRE_APP_PORT:-off}", converter = PortConverter.class,
            description = "Port for the tutorial's JSON-header app protocol (search/double/negate), PLAINTEXT; "
                    + "off or 0 = off (env LOGWIRE_APP_PORT).")
    int appPort;

    @Option(names = "--echo-port", defaultValue = "${env:LOGWIRE_ECHO_PORT:-off}", converter = PortConverter.class,
            description = "Port for the tutorial's echo protocol, PLAINTEXT; off or 0 = off (env LOGWIRE_ECHO_PORT).")
    int echoPort;

    @Option(names = "--tls-watch-interval", defaultValue = "${env:LOGWIRE_TLS_WATCH_INTERVAL:-10s}",
            converter = DurationConverter.class,
            description = "How often to check --tls-cert/--tls-key/--client-ca for changes and reload them; "
                    + "0 = only on SIGHUP (env LOGWIRE_TLS_WATCH_INTERVAL).")
    java.time.Duration tlsWatchInterval;

    @Option(names = "--metrics-port", defaultValue = "${env:LOGWIRE_METRICS_PORT:-off}", converter = PortConverter.class,
            description = "HTTP port for Prometheus metrics (/metrics) and the /healthz and /readyz probes "
                    + "(docs/operations.md); off or 0 = off (env LOGWIRE_METRICS_PORT).")
    int metricsPort;

    @Option(names = "--metrics-bind",
            defaultValue = "${env:LOGWIRE_METRICS_BIND:-" + ServerConfig.DEFAULT_METRICS_BIND_ADDRESS + "}",
            description = "Address of --metrics-port. Loopback by default because that port has no TLS and no "
                    + "authentication and shows traffic figures: use 0.0.0.0 only where the network is trusted "
                    + "(e.g. for a Prometheus in another container) (env LOGWIRE_METRICS_BIND).")
    String metricsBind;

    // ---- abuse limits and TLS hardening (docs/security.md)
    @Option(names = "--max-connections-per-address",
            defaultValue = "${env:LOGWIRE_MAX_CONNECTIONS_PER_ADDRESS:-"
                    + ServerConfig.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS + "}",
            description = "Connections from one client IP address beyond this get ERROR OVERLOADED and are closed "
                    + "(env LOGWIRE_MAX_CONNECTIONS_PER_ADDRESS).")
    int maxConnectionsPerAddress;

    @Option(names = "--max-request-rate",
            defaultValue = "${env:LOGWIRE_MAX_REQUEST_RATE:-" + ServerConfig.DEFAULT_MAX_REQUEST_RATE + "}",
            description = "Requests per second per connection (token bucket, bursts of one second's worth); "
                    + "requests over it get ERROR OVERLOADED; 0 = no limit (env LOGWIRE_MAX_REQUEST_RATE).")
    int maxRequestRate;

    @Option(names = "--max-byte-rate", defaultValue = "${env:LOGWIRE_MAX_BYTE_RATE:-256MiB}",
            converter = SizeConverter.class,
            description = "Bytes per second one connection may send (on the wire, TLS included); a faster sender "
                    + "is slowed down by pausing its reads, not failed; 0 = no limit (env LOGWIRE_MAX_BYTE_RATE).")
    long maxByteRate;

    @Option(names = "--max-queries-per-connection",
            defaultValue = "${env:LOGWIRE_MAX_QUERIES_PER_CONNECTION:-"
                    + ServerConfig.DEFAULT_MAX_QUERIES_PER_CONNECTION + "}",
            description = "QUERY/SEARCH running at once on one connection; more get ERROR OVERLOADED "
                    + "(env LOGWIRE_MAX_QUERIES_PER_CONNECTION).")
    int maxQueriesPerConnection;

    @Option(names = "--max-queries", defaultValue = "${env:LOGWIRE_MAX_QUERIES:-" + ServerConfig.DEFAULT_MAX_QUERIES + "}",
            description = "QUERY/SEARCH running at once on the whole server; more get ERROR OVERLOADED "
                    + "(env LOGWIRE_MAX_QUERIES).")
    int maxQueries;

    @Option(names = "--query-timeout", defaultValue = "${env:LOGWIRE_QUERY_TIMEOUT:-2m}",
            converter = DurationConverter.class,
            description = "A QUERY/SEARCH running longer is cancelled: its stream ends with ERROR OVERLOADED after "
                    + "the rows already sent; 0 = no limit (env LOGWIRE_QUERY_TIMEOUT).")
    java.time.Duration queryTimeout;

    @Option(names = "--max-handshake-rate",
            defaultValue = "${env:LOGWIRE_MAX_HANDSHAKE_RATE:-" + ServerConfig.DEFAULT_MAX_HANDSHAKE_RATE + "}",
            description = "New TLS connections per second (bursts of one second's worth); more are closed at accept, "
                    + "before the handshake; 0 = no limit (env LOGWIRE_MAX_HANDSHAKE_RATE).")
    int maxHandshakeRate;

    @Option(names = "--tls13-only", defaultValue = "${env:LOGWIRE_TLS13_ONLY:-false}",
            description = "Accept TLS 1.3 only (TLS 1.2 clients fail the handshake) (env LOGWIRE_TLS13_ONLY).")
    boolean tls13Only;

    @Option(names = "--allow-readable-key", defaultValue = "${env:LOGWIRE_ALLOW_READABLE_KEY:-false}",
            description = "Start even if the private key file is readable by group or others (logs a warning); "
                    + "without it the server refuses (env LOGWIRE_ALLOW_READABLE_KEY).")
    boolean allowReadableKey;

    ServerConfig config() {
        if (maxFrame > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("--max-frame must be below 2GiB");
        }
        return ServerConfig.builder()
                .bindAddress(bind).port(port).dataDir(dataDir)
                .tlsCert(tlsCert).tlsKey(tlsKey).tlsSans(tlsSans).clientCa(clientCa).plaintext(plaintext)
                .maxFrameLength((int) maxFrame).maxConnections(maxConnections).maxInFlight(maxInFlight)
                .idleTimeout(idleTimeout).handshakeTimeout(handshakeTimeout)
                .fsync(fsync).fsyncInterval(fsyncInterval).segmentBytes(segmentSize)
                .retentionBytes(retentionSize).retentionAge(retentionAge)
                .shutdownTimeout(shutdownTimeout).workerThreads(workerThreads).scanThreads(scanThreads)
                .legacyPort(legacyPort).legacyPlaintext(legacyPlaintext).appPort(appPort).echoPort(echoPort)
                .tlsWatchInterval(tlsWatchInterval)
                .metricsPort(metricsPort).metricsBindAddress(metricsBind)
                .maxConnectionsPerAddress(maxConnectionsPerAddress).maxRequestRate(maxRequestRate)
                .maxByteRate(maxByteRate).maxQueriesPerConnection(maxQueriesPerConnection).maxQueries(maxQueries)
                .queryTimeout(queryTimeout).maxHandshakeRate(maxHandshakeRate)
                .tls13Only(tls13Only).allowReadableKey(allowReadableKey)
                .build();
    }

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("logwire-server: " + e.getMessage());
            return 1;
        }
        LogwireServer server = new LogwireServer(config, Stores::open);
        try {
            server.start();
        } catch (Exception e) {
            log.error("could not start: {}", e.getMessage());
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        if (!Signals.onReload(() -> server.reloadTls("SIGHUP"))) {
            log.warn("SIGHUP cannot be handled here (ignored by the parent, e.g. nohup, or -Xrs): TLS files are "
                    + "reloaded only when --tls-watch-interval sees them change");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "logwire-shutdown-hook"));
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("termination signal received");
        server.stop();
        return 0;
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> 1);
        int code = cl.execute(args);
        System.exit(code);
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<java.time.Duration> {
        @Override
        public java.time.Duration convert(String value) {
            return Units.duration(value);
        }
    }

    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Units.bytes(value);
        }
    }

    /** A compat listener port: {@code off} or 0 (off), or 1..65535. */
    static final class PortConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String v = value.trim();
            if (v.equalsIgnoreCase("off")) {
                return ServerConfig.LISTENER_OFF;
            }
            int port = Integer.parseInt(v);
            if (port < 0 || port > 65535) {
                throw new CommandLine.TypeConversionException("a port is off, 0 (off) or 1..65535: " + value);
            }
            return port;
        }
    }

    static final class FsyncConverter implements CommandLine.ITypeConverter<FsyncPolicy> {
        @Override
        public FsyncPolicy convert(String value) {
            return FsyncPolicy.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"logwire-server " + ServerVersion.VERSION};
        }
    }
}
