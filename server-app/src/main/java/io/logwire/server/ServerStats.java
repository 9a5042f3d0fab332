package io.logwire.server;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Server-wide counters for STATS (PROTOCOL.md section 4). Thread-safe. */
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
}
