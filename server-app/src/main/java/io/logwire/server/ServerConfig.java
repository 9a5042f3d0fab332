package io.logwire.server;

import io.logwire.protocol.frame.FrameConstants;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.clickhouse.ClickHouseConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Immutable server configuration. Defaults are the {@code DEFAULT_*} constants, which the
 * command line's {@code --help} shows. Build with {@link #builder()}.
 */
public record ServerConfig(
        String bindAddress,
        int port,
        Path dataDir,
        Path tlsCert,
        Path tlsKey,
        List<String> tlsSans,
        Path clientCa,
        boolean plaintext,
        int maxFrameLength,
        int maxConnections,
        int maxInFlight,
        Duration idleTimeout,
        Duration handshakeTimeout,
        FsyncPolicy fsync,
        Duration fsyncInterval,
        long segmentBytes,
        long retentionBytes,
        Duration retentionAge,
        Duration shutdownTimeout,
        int workerThreads,
        int scanThreads,
        int legacyPort,
        boolean legacyPlaintext,
        int appPort,
        int echoPort,
        Duration tlsWatchInterval,
        int metricsPort,
        String metricsBindAddress,
        int connectionLogRate,
        StoreBackend storeBackend,
        ClickHouseConfig clickHouse,
        boolean compressReplies,
        Duration dedupWindow,
        int dedupMaxBatches,
        boolean storeColumns,
        boolean storePreallocate,
        Path authPolicy,
        boolean requireAuth,
        int authMaxFailures,
        int authMaxFailuresPerAddress,
        int maxConnectionsPerAddress,
        int maxConnectionsPerIdentity,
        int maxRequestRate,
        long maxByteRate,
        int maxQueriesPerConnection,
        int maxQueries,
        Duration queryTimeout,
        int maxHandshakeRate,
        boolean tls13Only,
        boolean allowReadableKey,
        long tailBudget,
        int maxTails,
        int maxTailsPerConnection,
        int maxGroups) {

    public static final String DEFAULT_BIND_ADDRESS = "0.0.0.0";
    public static final int DEFAULT_PORT = FrameConstants.DEFAULT_PORT;
    public static final String DEFAULT_DATA_DIR = "data";
    public static final int DEFAULT_MAX_FRAME_LENGTH = FrameConstants.DEFAULT_MAX_FRAME_LENGTH;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final FsyncPolicy DEFAULT_FSYNC = FsyncPolicy.ALWAYS;
    public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofMillis(100);
    public static final long DEFAULT_SEGMENT_BYTES = 256L * 1024 * 1024;
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    /** A compat listener port (PROTOCOL.md Appendix A) with this value is off; the default. */
    public static final int LISTENER_OFF = 0;
    /** A compat listener port with this value binds a free port (for tests; see the server's *Port()). */
    public static final int LISTENER_EPHEMERAL = -1;
    /** How often the TLS files are checked for changes (reloaded when they change); zero = only on SIGHUP. */
    public static final Duration DEFAULT_TLS_WATCH_INTERVAL = Duration.ofSeconds(10);
    /** The metrics port is loopback-only unless configured: it has no TLS and no authentication. */
    public static final String DEFAULT_METRICS_BIND_ADDRESS = "127.0.0.1";
    /** Connection-log lines a second before they are suppressed and summarised. */
    public static final int DEFAULT_CONNECTION_LOG_RATE = 100;
    /** Replies are compressed for clients whose HELLO version 2 accepts a codec ({@code --compress-replies auto}). */
    public static final boolean DEFAULT_COMPRESS_REPLIES = true;
    /** UPLOAD_ONCE batch ids are remembered at least this long (PROTOCOL.md 6.2's default). */
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofHours(24);
    /** At most this many UPLOAD_ONCE batch ids are remembered (about 160 bytes of heap each). */
    public static final int DEFAULT_DEDUP_MAX_BATCHES = 2_000_000;
    /** Failed AUTHs on one connection before it is closed (PROTOCOL.md 6.8). */
    public static final int DEFAULT_AUTH_MAX_FAILURES = 3;
    /** Failed AUTHs from one address per minute before its AUTHs are refused unchecked. */
    public static final int DEFAULT_AUTH_MAX_FAILURES_PER_ADDRESS = 20;
    /** Entries a live tail may fall behind the store's end before it is ended with OVERLOADED. */
    public static final long DEFAULT_TAIL_BUDGET = 100_000;
    /** Tails open at once on the whole server; one more is answered OVERLOADED. */
    public static final int DEFAULT_MAX_TAILS = 1_000;
    /** Tails open at once on one connection; one more is answered OVERLOADED. */
    public static final int DEFAULT_MAX_TAILS_PER_CONNECTION = 16;
    /** Distinct groups one AGGREGATE may hold before it is answered OVERLOADED. */
    public static final int DEFAULT_MAX_GROUPS = 100_000;

    public static final StoreBackend DEFAULT_STORE_BACKEND = StoreBackend.EMBEDDED;

    /** Where entries are stored (--store). */
    public enum StoreBackend {
        /** Segment files in the data directory. */
        EMBEDDED,
        /** A ClickHouse server or cluster ({@link #clickHouse()} says which). */
        CLICKHOUSE
    }
    // Abuse limits (docs/security.md); 0 turns a rate limit off.
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000;
    /** Connections one authenticated identity may hold open (with --require-auth). */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IDENTITY = 1000;
    public static final int DEFAULT_MAX_REQUEST_RATE = 50_000;
    public static final long DEFAULT_MAX_BYTE_RATE = 256L * 1024 * 1024;
    public static final int DEFAULT_MAX_QUERIES_PER_CONNECTION = 8;
    public static final int DEFAULT_MAX_QUERIES = 128;
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofMinutes(2);
    public static final int DEFAULT_MAX_HANDSHAKE_RATE = 1000;

    public ServerConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(dataDir, "dataDir");
        tlsSans = List.copyOf(tlsSans);
        Objects.requireNonNull(fsync, "fsync");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
        Objects.requireNonNull(metricsBindAddress, "metricsBindAddress");
        if (metricsPort < LISTENER_EPHEMERAL || metricsPort > 65535) {
            throw new IllegalArgumentException("the metrics port must be 0 (off), -1 (any free port) or 1..65535: "
                    + metricsPort);
        }
        for (int p : new int[] {legacyPort, appPort, echoPort}) {
            if (p < LISTENER_EPHEMERAL || p > 65535) {
                throw new IllegalArgumentException("compat listener ports must be 0 (off), -1 (any free port) "
                        + "or 1..65535: " + p);
            }
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (plaintext && (tlsCert != null || clientCa != null)) {
            throw new IllegalArgumentException("--plaintext cannot be combined with --tls-cert/--tls-key/--client-ca");
        }
        if (maxFrameLength < 1024) {
            throw new IllegalArgumentException("max frame length must be at least 1024: " + maxFrameLength);
        }
        if (maxConnections < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("max connections and max in-flight must be positive");
        }
        if (workerThreads < 0 || scanThreads < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0 (0 = automatic)");
        }
        positive("idle timeout", idleTimeout);
        positive("handshake timeout", handshakeTimeout);
        positive("shutdown timeout", shutdownTimeout);
        positive("fsync interval", fsyncInterval);
        Objects.requireNonNull(retentionAge, "retentionAge");
        if (retentionAge.isNegative() || retentionBytes < 0 || segmentBytes < 4096) {
            throw new IllegalArgumentException("retention must be >= 0 and segments at least 4096 bytes");
        }
        Objects.requireNonNull(tlsWatchInterval, "tlsWatchInterval");
        if (tlsWatchInterval.isNegative()) {
            throw new IllegalArgumentException("TLS watch interval must be >= 0 (0 = only on SIGHUP): "
                    + tlsWatchInterval);
        }
        if (connectionLogRate < 0) {
            throw new IllegalArgumentException("connection log rate must be >= 0 (0 = off): " + connectionLogRate);
        }
        Objects.requireNonNull(storeBackend, "storeBackend");
        if (storeBackend == StoreBackend.CLICKHOUSE && clickHouse == null) {
            throw new IllegalArgumentException("--store clickhouse needs the ClickHouse settings");
        }
        positive("dedup window", dedupWindow);
        if (dedupMaxBatches < 1) {
            throw new IllegalArgumentException("dedup max batches must be at least 1: " + dedupMaxBatches);
        }
        if (requireAuth && authPolicy == null) {
            throw new IllegalArgumentException("--require-auth needs --auth-policy (the file of tokens and "
                    + "certificate identities; 'logwire-server token create' makes one)");
        }
        if (requireAuth && (legacyPort != LISTENER_OFF || appPort != LISTENER_OFF)) {
            throw new IllegalArgumentException("--require-auth cannot be combined with --legacy-port or --app-port: "
                    + "those tutorial protocols have no AUTH, so they would bypass the roles (docs/security.md)");
        }
        if (authMaxFailures < 0 || authMaxFailuresPerAddress < 0) {
            throw new IllegalArgumentException("failed-AUTH limits must be >= 0 (0 = no limit)");
        }
        if (maxConnectionsPerAddress < 1 || maxQueriesPerConnection < 1 || maxQueries < 1) {
            throw new IllegalArgumentException("max connections per address, max queries per connection and "
                    + "max queries must be positive");
        }
        if (maxConnectionsPerIdentity < 0) {
            throw new IllegalArgumentException("max connections per identity must be >= 0 (0 = no limit)");
        }
        if (maxRequestRate < 0 || maxByteRate < 0 || maxHandshakeRate < 0) {
            throw new IllegalArgumentException("request, byte and handshake rates must be >= 0 (0 = no limit)");
        }
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        if (queryTimeout.isNegative()) {
            throw new IllegalArgumentException("query timeout must be >= 0 (0 = no limit): " + queryTimeout);
        }
        if (plaintext && tls13Only) {
            throw new IllegalArgumentException("--tls13-only cannot be combined with --plaintext");
        }
        if (tailBudget < 1 || maxTails < 1 || maxTailsPerConnection < 1 || maxGroups < 1) {
            throw new IllegalArgumentException("tail budget, max tails (per connection) and max groups must be positive");
        }
    }

    private static void positive(String what, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preset with this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.bindAddress = bindAddress;
        b.port = port;
        b.dataDir = dataDir;
        b.tlsCert = tlsCert;
        b.tlsKey = tlsKey;
        b.tlsSans = tlsSans;
        b.clientCa = clientCa;
        b.plaintext = plaintext;
        b.maxFrameLength = maxFrameLength;
        b.maxConnections = maxConnections;
        b.maxInFlight = maxInFlight;
        b.idleTimeout = idleTimeout;
        b.handshakeTimeout = handshakeTimeout;
        b.fsync = fsync;
        b.fsyncInterval = fsyncInterval;
        b.segmentBytes = segmentBytes;
        b.retentionBytes = retentionBytes;
        b.retentionAge = retentionAge;
        b.shutdownTimeout = shutdownTimeout;
        b.workerThreads = workerThreads;
        b.scanThreads = scanThreads;
        b.legacyPort = legacyPort;
        b.legacyPlaintext = legacyPlaintext;
        b.appPort = appPort;
        b.echoPort = echoPort;
        b.tlsWatchInterval = tlsWatchInterval;
        b.metricsPort = metricsPort;
        b.metricsBindAddress = metricsBindAddress;
        b.connectionLogRate = connectionLogRate;
        b.storeBackend = storeBackend;
        b.clickHouse = clickHouse;
        b.compressReplies = compressReplies;
        b.dedupWindow = dedupWindow;
        b.dedupMaxBatches = dedupMaxBatches;
        b.storeColumns = storeColumns;
        b.storePreallocate = storePreallocate;
        b.authPolicy = authPolicy;
        b.requireAuth = requireAuth;
        b.authMaxFailures = authMaxFailures;
        b.authMaxFailuresPerAddress = authMaxFailuresPerAddress;
        b.maxConnectionsPerAddress = maxConnectionsPerAddress;
        b.maxConnectionsPerIdentity = maxConnectionsPerIdentity;
        b.maxRequestRate = maxRequestRate;
        b.maxByteRate = maxByteRate;
        b.maxQueriesPerConnection = maxQueriesPerConnection;
        b.maxQueries = maxQueries;
        b.queryTimeout = queryTimeout;
        b.maxHandshakeRate = maxHandshakeRate;
        b.tls13Only = tls13Only;
        b.allowReadableKey = allowReadableKey;
        b.tailBudget = tailBudget;
        b.maxTails = maxTails;
        b.maxTailsPerConnection = maxTailsPerConnection;
        b.maxGroups = maxGroups;
        return b;
    }

    /** Mutable builder; every field starts at its default. */
    public static final class Builder {
        private String bindAddress = DEFAULT_BIND_ADDRESS;
        private int port = DEFAULT_PORT;
        private Path dataDir = Path.of(DEFAULT_DATA_DIR);
        private Path tlsCert;
        private Path tlsKey;
        private List<String> tlsSans = List.of();
        private Path clientCa;
        private boolean plaintext;
        private int maxFrameLength = DEFAULT_MAX_FRAME_LENGTH;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private FsyncPolicy fsync = DEFAULT_FSYNC;
        private Duration fsyncInterval = DEFAULT_FSYNC_INTERVAL;
        private long segmentBytes = DEFAULT_SEGMENT_BYTES;
        private long retentionBytes;
        private Duration retentionAge = Duration.ZERO;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private int workerThreads;
        private int scanThreads;
        private int legacyPort = LISTENER_OFF;
        private boolean legacyPlaintext;
        private int appPort = LISTENER_OFF;
        private int echoPort = LISTENER_OFF;
        private Duration tlsWatchInterval = DEFAULT_TLS_WATCH_INTERVAL;
        private int metricsPort = LISTENER_OFF;
        private String metricsBindAddress = DEFAULT_METRICS_BIND_ADDRESS;
        private int connectionLogRate = DEFAULT_CONNECTION_LOG_RATE;
        private StoreBackend storeBackend = DEFAULT_STORE_BACKEND;
        private ClickHouseConfig clickHouse;
        private boolean compressReplies = DEFAULT_COMPRESS_REPLIES;
        private Duration dedupWindow = DEFAULT_DEDUP_WINDOW;
        private int dedupMaxBatches = DEFAULT_DEDUP_MAX_BATCHES;
        private boolean storeColumns = true;
        private boolean storePreallocate = true;
        private Path authPolicy;
        private boolean requireAuth;
        private int authMaxFailures = DEFAULT_AUTH_MAX_FAILURES;
        private int authMaxFailuresPerAddress = DEFAULT_AUTH_MAX_FAILURES_PER_ADDRESS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private int maxConnectionsPerIdentity = DEFAULT_MAX_CONNECTIONS_PER_IDENTITY;
        private int maxRequestRate = DEFAULT_MAX_REQUEST_RATE;
        private long maxByteRate = DEFAULT_MAX_BYTE_RATE;
        private int maxQueriesPerConnection = DEFAULT_MAX_QUERIES_PER_CONNECTION;
        private int maxQueries = DEFAULT_MAX_QUERIES;
        private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
        private int maxHandshakeRate = DEFAULT_MAX_HANDSHAKE_RATE;
        private boolean tls13Only;
        private boolean allowReadableKey;
        private long tailBudget = DEFAULT_TAIL_BUDGET;
        private int maxTails = DEFAULT_MAX_TAILS;
        private int maxTailsPerConnection = DEFAULT_MAX_TAILS_PER_CONNECTION;
        private int maxGroups = DEFAULT_MAX_GROUPS;

        public Builder bindAddress(String v) { bindAddress = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder dataDir(Path v) { dataDir = v; return this; }
        public Builder tlsCert(Path v) { tlsCert = v; return this; }
        public Builder tlsKey(Path v) { tlsKey = v; return this; }
        public Builder tlsSans(List<String> v) { tlsSans = v; return this; }
        public Builder clientCa(Path v) { clientCa = v; return this; }
        public Builder plaintext(boolean v) { plaintext = v; return this; }
        public Builder maxFrameLength(int v) { maxFrameLength = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder maxInFlight(int v) { maxInFlight = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder handshakeTimeout(Duration v) { handshakeTimeout = v; return this; }
        public Builder fsync(FsyncPolicy v) { fsync = v; return this; }
        public Builder fsyncInterval(Duration v) { fsyncInterval = v; return this; }
        public Builder segmentBytes(long v) { segmentBytes = v; return this; }
        public Builder retentionBytes(long v) { retentionBytes = v; return this; }
        public Builder retentionAge(Duration v) { retentionAge = v; return this; }
        public Builder shutdownTimeout(Duration v) { shutdownTimeout = v; return this; }
        public Builder workerThreads(int v) { workerThreads = v; return this; }
        public Builder scanThreads(int v) { scanThreads = v; return this; }
        public Builder legacyPort(int v) { legacyPort = v; return this; }
        public Builder legacyPlaintext(boolean v) { legacyPlaintext = v; return this; }
        public Builder appPort(int v) { appPort = v; return this; }
        public Builder echoPort(int v) { echoPort = v; return this; }
        public Builder tlsWatchInterval(Duration v) { tlsWatchInterval = v; return this; }
        public Builder metricsPort(int v) { metricsPort = v; return this; }
        public Builder metricsBindAddress(String v) { metricsBindAddress = v; return this; }
        public Builder connectionLogRate(int v) { connectionLogRate = v; return this; }
        public Builder storeBackend(StoreBackend v) { storeBackend = v; return this; }
        public Builder clickHouse(ClickHouseConfig v) { clickHouse = v; return this; }
        public Builder compressReplies(boolean v) { compressReplies = v; return this; }
        public Builder dedupWindow(Duration v) { dedupWindow = v; return this; }
        public Builder dedupMaxBatches(int v) { dedupMaxBatches = v; return this; }
        public Builder storeColumns(boolean v) { storeColumns = v; return this; }
        public Builder storePreallocate(boolean v) { storePreallocate = v; return this; }
        public Builder authPolicy(Path v) { authPolicy = v; return this; }
        public Builder requireAuth(boolean v) { requireAuth = v; return this; }
        public Builder authMaxFailures(int v) { authMaxFailures = v; return this; }
        public Builder authMaxFailuresPerAddress(int v) { authMaxFailuresPerAddress = v; return this; }
        public Builder maxConnectionsPerAddress(int v) { maxConnectionsPerAddress = v; return this; }
        public Builder maxConnectionsPerIdentity(int v) { maxConnectionsPerIdentity = v; return this; }
        public Builder maxRequestRate(int v) { maxRequestRate = v; return this; }
        public Builder maxByteRate(long v) { maxByteRate = v; return this; }
        public Builder maxQueriesPerConnection(int v) { maxQueriesPerConnection = v; return this; }
        public Builder maxQueries(int v) { maxQueries = v; return this; }
        public Builder queryTimeout(Duration v) { queryTimeout = v; return this; }
        public Builder maxHandshakeRate(int v) { maxHandshakeRate = v; return this; }
        public Builder tls13Only(boolean v) { tls13Only = v; return this; }
        public Builder allowReadableKey(boolean v) { allowReadableKey = v; return this; }
        public Builder tailBudget(long v) { tailBudget = v; return this; }
        public Builder maxTails(int v) { maxTails = v; return this; }
        public Builder maxTailsPerConnection(int v) { maxTailsPerConnection = v; return this; }
        public Builder maxGroups(int v) { maxGroups = v; return this; }

        public ServerConfig build() {
            return new ServerConfig(bindAddress, port, dataDir, tlsCert, tlsKey, tlsSans, clientCa, plaintext,
                    maxFrameLength, maxConnections, maxInFlight, idleTimeout, handshakeTimeout, fsync, fsyncInterval,
                    segmentBytes, retentionBytes, retentionAge, shutdownTimeout, workerThreads, scanThreads,
                    legacyPort, legacyPlaintext, appPort, echoPort, tlsWatchInterval, metricsPort,
                    metricsBindAddress, connectionLogRate, storeBackend, clickHouse, compressReplies, dedupWindow,
                    dedupMaxBatches, storeColumns, storePreallocate, authPolicy, requireAuth, authMaxFailures, authMaxFailuresPerAddress,
                    maxConnectionsPerAddress, maxConnectionsPerIdentity, maxRequestRate, maxByteRate,
                    maxQueriesPerConnection, maxQueries, queryTimeout, maxHandshakeRate, tls13Only, allowReadableKey,
                    tailBudget, maxTails, maxTailsPerConnection, maxGroups);
        }
    }
}
