package io.logwire.server.store.clickhouse;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of the ClickHouse store. Build with {@link #builder(List)}.
 *
 * @param urls            HTTP endpoints; all requests go to the first; with a cluster the local
 *                        and Distributed tables are created on every one listed
 * @param database        database, created if missing
 * @param table           table the store reads and writes; with a cluster the Distributed table,
 *                        over {@code <table>_local} on every shard
 * @param cluster         a {@code remote_servers} cluster name, or null for a single server
 * @param user            ClickHouse user
 * @param password        its password ("" for none); never logged
 * @param nodeId          this server's node id: it owns sequences [id * 2^40, (id + 1) * 2^40)
 * @param connectTimeout  TCP connect timeout; short, so an unreachable server fails uploads fast
 * @param requestTimeout  how long one insert or the start of a query may take
 * @param maxPendingBytes uploads waiting for their insert beyond this get OVERLOADED
 * @param maxInsertRows   rows per insert: waiting batches are combined up to this (never split)
 * @param healthInterval  how often an unreachable ClickHouse is re-checked, and stats refreshed
 * @param keeper          ZooKeeper / ClickHouse Keeper connect string ({@code host:port[,host:port][/chroot]})
 *                        holding one sequence for every server sharing the store, or null: then
 *                        each node numbers in its own range ({@code nodeId})
 * @param keeperSessionTimeout how long a server cut off from the keeper keeps its in-flight inserts
 */
public record ClickHouseConfig(List<URI> urls, String database, String table, String cluster, String user,
                               String password, int nodeId, Duration connectTimeout, Duration requestTimeout,
                               long maxPendingBytes, int maxInsertRows, Duration healthInterval, String keeper,
                               Duration keeperSessionTimeout) {
    public static final String DEFAULT_URL = "http://127.0.0.1:8123";
    public static final String DEFAULT_DATABASE = "logwire";
    public static final String DEFAULT_TABLE = "entries";
    public static final String DEFAULT_USER = "default";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_MAX_INSERT_ROWS = 200_000;
    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_KEEPER_SESSION_TIMEOUT = Duration.ofSeconds(10);
    /** Bits of a sequence below the node id: each node owns 2^40 sequences. */
    public static final int NODE_SHIFT = 40;
    /** Largest node id (sequences stay below 2^63). */
    public static final int MAX_NODE_ID = (1 << (63 - NODE_SHIFT)) - 1;

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,100}");

    public ClickHouseConfig {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("--clickhouse-url needs at least one URL");
        }
        for (URI u : urls) {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("--clickhouse-url must be http(s)://host:port: " + u);
            }
        }
        identifier("database", database);
        identifier("table", table);
        if (cluster != null) {
            identifier("cluster", cluster);
        }
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (nodeId < 0 || nodeId > MAX_NODE_ID) {
            throw new IllegalArgumentException("--node-id must be 0.." + MAX_NODE_ID + ": " + nodeId);
        }
        if (keeper != null && keeper.isBlank()) {
            keeper = null;
        }
        for (Duration d : new Duration[] {connectTimeout, requestTimeout, healthInterval, keeperSessionTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("ClickHouse timeouts must be positive: " + d);
            }
        }
        if (maxPendingBytes < 1 || maxInsertRows < 1) {
            throw new IllegalArgumentException("ClickHouse insert limits must be positive");
        }
    }

    private static void identifier(String what, String value) {
        if (value == null || !IDENTIFIER.matcher(value).matches()) {
            throw new IllegalArgumentException("ClickHouse " + what + " name must match [A-Za-z_][A-Za-z0-9_]*: "
                    + value);
        }
    }

    /** First sequence this node owns. */
    public long firstSequence() {
        return (long) nodeId << NODE_SHIFT;
    }

    /** One past the last sequence this node owns. */
    public long sequenceLimit() {
        return (long) (nodeId + 1) << NODE_SHIFT;
    }

    /** The keeper path of this store's sequence (under the connect string's chroot, if any). */
    public String keeperRoot() {
        return "/logwire/" + database + "/" + table;
    }

    /** The table rows live in on each shard: {@code table} itself without a cluster. */
    public String localTable() {
        return cluster == null ? table : table + "_local";
    }

    /** Splits a comma-separated URL list. */
    public static List<URI> parseUrls(String text) {
        return java.util.Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> URI.create(s.endsWith("/") ? s : s + "/")).toList();
    }

    public static Builder builder(List<URI> urls) {
        return new Builder(urls);
    }

    @Override
    public String toString() {
        return "ClickHouseConfig[urls=" + urls + ", database=" + database + ", table=" + table + ", cluster=" + cluster
                + ", user=" + user + ", password=" + (password.isEmpty() ? "none" : "***") + ", nodeId=" + nodeId
                + ", keeper=" + (keeper == null ? "none" : keeper) + "]";
    }

    /** Mutable builder; every field starts at its default. */
    public static final class Builder {
        private final List<URI> urls;
        private String database = DEFAULT_DATABASE;
        private String table = DEFAULT_TABLE;
        private String cluster;
        private String user = DEFAULT_USER;
        private String password = "";
        private int nodeId;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private long maxPendingBytes = DEFAULT_MAX_PENDING_BYTES;
        private int maxInsertRows = DEFAULT_MAX_INSERT_ROWS;
        private Duration healthInterval = DEFAULT_HEALTH_INTERVAL;
        private String keeper;
        private Duration keeperSessionTimeout = DEFAULT_KEEPER_SESSION_TIMEOUT;

        Builder(List<URI> urls) {
            this.urls = urls;
        }

        public Builder database(String v) { database = v; return this; }
        public Builder table(String v) { table = v; return this; }
        public Builder cluster(String v) { cluster = v == null || v.isBlank() ? null : v; return this; }
        public Builder user(String v) { user = v; return this; }
        public Builder password(String v) { password = v == null ? "" : v; return this; }
        public Builder nodeId(int v) { nodeId = v; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder maxPendingBytes(long v) { maxPendingBytes = v; return this; }
        public Builder maxInsertRows(int v) { maxInsertRows = v; return this; }
        public Builder healthInterval(Duration v) { healthInterval = v; return this; }
        public Builder keeper(String v) { keeper = v; return this; }
        public Builder keeperSessionTimeout(Duration v) { keeperSessionTimeout = v; return this; }

        public ClickHouseConfig build() {
            return new ClickHouseConfig(urls, database, table, cluster, user, password, nodeId, connectTimeout,
                    requestTimeout, maxPendingBytes, maxInsertRows, healthInterval, keeper, keeperSessionTimeout);
        }
    }
}
