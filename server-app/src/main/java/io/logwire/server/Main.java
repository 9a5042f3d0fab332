package io.logwire.server;

import io.logwire.server.backup.BackupCommand;
import io.logwire.server.backup.RestoreCommand;
import io.logwire.server.backup.VerifyBackupCommand;
import io.logwire.server.config.ConfigException;
import io.logwire.server.config.ConfigFile;
import io.logwire.server.config.ConfigLayer;
import io.logwire.server.config.ConfigLayers;
import io.logwire.server.config.EffectiveConfig;
import io.logwire.server.config.LogFormat;
import io.logwire.server.config.LogSetup;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.clickhouse.ClickHouseConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code logwire-server}: starts the server and runs until SIGTERM or SIGINT, then drains and
 * exits 0; SIGHUP reloads the TLS certificate and the auth policy. Subcommands back up and restore the embedded store.
 */
@Command(name = "logwire-server", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true, usageHelpWidth = 110,
        subcommands = {BackupCommand.class, RestoreCommand.class, VerifyBackupCommand.class,
                io.logwire.server.auth.TokenCommand.class},
        description = {"The logwire log ingest-and-query server (TLS binary protocol, durable embedded store or ClickHouse).",
                "Every option can also be set with the environment variable shown in its description, or in the "
                        + "--config file; precedence: flags > environment > file > defaults."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly (also after SIGTERM/SIGINT)", "1:invalid options or configuration file",
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
    // --- configuration file, --print-config and logging (docs/operations.md "Configuration", "Logs") ---
    /** Keys the configuration file may not set. */
    static final Set<String> NOT_IN_FILE = Set.of("config", "print-config");

    @Option(names = "--config", defaultValue = "${env:LOGWIRE_CONFIG}", paramLabel = "FILE",
            description = "TOML file of options: keys are the long option names without dashes; flags and "
                    + "environment variables override it (env LOGWIRE_CONFIG).")
    Path configFile;

    @Option(names = "--print-config",
            description = "Print the effective configuration (each value and where it came from, secrets redacted) "
                    + "as TOML and exit.")
    boolean printConfig;

    @Option(names = "--log-format", defaultValue = "${env:LOGWIRE_LOG_FORMAT:-human}",
            converter = LogFormatConverter.class,
            description = "Log format: human or json (one JSON object per line) (env LOGWIRE_LOG_FORMAT).")
    LogFormat logFormat;

    @Option(names = "--log-level", defaultValue = "${env:LOGWIRE_LOG_LEVEL:-info}",
            description = "Log level: error, warn, info, debug or trace (env LOGWIRE_LOG_LEVEL).")
    String logLevel;

    @Option(names = "--connection-log-rate",
            defaultValue = "${env:LOGWIRE_CONNECTION_LOG_RATE:-" + ServerConfig.DEFAULT_CONNECTION_LOG_RATE + "}",
            description = "Connection-log lines a second (one INFO line per closed connection); beyond it they are "
                    + "counted and summarised; 0 = off (env LOGWIRE_CONNECTION_LOG_RATE).")
    int connectionLogRate;

    @Spec
    CommandSpec spec;

    private ConfigLayers layers;

    /** The effective configuration of the parsed command line (secrets redacted). */
    EffectiveConfig effective() {
        return EffectiveConfig.of(spec, spec.commandLine().getParseResult(), layers, Set.of("print-config"));
    }

    /**
     * The command line with every option's default layered as flags > environment > file >
     * built-in defaults, for {@code args} and the environment {@code env}. Reads the file that
     * {@code --config} or LOGWIRE_CONFIG names (a first parse finds it).
     *
     * @throws ConfigException if the file cannot be read or has unknown keys or wrong types
     */
    static CommandLine commandLine(String[] args, Map<String, String> env) throws ConfigException {
        Main probe = new Main();
        CommandLine first = new CommandLine(probe);
        first.setCaseInsensitiveEnumValuesAllowed(true);
        first.setDefaultValueProvider(new ConfigLayers(env, null, NOT_IN_FILE));
        ConfigFile file = null;
        try {
            first.parseArgs(args);
            if (probe.configFile != null && !first.isUsageHelpRequested() && !first.isVersionHelpRequested()
                    && first.getParseResult().subcommand() == null) {
                file = ConfigFile.load(probe.configFile);
            }
        } catch (CommandLine.ParameterException e) {
            // Reported by the real parse below.
        }
        Main main = new Main();
        main.layers = new ConfigLayers(env, file, NOT_IN_FILE);
        CommandLine cl = new CommandLine(main);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setDefaultValueProvider(main.layers);
        main.layers.checkFile(cl.getCommandSpec());
        cl.setExitCodeExceptionMapper(e -> 1);
        cl.setParameterExceptionHandler(main::invalidOption);
        cl.setExecutionStrategy(parsed -> {
            main.layers.displayMode();
            return new CommandLine.RunLast().execute(parsed);
        });
        return cl;
    }

    /** Names the layer a bad value came from: the file key and line, or the environment variable. */
    private int invalidOption(CommandLine.ParameterException e, String[] args) {
        layers.displayMode();
        String where = "";
        CommandLine.ParseResult parsed = e.getCommandLine().getParseResult();
        if (e.getArgSpec() instanceof OptionSpec o && (parsed == null || !parsed.hasMatchedOption(o))) {
            ConfigLayers.Origin origin = layers.origin(o);
            if (origin != null && origin.layer() != ConfigLayer.DEFAULT) {
                where = (origin.layer() == ConfigLayer.FILE ? "configuration " + origin.where() + ", key '"
                        + ConfigLayers.key(o) + "'" : origin.where()) + ": ";
            }
        }
        PrintWriter err = e.getCommandLine().getErr();
        err.println("logwire-server: " + where + e.getMessage());
        err.println("Run 'logwire-server --help' for the options.");
        return 1;
    }

    /** Runs the command with the environment {@code env}; returns the exit code. */
    static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine cl;
        try {
            cl = commandLine(args, env);
        } catch (ConfigException e) {
            err.println("logwire-server: " + e.getMessage());
            err.flush();
            return 1;
        }
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

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

    // --- storage backend (docs/scale-out.md) ---
    @Option(names = "--store", defaultValue = "${env:LOGWIRE_STORE:-embedded}", converter = StoreConverter.class,
            description = "embedded: segment files in --data-dir; clickhouse: a ClickHouse server or cluster "
                    + "(docs/scale-out.md) (env LOGWIRE_STORE).")
    ServerConfig.StoreBackend storeBackend;

    @Option(names = "--clickhouse-url",
            defaultValue = "${env:LOGWIRE_CLICKHOUSE_URL:-" + ClickHouseConfig.DEFAULT_URL + "}",
            description = "ClickHouse HTTP interface; with --clickhouse-cluster a comma-separated list of every "
                    + "shard's (tables are created on each; requests go to the first) (env LOGWIRE_CLICKHOUSE_URL).")
    String clickHouseUrl;

    @Option(names = "--clickhouse-database",
            defaultValue = "${env:LOGWIRE_CLICKHOUSE_DATABASE:-" + ClickHouseConfig.DEFAULT_DATABASE + "}",
            description = "ClickHouse database, created if missing (env LOGWIRE_CLICKHOUSE_DATABASE).")
    String clickHouseDatabase;

    @Option(names = "--clickhouse-table",
            defaultValue = "${env:LOGWIRE_CLICKHOUSE_TABLE:-" + ClickHouseConfig.DEFAULT_TABLE + "}",
            description = "Table, created if missing; with a cluster the Distributed table over <table>_local "
                    + "(env LOGWIRE_CLICKHOUSE_TABLE).")
    String clickHouseTable;

    @Option(names = "--clickhouse-cluster", defaultValue = "${env:LOGWIRE_CLICKHOUSE_CLUSTER}",
            description = "remote_servers cluster to shard over; none = one server (env LOGWIRE_CLICKHOUSE_CLUSTER).")
    String clickHouseCluster;

    @Option(names = "--clickhouse-user",
            defaultValue = "${env:LOGWIRE_CLICKHOUSE_USER:-" + ClickHouseConfig.DEFAULT_USER + "}",
            description = "ClickHouse user; the password comes from env LOGWIRE_CLICKHOUSE_PASSWORD or "
                    + "--clickhouse-password-file, never the command line (env LOGWIRE_CLICKHOUSE_USER).")
    String clickHouseUser;

    @Option(names = "--clickhouse-password-file", defaultValue = "${env:LOGWIRE_CLICKHOUSE_PASSWORD_FILE}",
            description = "File holding the ClickHouse password (one line) (env LOGWIRE_CLICKHOUSE_PASSWORD_FILE).")
    Path clickHousePasswordFile;

    @Option(names = "--clickhouse-connect-timeout", defaultValue = "${env:LOGWIRE_CLICKHOUSE_CONNECT_TIMEOUT:-2s}",
            converter = DurationConverter.class,
            description = "Connect timeout; an unreachable ClickHouse fails uploads with STORAGE_ERROR at once "
                    + "and is re-checked every second (env LOGWIRE_CLICKHOUSE_CONNECT_TIMEOUT).")
    java.time.Duration clickHouseConnectTimeout;

    @Option(names = "--clickhouse-timeout", defaultValue = "${env:LOGWIRE_CLICKHOUSE_TIMEOUT:-30s}",
            converter = DurationConverter.class,
            description = "How long one insert, or the start of a query's answer, may take "
                    + "(env LOGWIRE_CLICKHOUSE_TIMEOUT).")
    java.time.Duration clickHouseTimeout;

    @Option(names = "--clickhouse-max-pending", defaultValue = "${env:LOGWIRE_CLICKHOUSE_MAX_PENDING:-64MiB}",
            converter = SizeConverter.class,
            description = "Uploads waiting for their insert beyond this many bytes get OVERLOADED "
                    + "(env LOGWIRE_CLICKHOUSE_MAX_PENDING).")
    long clickHouseMaxPending;

    @Option(names = "--node-id", defaultValue = "${env:LOGWIRE_NODE_ID:-0}",
            description = "Without --clickhouse-keeper: this server's id among servers sharing one ClickHouse store, 0.."
                    + ClickHouseConfig.MAX_NODE_ID + "; node n numbers entries from n*2^40 (docs/protocol.md) "
                    + "(env LOGWIRE_NODE_ID).")
    int nodeId;

    @Option(names = "--clickhouse-keeper", defaultValue = "${env:LOGWIRE_CLICKHOUSE_KEEPER}",
            paramLabel = "HOST:PORT[,HOST:PORT][/CHROOT]",
            description = "ZooKeeper or ClickHouse Keeper holding ONE sequence for every server sharing the "
                    + "ClickHouse store: tails and QUERY_FROM then see every server's entries in one order "
                    + "without gaps (docs/scale-out.md); --node-id is then unused (env LOGWIRE_CLICKHOUSE_KEEPER).")
    String clickHouseKeeper;

    @Option(names = "--clickhouse-keeper-session-timeout",
            defaultValue = "${env:LOGWIRE_CLICKHOUSE_KEEPER_SESSION_TIMEOUT:-10s}",
            converter = DurationConverter.class,
            description = "Keeper session timeout: a server cut off from the keeper this long no longer holds back "
                    + "the others, and its inserts then in flight are not acknowledged "
                    + "(env LOGWIRE_CLICKHOUSE_KEEPER_SESSION_TIMEOUT).")
    java.time.Duration clickHouseKeeperSessionTimeout;

    /** The ClickHouse settings from the options above, or null for the embedded store. */
    ClickHouseConfig clickHouseConfig() {
        if (storeBackend != ServerConfig.StoreBackend.CLICKHOUSE) {
            return null;
        }
        String password = System.getenv("LOGWIRE_CLICKHOUSE_PASSWORD");
        if (clickHousePasswordFile != null) {
            try {
                password = java.nio.file.Files.readString(clickHousePasswordFile).strip();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read --clickhouse-password-file " + clickHousePasswordFile
                        + ": " + e.getMessage());
            }
        }
        return ClickHouseConfig.builder(ClickHouseConfig.parseUrls(clickHouseUrl))
                .database(clickHouseDatabase).table(clickHouseTable).cluster(clickHouseCluster)
                .user(clickHouseUser).password(password).nodeId(nodeId)
                .connectTimeout(clickHouseConnectTimeout).requestTimeout(clickHouseTimeout)
                .maxPendingBytes(clickHouseMaxPending)
                .keeper(clickHouseKeeper).keeperSessionTimeout(clickHouseKeeperSessionTimeout)
                .build();
    }
    // --- end of storage backend options ---
    // --- authentication and roles (docs/security.md "Authentication and roles") ---
    @Option(names = "--auth-policy", defaultValue = "${env:LOGWIRE_AUTH_POLICY}", paramLabel = "FILE",
            description = "TOML policy of bearer tokens (salted hashes) and client-certificate identities with their "
                    + "roles; reloaded when it changes and on SIGHUP. 'logwire-server token' edits it "
                    + "(env LOGWIRE_AUTH_POLICY).")
    Path authPolicy;

    @Option(names = "--require-auth", defaultValue = "${env:LOGWIRE_REQUIRE_AUTH:-false}",
            description = "Enforce PROTOCOL.md 6.8: role-bound requests need an identity (client certificate or AUTH "
                    + "token) with the role; needs --auth-policy; refuses --legacy-port/--app-port "
                    + "(env LOGWIRE_REQUIRE_AUTH).")
    boolean requireAuth;

    @Option(names = "--auth-max-failures",
            defaultValue = "${env:LOGWIRE_AUTH_MAX_FAILURES:-" + ServerConfig.DEFAULT_AUTH_MAX_FAILURES + "}",
            description = "Failed AUTHs on one connection before it is closed; 0 = no limit "
                    + "(env LOGWIRE_AUTH_MAX_FAILURES).")
    int authMaxFailures;

    @Option(names = "--auth-max-failures-per-address",
            defaultValue = "${env:LOGWIRE_AUTH_MAX_FAILURES_PER_ADDRESS:-"
                    + ServerConfig.DEFAULT_AUTH_MAX_FAILURES_PER_ADDRESS + "}",
            description = "Failed AUTHs from one client address per minute before its AUTHs are refused unchecked "
                    + "and its connections closed; 0 = no limit (env LOGWIRE_AUTH_MAX_FAILURES_PER_ADDRESS).")
    int authMaxFailuresPerAddress;

    @Option(names = "--compress-replies", defaultValue = "${env:LOGWIRE_COMPRESS_REPLIES:-auto}",
            description = "auto: compress large ROWS, SEQ_ROWS and AGGREGATE_OK replies for clients whose HELLO "
                    + "version 2 accepts LZ4 or ZSTD (ZSTD preferred); off: never compress replies. Compressed "
                    + "requests are accepted either way (env LOGWIRE_COMPRESS_REPLIES).")
    String compressReplies;

    @Option(names = "--dedup-window", defaultValue = "${env:LOGWIRE_DEDUP_WINDOW:-24h}",
            converter = DurationConverter.class,
            description = "UPLOAD_ONCE batch ids are remembered at least this long, across restarts, while their "
                    + "batch is retained (env LOGWIRE_DEDUP_WINDOW).")
    java.time.Duration dedupWindow;

    @Option(names = "--dedup-max-batches",
            defaultValue = "${env:LOGWIRE_DEDUP_MAX_BATCHES:-" + ServerConfig.DEFAULT_DEDUP_MAX_BATCHES + "}",
            description = "Most UPLOAD_ONCE batch ids remembered (about 160 bytes of heap each); beyond it the "
                    + "oldest are forgotten early, with a WARN (env LOGWIRE_DEDUP_MAX_BATCHES).")
    int dedupMaxBatches;

    @Option(names = "--store-columns", negatable = true, defaultValue = "${env:LOGWIRE_STORE_COLUMNS:-true}",
            fallbackValue = "true",
            description = "Give each sealed segment of the embedded store a column file (about half its size again "
                    + "on disk, made in the background) so that filtered queries read only the columns they test; "
                    + "--no-store-columns saves the disk and walks every entry (env LOGWIRE_STORE_COLUMNS).")
    boolean storeColumns;

    @Option(names = "--store-preallocate", negatable = true, defaultValue = "${env:LOGWIRE_STORE_PREALLOCATE:-true}",
            fallbackValue = "true",
            description = "Write the embedded store's next segment file full of zeros in the background before it "
                    + "is needed, so appends overwrite allocated blocks and each fsync flushes data only (lower, "
                    + "steadier fsync latency; each segment's bytes are written twice); --no-store-preallocate "
                    + "lets segments grow as written (env LOGWIRE_STORE_PREALLOCATE).")
    boolean storePreallocate;

    // ---- abuse limits and TLS hardening (docs/security.md)
    @Option(names = "--max-connections-per-address",
            defaultValue = "${env:LOGWIRE_MAX_CONNECTIONS_PER_ADDRESS:-"
                    + ServerConfig.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS + "}",
            description = "Connections from one client IP address beyond this get ERROR OVERLOADED and are closed "
                    + "(env LOGWIRE_MAX_CONNECTIONS_PER_ADDRESS).")
    int maxConnectionsPerAddress;

    @Option(names = "--max-connections-per-identity",
            defaultValue = "${env:LOGWIRE_MAX_CONNECTIONS_PER_IDENTITY:-"
                    + ServerConfig.DEFAULT_MAX_CONNECTIONS_PER_IDENTITY + "}",
            description = "With --require-auth: connections one identity (client certificate or token) may hold "
                    + "open; one more gets ERROR OVERLOADED and is closed; 0 = no limit "
                    + "(env LOGWIRE_MAX_CONNECTIONS_PER_IDENTITY).")
    int maxConnectionsPerIdentity;

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
            description = "QUERY/SEARCH/QUERY_FROM/AGGREGATE running at once on one connection; more get ERROR OVERLOADED "
                    + "(env LOGWIRE_MAX_QUERIES_PER_CONNECTION).")
    int maxQueriesPerConnection;

    @Option(names = "--max-queries", defaultValue = "${env:LOGWIRE_MAX_QUERIES:-" + ServerConfig.DEFAULT_MAX_QUERIES + "}",
            description = "QUERY/SEARCH/QUERY_FROM/AGGREGATE running at once on the whole server; more get ERROR OVERLOADED "
                    + "(env LOGWIRE_MAX_QUERIES).")
    int maxQueries;

    @Option(names = "--query-timeout", defaultValue = "${env:LOGWIRE_QUERY_TIMEOUT:-2m}",
            converter = DurationConverter.class,
            description = "A QUERY/SEARCH/QUERY_FROM/AGGREGATE running longer is cancelled: its stream ends with ERROR OVERLOADED after "
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
    @Option(names = "--tail-budget", defaultValue = "${env:LOGWIRE_TAIL_BUDGET:-" + ServerConfig.DEFAULT_TAIL_BUDGET + "}",
            description = "Entries a live TAIL may fall behind the end of the store (because its client reads "
                    + "too slowly) before the server ends it with OVERLOADED; the client resumes from the last "
                    + "sequence it received + 1 (env LOGWIRE_TAIL_BUDGET; default 100000).")
    long tailBudget;

    @Option(names = "--max-tails", defaultValue = "${env:LOGWIRE_MAX_TAILS:-" + ServerConfig.DEFAULT_MAX_TAILS + "}",
            description = "TAIL requests open at once on the whole server; one more is answered OVERLOADED "
                    + "(env LOGWIRE_MAX_TAILS; default 1000).")
    int maxTails;

    @Option(names = "--max-tails-per-connection",
            defaultValue = "${env:LOGWIRE_MAX_TAILS_PER_CONNECTION:-" + ServerConfig.DEFAULT_MAX_TAILS_PER_CONNECTION + "}",
            description = "TAIL requests open at once on one connection; one more is answered OVERLOADED "
                    + "(env LOGWIRE_MAX_TAILS_PER_CONNECTION; default 16).")
    int maxTailsPerConnection;

    @Option(names = "--max-groups", defaultValue = "${env:LOGWIRE_MAX_GROUPS:-" + ServerConfig.DEFAULT_MAX_GROUPS + "}",
            description = "Distinct groups one AGGREGATE may collect; a query with more is answered OVERLOADED "
                    + "instead of using unbounded memory (so is one whose group keys need more than 128 MiB per "
                    + "scan thread) (env LOGWIRE_MAX_GROUPS; default 100000).")
    int maxGroups;

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
                .connectionLogRate(connectionLogRate)
                .storeBackend(storeBackend).clickHouse(clickHouseConfig())
                .compressReplies(compressReplies(compressReplies))
                .dedupWindow(dedupWindow).dedupMaxBatches(dedupMaxBatches).storeColumns(storeColumns)
                .storePreallocate(storePreallocate)
                .authPolicy(authPolicy).requireAuth(requireAuth).authMaxFailures(authMaxFailures)
                .authMaxFailuresPerAddress(authMaxFailuresPerAddress)
                .maxConnectionsPerAddress(maxConnectionsPerAddress)
                .maxConnectionsPerIdentity(maxConnectionsPerIdentity).maxRequestRate(maxRequestRate)
                .maxByteRate(maxByteRate).maxQueriesPerConnection(maxQueriesPerConnection).maxQueries(maxQueries)
                .queryTimeout(queryTimeout).maxHandshakeRate(maxHandshakeRate)
                .tls13Only(tls13Only).allowReadableKey(allowReadableKey)
                .tailBudget(tailBudget).maxTails(maxTails).maxTailsPerConnection(maxTailsPerConnection).maxGroups(maxGroups)
                .build();
    }

    private static boolean compressReplies(String value) {
        switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "auto":
                return true;
            case "off":
                return false;
            default:
                throw new IllegalArgumentException("--compress-replies must be auto or off: '" + value + "'");
        }
    }

    @Override
    public Integer call() {
        if (!LogSetup.isLevel(logLevel)) {
            spec.commandLine().getErr().println("logwire-server: " + where("log-level")
                    + "not a log level: '" + logLevel + "' (error, warn, info, debug or trace)");
            return 1;
        }
        EffectiveConfig effective = effective();
        if (printConfig) {
            spec.commandLine().getOut().print(effective.toToml());
            spec.commandLine().getOut().flush();
        }
        ServerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("logwire-server: " + e.getMessage()
                    + (layers.file() != null ? " (--print-config shows where each value comes from)" : ""));
            return 1;
        }
        if (printConfig) {
            return 0;
        }
        LogSetup.apply(logFormat, logLevel);
        log.info("effective configuration: {}", effective.toLogLine());
        LogwireServer server = new LogwireServer(config, Stores::open);
        try {
            server.start();
        } catch (Exception e) {
            log.error("could not start: {}", e.getMessage());
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        if (!Signals.onReload(() -> {
            server.reloadTls("SIGHUP");
            server.reloadAuthPolicy("SIGHUP");
        })) {
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
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(run(args, System.getenv(), out, err));
    }

    /** {@code "<where>: "} for an option's value from the environment or the file, else empty. */
    private String where(String key) {
        for (OptionSpec o : spec.options()) {
            if (ConfigLayers.key(o).equals(key) && !spec.commandLine().getParseResult().hasMatchedOption(o)) {
                ConfigLayers.Origin origin = layers.origin(o);
                if (origin != null && origin.layer() != ConfigLayer.DEFAULT) {
                    return origin.where() + ": ";
                }
            }
        }
        return "";
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

    static final class StoreConverter implements CommandLine.ITypeConverter<ServerConfig.StoreBackend> {
        @Override
        public ServerConfig.StoreBackend convert(String value) {
            try {
                return ServerConfig.StoreBackend.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("--store is embedded or clickhouse: " + value);
            }
        }
    }

    static final class FsyncConverter implements CommandLine.ITypeConverter<FsyncPolicy> {
        @Override
        public FsyncPolicy convert(String value) {
            return FsyncPolicy.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }

    static final class LogFormatConverter implements CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            try {
                return LogFormat.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("a log format is human or json, not '" + value + "'");
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"logwire-server " + ServerVersion.VERSION};
        }
    }
}
