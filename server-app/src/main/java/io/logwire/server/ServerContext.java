package io.logwire.server;

import io.logwire.server.limits.Limits;
import io.logwire.server.store.LogStore;

import java.util.concurrent.ExecutorService;

/**
 * What command handlers share: configuration, the store, counters, the scan threads and
 * whether the server is draining. One per server.
 */
public final class ServerContext {
    private final ServerConfig config;
    private final LogStore store;
    private final ServerStats stats;
    private final ExecutorService scanExecutor;
    private final boolean tls;
    private final Limits limits;
    private final ConnectionLog.Limiter connectionLog;
    private volatile boolean draining;
    private volatile io.logwire.server.auth.ServerAuth auth = io.logwire.server.auth.ServerAuth.OPEN;

    public ServerContext(ServerConfig config, LogStore store, ServerStats stats, ExecutorService scanExecutor,
                         boolean tls) {
        this.config = config;
        this.store = store;
        this.stats = stats;
        this.scanExecutor = scanExecutor;
        this.tls = tls;
        this.limits = new Limits(config, stats.metrics().registry());
        this.connectionLog = new ConnectionLog.Limiter(config.connectionLogRate());
    }

    /** Authentication and roles (PROTOCOL.md 6.8); {@code ServerAuth.OPEN} unless set at start. */
    public io.logwire.server.auth.ServerAuth auth() {
        return auth;
    }

    /** Sets the authentication set-up; at start, before the first connection. */
    public void auth(io.logwire.server.auth.ServerAuth a) {
        auth = java.util.Objects.requireNonNull(a, "auth");
    }

    /** The abuse limits (docs/security.md). */
    public Limits limits() {
        return limits;
    }

    /** The rate limit shared by every listener's connection log. */
    public ConnectionLog.Limiter connectionLog() {
        return connectionLog;
    }

    public ServerConfig config() {
        return config;
    }

    public LogStore store() {
        return store;
    }

    public ServerStats stats() {
        return stats;
    }

    /** Threads for query and search scans: never the event loops. */
    public ExecutorService scanExecutor() {
        return scanExecutor;
    }

    public boolean tls() {
        return tls;
    }

    /** Whether the server is shutting down: new requests get SHUTTING_DOWN. */
    public boolean isDraining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    /** Counts a request that entered processing. */
    public void requestStarted() {
        stats.requestsInFlight.incrementAndGet();
    }

    /** Counts a request whose final reply was written. */
    public void requestFinished() {
        stats.requestsInFlight.decrementAndGet();
    }

    /** Counts uploaded entries. */
    public void entriesUploaded(int n) {
        stats.entriesUploaded.add(n);
    }

    /** Counts the bytes (wire encoding) of uploaded entries. */
    public void entryBytesUploaded(long bytes) {
        stats.entryBytesUploaded.add(bytes);
    }

    /** Counts an ERROR frame sent. */
    public void errorSent() {
        stats.errorsSent.increment();
    }
}
