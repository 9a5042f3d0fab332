package io.logwire.server.metrics;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.server.ServerStats;
import io.logwire.server.store.LogStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The server's meters in one Micrometer Prometheus registry (docs/operations.md "Metrics"). One
 * per server; thread-safe. What STATS also reports is read from the same {@link ServerStats}
 * counters at scrape time, so the two always agree. The per-request methods are cheap: every
 * meter they touch is resolved once (by array index), never looked up by name and tags.
 */
public final class ServerMetrics implements AutoCloseable {
    /** Outcome label of a request answered with a final (non-error) reply. */
    public static final String OK = "ok";
    /** Outcome label of a request whose connection closed before it could be answered. */
    public static final String ABANDONED = "abandoned";
    /** Opcode label of frames the codec rejected before they became a request. */
    public static final String INVALID_OPCODE = "invalid";

    /**
     * Latency buckets (upper bounds) shared by the request histograms: 0.25 ms to 30 s, with 2 ms
     * so that "acknowledged within 2 ms" can be read off directly.
     */
    static final Duration[] LATENCY_BUCKETS = millis(0.25, 0.5, 1, 2, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
            5000, 10_000, 30_000);
    /** Fsync latency buckets: 50 µs to 5 s. */
    static final Duration[] FSYNC_BUCKETS = millis(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000,
            5000);

    private static final int OUTCOME_OK = 0;
    private static final int OUTCOME_ABANDONED = 1;
    private static final int OUTCOMES = 2 + ErrorCode.values().length;
    private static final Opcode[] OPCODES = Opcode.values();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Held strongly: Micrometer's function meters only keep weak references to what they read. */
    private final ServerStats stats;
    /** [opcode ordinal, or OPCODES.length for codec rejections][outcome], created on first use. */
    private final AtomicReferenceArray<Counter> requests = new AtomicReferenceArray<>((OPCODES.length + 1) * OUTCOMES);
    private final Timer uploadAck;
    private final Counter uploadDuplicates;
    private final Counter[] compressedBefore = new Counter[2]; // [0] requests (received), [1] replies (sent)
    private final Counter[] compressedAfter = new Counter[2];
    private final Timer[] scanLatency = new Timer[OPCODES.length];
    private final Counter[] rowsScanned = new Counter[OPCODES.length];
    private final Counter[] rowsReturned = new Counter[OPCODES.length];
    private final Counter[] handshakes = new Counter[TlsHandshakeMetrics.Outcome.values().length];
    private final TlsHandshakeMetrics handshakeHandler = new TlsHandshakeMetrics(this);
    private JvmGcMetrics gc;

    public ServerMetrics(ServerStats stats) {
        this.stats = stats;
        // The STATS figures, read from the same counters at scrape time.
        FunctionCounter.builder("logwire.frames.received", stats, ServerStats::messagesReceived)
                .description("Request frames received (STATS messagesReceived)").register(registry);
        FunctionCounter.builder("logwire.network.received", stats, ServerStats::bytesReceived).baseUnit("bytes")
                .description("Protocol bytes received, inside TLS (STATS bytesReceived)").register(registry);
        FunctionCounter.builder("logwire.network.sent", stats, ServerStats::bytesSent).baseUnit("bytes")
                .description("Protocol bytes sent, inside TLS (STATS bytesSent)").register(registry);
        FunctionCounter.builder("logwire.connections.accepted", stats, ServerStats::connectionsAccepted)
                .description("Connections accepted on every listener (STATS connectionsAccepted)").register(registry);
        FunctionCounter.builder("logwire.connections.refused", stats, ServerStats::connectionsRefused)
                .description("Connections refused over --max-connections (STATS connectionsRefused)")
                .register(registry);
        Gauge.builder("logwire.connections.open", stats, ServerStats::connectionsOpen)
                .description("Connections open now (STATS connectionsOpen)").register(registry);
        Gauge.builder("logwire.requests.in.flight", stats, ServerStats::requestsInFlight)
                .description("Requests being processed now (STATS requestsInFlight)").register(registry);
        FunctionCounter.builder("logwire.ingested.entries", stats, ServerStats::entriesUploaded)
                .description("Entries acknowledged to UPLOAD (STATS entriesUploaded)").register(registry);
        FunctionCounter.builder("logwire.ingested", stats, ServerStats::entryBytesUploaded).baseUnit("bytes")
                .description("Bytes of entries (wire encoding) acknowledged to UPLOAD").register(registry);
        FunctionCounter.builder("logwire.errors.sent", stats, ServerStats::errorsSent)
                .description("ERROR replies to requests (STATS errorsSent)").register(registry);

        for (Opcode op : OPCODES) { // so every opcode has a series from the start
            requests.set(op.ordinal() * OUTCOMES + OUTCOME_OK, registerRequestCounter(op.ordinal(), OUTCOME_OK));
        }
        uploadAck = Timer.builder("logwire.upload.ack")
                .description("From an UPLOAD's arrival to its durable acknowledgement")
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        for (Opcode op : new Opcode[] {Opcode.QUERY, Opcode.SEARCH, Opcode.QUERY_FROM, Opcode.AGGREGATE}) {
            Tags tags = Tags.of("opcode", op.name());
            scanLatency[op.ordinal()] = Timer.builder("logwire.scan").tags(tags)
                    .description("From a QUERY, SEARCH, QUERY_FROM or AGGREGATE's arrival to its final reply")
                    .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
            rowsScanned[op.ordinal()] = Counter.builder("logwire.scan.rows.scanned").tags(tags)
                    .description("Stored entries a scan went over (examined, or skipped with their segment)")
                    .register(registry);
            rowsReturned[op.ordinal()] = Counter.builder("logwire.scan.rows.returned").tags(tags)
                    .description("Entries a scan sent in ROWS (an AGGREGATE: its result rows)")
                    .register(registry);
        }
        uploadDuplicates = Counter.builder("logwire.upload.duplicates")
                .description("UPLOAD_ONCE batches answered as duplicates (already stored; nothing stored again)")
                .register(registry);
        String[] directions = {"received", "sent"};
        for (int d = 0; d < 2; d++) {
            compressedBefore[d] = Counter.builder("logwire.compressed.frames.uncompressed").baseUnit("bytes")
                    .tag("direction", directions[d])
                    .description("Size of the frames carried in COMPRESSED frames, once decompressed")
                    .register(registry);
            compressedAfter[d] = Counter.builder("logwire.compressed.frames.compressed").baseUnit("bytes")
                    .tag("direction", directions[d])
                    .description("Size of the COMPRESSED frames themselves (what went over the wire)")
                    .register(registry);
        }
        for (TlsHandshakeMetrics.Outcome o : TlsHandshakeMetrics.Outcome.values()) {
            handshakes[o.ordinal()] = Counter.builder("logwire.tls.handshakes").tag("outcome", o.label())
                    .description("TLS handshakes by outcome: ok or the reason they failed").register(registry);
        }
    }

    private static Duration[] millis(double... ms) {
        Duration[] out = new Duration[ms.length];
        for (int i = 0; i < ms.length; i++) {
            out[i] = Duration.ofNanos((long) (ms[i] * 1_000_000));
        }
        return out;
    }

    /** The registry, e.g. for more binders. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The meters in the Prometheus text format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** The meters in the given format (Prometheus text or OpenMetrics content type). */
    public String scrape(String contentType) {
        return registry.scrape(contentType);
    }

    /** Adds the JVM and process meters (memory, GC, threads, class loading, CPU, uptime, file descriptors). */
    public synchronized void bindJvm() {
        if (gc != null) {
            return;
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
    }

    /**
     * Adds the store's figures: segments, bytes and entries for any {@link LogStore}, and the
     * store's own meters if it is a {@link MeterBinder} (the embedded store's fsync latency and
     * group commits).
     */
    public void bindStore(LogStore store) {
        Gauge.builder("logwire.store.segments", store, s -> s.stats().segments())
                .description("Segment files (or parts) of the store").register(registry);
        Gauge.builder("logwire.store.size", store, s -> s.stats().bytesOnDisk()).baseUnit("bytes")
                .description("Bytes of the store's files").register(registry);
        Gauge.builder("logwire.store.entries", store, s -> s.stats().entriesStored())
                .description("Entries retained in the store (STATS entriesStored)").register(registry);
        Gauge.builder("logwire.store.available", store, s -> s.isAvailable() ? 1 : 0)
                .description("1 while the store can take work, else 0").register(registry);
        if (store instanceof MeterBinder binder) {
            binder.bindTo(registry);
        }
    }

    // ------------------------------------------------------------------ hot path

    /** A request answered with a final reply ({@code error} null) or an ERROR. */
    public void requestAnswered(Opcode op, ErrorCode error) {
        request(op.ordinal(), error == null ? OUTCOME_OK : 2 + error.ordinal());
    }

    /** A request whose connection closed before its final reply. */
    public void requestAbandoned(Opcode op) {
        request(op.ordinal(), OUTCOME_ABANDONED);
    }

    /** A frame the codec rejected with {@code error} before it became a request. */
    public void frameRejected(ErrorCode error) {
        request(OPCODES.length, 2 + error.ordinal());
    }

    private void request(int opcode, int outcome) {
        int i = opcode * OUTCOMES + outcome;
        Counter c = requests.get(i);
        if (c == null) {
            c = registerRequestCounter(opcode, outcome);
            requests.set(i, c); // a racing thread gets the same counter from the registry
        }
        c.increment();
    }

    private Counter registerRequestCounter(int opcode, int outcome) {
        String op = opcode == OPCODES.length ? INVALID_OPCODE : OPCODES[opcode].name();
        String out = outcome == OUTCOME_OK ? OK : outcome == OUTCOME_ABANDONED ? ABANDONED
                : ErrorCode.values()[outcome - 2].name();
        return Counter.builder("logwire.requests").tags("opcode", op, "outcome", out)
                .description("Requests by opcode and outcome: ok, abandoned or the ERROR code sent")
                .register(registry);
    }

    /** An UPLOAD acknowledged {@code nanos} after it arrived. */
    /** An UPLOAD_ONCE answered as a duplicate. */
    public void uploadDuplicate() {
        uploadDuplicates.increment();
    }

    /**
     * A COMPRESSED frame of {@code compressed} bytes carrying a frame of {@code uncompressed}
     * bytes (length fields included), received ({@code sent} false) or sent.
     */
    public void compressedFrame(boolean sent, long uncompressed, long compressed) {
        compressedBefore[sent ? 1 : 0].increment(uncompressed);
        compressedAfter[sent ? 1 : 0].increment(compressed);
    }

    public void uploadAcknowledged(long nanos) {
        uploadAck.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A QUERY, SEARCH, QUERY_FROM or AGGREGATE that finished after {@code nanos}, having gone over {@code scanned} entries. */
    public void scanFinished(Opcode op, long nanos, long scanned, long returned) {
        int i = op.ordinal();
        scanLatency[i].record(nanos, TimeUnit.NANOSECONDS);
        rowsScanned[i].increment(scanned);
        rowsReturned[i].increment(returned);
    }

    /** The handler counting TLS handshakes, to put right after each listener's {@code SslHandler}; sharable. */
    public TlsHandshakeMetrics tlsHandshakes() {
        return handshakeHandler;
    }

    void handshake(TlsHandshakeMetrics.Outcome outcome) {
        handshakes[outcome.ordinal()].increment();
    }

    /** Releases the JVM listeners (GC notifications) and the registry. */
    @Override
    public synchronized void close() {
        if (gc != null) {
            gc.close();
        }
        registry.close();
    }
}
