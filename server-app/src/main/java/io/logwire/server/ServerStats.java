package io.logwire.server;

import io.logwire.server.metrics.ServerMetrics;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Server-wide counters for STATS (PROTOCOL.md section 4), which the Prometheus metrics
 * ({@link #metrics()}) read too. Thread-safe.
 */
public final class ServerStats {
    final long startNanos = System.nanoTime();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder connectionsAccepted = new LongAdder();
    final LongAdder connectionsRefused = new LongAdder();
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicInteger requestsInFlight = new AtomicInteger();
    final LongAdder entriesUploaded = new LongAdder();
    final LongAdder errorsSent = new LongAdder();
    final LongAdder entryBytesUploaded = new LongAdder();
    private final ServerMetrics metrics = new ServerMetrics(this);

    /** The Prometheus meters, some of them fed by these counters. */
    public ServerMetrics metrics() {
        return metrics;
    }

    public long uptimeMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    public long messagesReceived() {
        return messagesReceived.sum();
    }

    public int connectionsOpen() {
        return connectionsOpen.get();
    }

    public long connectionsAccepted() {
        return connectionsAccepted.sum();
    }

    public long connectionsRefused() {
        return connectionsRefused.sum();
    }

    public long bytesReceived() {
        return bytesReceived.sum();
    }

    public long bytesSent() {
        return bytesSent.sum();
    }

    public int requestsInFlight() {
        return requestsInFlight.get();
    }

    public long entriesUploaded() {
        return entriesUploaded.sum();
    }

    public long errorsSent() {
        return errorsSent.sum();
    }

    /** Bytes of acknowledged UPLOAD entries, in their wire encoding. */
    public long entryBytesUploaded() {
        return entryBytesUploaded.sum();
    }
}
