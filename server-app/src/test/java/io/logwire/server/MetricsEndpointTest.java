package io.logwire.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.store.AppendResult;
import io.logwire.server.store.Cursor;
import io.logwire.server.store.LogStore;
import io.logwire.server.store.StoreException;
import io.logwire.server.store.StoreStats;
import io.logwire.tls.CertificateGenerator;
import io.logwire.tls.Pem;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The metrics endpoint of a real TLS server: scraped during a load, its counters agree with
 * STATS and with what the clients sent; error counters move for each error provoked; /readyz
 * follows draining and the store's availability.
 */
class MetricsEndpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dataDir;

    static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static PrometheusText scrape(LogwireServer server) throws Exception {
        HttpResponse<String> r = get(server.metricsPort(), "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        return PrometheusText.parse(r.body());
    }

    static Request.Upload upload(int stream, int first, int n) {
        ByteBuf buf = Unpooled.buffer();
        for (int i = first; i < first + n; i++) {
            LogEntryCodec.encode(new LogEntry("user" + i, "10.1.0." + (i % 256), 443, 1_700_000_000L + i, i, 2L * i,
                    (i % 100) / 10f, "web-0" + (i % 4)), buf);
        }
        return new Request.Upload(stream, n, buf);
    }

    static JsonNode stats(TestClient c, int stream) throws Exception {
        c.send(new Request.Stats(stream));
        return JSON.readTree(((Reply.StatsOk) c.next()).json());
    }

    /** Reads a scan's replies; returns the rows received (checked against ScanDone's total). */
    static long rows(TestClient c) throws Exception {
        long rows = 0;
        while (true) {
            Reply r = c.next();
            if (r instanceof Reply.Rows rr) {
                rows += rr.count();
            } else {
                assertThat(r).isInstanceOf(Reply.ScanDone.class);
                assertThat(((Reply.ScanDone) r).totalRows()).isEqualTo(rows);
                return rows;
            }
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void countersAgreeWithStatsAndWithWhatWasSentUnderLoad() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.metricsPort(ServerConfig.LISTENER_EPHEMERAL));
        int clients = 3;
        int batches = 40;
        int perBatch = 250;
        List<TestClient> conns = new ArrayList<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        List<Throwable> scrapeFailures = new CopyOnWriteArrayList<>();
        int[] scrapes = {0};
        try {
            for (int i = 0; i < clients; i++) {
                conns.add(TestClient.connect(server.port(), server.tls().certificate()));
            }
            // Scrapes all along the load: every one parses, and the ingest counter only grows.
            Thread scraper = new Thread(() -> {
                double last = 0;
                try {
                    while (loading.get()) {
                        PrometheusText m = scrape(server);
                        double entries = m.value("logwire_ingested_entries_total");
                        assertThat(entries).isGreaterThanOrEqualTo(last).isLessThanOrEqualTo(clients * batches * perBatch);
                        last = entries;
                        scrapes[0]++;
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    scrapeFailures.add(t);
                }
            }, "scraper");
            scraper.start();
            List<Thread> loaders = new ArrayList<>();
            long[] entryBytes = new long[clients];
            for (int c = 0; c < clients; c++) {
                int id = c;
                Thread t = new Thread(() -> {
                    try {
                        for (int b = 0; b < batches; b++) {
                            Request.Upload u = upload(b + 1, (id * batches + b) * perBatch, perBatch);
                            entryBytes[id] += u.entries().readableBytes();
                            conns.get(id).send(u);
                            assertThat(conns.get(id).next()).isInstanceOf(Reply.UploadOk.class);
                        }
                    } catch (Throwable e) {
                        scrapeFailures.add(e);
                    }
                }, "loader-" + c);
                t.start();
                loaders.add(t);
            }
            for (Thread t : loaders) {
                t.join(60_000);
            }
            loading.set(false);
            scraper.join(10_000);
            assertThat(scrapeFailures).isEmpty();
            assertThat(scrapes[0]).isPositive();

            TestClient q = conns.get(0);
            q.send(new Request.Query(100, 0, "server=web-01"));
            long queried = rows(q);
            q.send(new Request.Query(101, 7, ""));
            long limited = rows(q);
            q.send(new Request.Search(102, 0, "user1234"));
            long searched = rows(q);
            assertThat(queried).isEqualTo(clients * batches * perBatch / 4);
            assertThat(limited).isEqualTo(7);
            assertThat(searched).isPositive();

            q.send(new Request.Aggregate(104, "| count by server"));
            Reply.AggregateOk agg = (Reply.AggregateOk) q.next();
            int aggRows = io.logwire.protocol.aggregate.AggregateResult.fromJson(agg.json()).rows().size();
            assertThat(aggRows).isPositive();

            JsonNode stats = stats(q, 103);
            awaitGcPause(server);
            PrometheusText m = scrape(server);
            int total = clients * batches * perBatch;
            long bytes = 0;
            for (long b : entryBytes) {
                bytes += b;
            }
            // What the clients sent.
            assertThat(m.value("logwire_ingested_entries_total")).isEqualTo(total);
            assertThat(m.value("logwire_ingested_bytes_total")).isEqualTo(bytes);
            assertThat(m.value("logwire_requests_total", "opcode", "UPLOAD", "outcome", "ok"))
                    .isEqualTo(clients * batches);
            assertThat(m.value("logwire_requests_total", "opcode", "QUERY", "outcome", "ok")).isEqualTo(2);
            assertThat(m.value("logwire_requests_total", "opcode", "SEARCH", "outcome", "ok")).isEqualTo(1);
            assertThat(m.value("logwire_requests_total", "opcode", "STATS", "outcome", "ok")).isEqualTo(1);
            assertThat(m.value("logwire_requests_total", "opcode", "AGGREGATE", "outcome", "ok")).isEqualTo(1);
            assertThat(m.value("logwire_scan_rows_scanned_total", "opcode", "AGGREGATE")).isEqualTo(total);
            assertThat(m.value("logwire_scan_rows_returned_total", "opcode", "AGGREGATE")).isEqualTo(aggRows);
            assertThat(m.value("logwire_scan_rows_returned_total", "opcode", "QUERY")).isEqualTo(queried + limited);
            assertThat(m.value("logwire_scan_rows_returned_total", "opcode", "SEARCH")).isEqualTo(searched);
            assertThat(m.value("logwire_scan_rows_scanned_total", "opcode", "SEARCH")).isEqualTo(total);
            assertThat(m.value("logwire_scan_rows_scanned_total", "opcode", "QUERY")).isBetween(total + 7.0, 2.0 * total);
            // What STATS says.
            assertThat(m.value("logwire_ingested_entries_total")).isEqualTo(stats.get("entriesUploaded").asDouble());
            assertThat(m.value("logwire_store_entries")).isEqualTo(stats.get("entriesStored").asDouble());
            assertThat(m.value("logwire_frames_received_total")).isEqualTo(stats.get("messagesReceived").asDouble());
            assertThat(m.sum("logwire_requests_total")).isEqualTo(stats.get("messagesReceived").asDouble());
            assertThat(m.value("logwire_connections_accepted_total"))
                    .isEqualTo(stats.get("connectionsAccepted").asDouble()).isEqualTo(clients);
            assertThat(m.value("logwire_connections_open")).isEqualTo(stats.get("connectionsOpen").asDouble())
                    .isEqualTo(clients);
            assertThat(m.value("logwire_network_received_bytes_total"))
                    .isEqualTo(stats.get("bytesReceived").asDouble()).isGreaterThan(bytes);
            assertThat(m.value("logwire_errors_sent_total")).isEqualTo(stats.get("errorsSent").asDouble()).isZero();
            assertThat(m.value("logwire_store_segments")).isEqualTo(stats.get("store").get("segments").asDouble());
            assertThat(m.value("logwire_store_size_bytes")).isEqualTo(stats.get("store").get("bytesOnDisk").asDouble());
            assertThat(m.value("logwire_tls_handshakes_total", "outcome", "ok")).isEqualTo(clients);
            // Histograms: one observation per acknowledged upload, per scan, per fsync and per group commit.
            assertHistogram(m, "logwire_upload_ack_seconds", clients * batches);
            assertHistogram(m, "logwire_scan_seconds", 2, "opcode", "QUERY");
            assertHistogram(m, "logwire_scan_seconds", 1, "opcode", "AGGREGATE");
            assertHistogram(m, "logwire_store_fsync_seconds", m.value("logwire_store_fsyncs_total"));
            double commits = m.value("logwire_store_group_commits_total");
            assertThat(commits).isBetween(1.0, (double) clients * batches);
            assertHistogram(m, "logwire_store_group_commit_batches", commits);
            assertThat(m.value("logwire_store_group_commit_batches_sum")).isEqualTo(clients * batches);
            // JVM and process meters.
            assertThat(m.names).contains("jvm_memory_used_bytes", "jvm_gc_pause_seconds_count", "jvm_threads_live_threads",
                    "jvm_classes_loaded_classes", "process_uptime_seconds", "process_cpu_usage", "system_cpu_count",
                    "process_files_open_files");
        } finally {
            loading.set(false);
            conns.forEach(TestClient::close);
            server.stop();
        }
    }

    /**
     * Waits until the GC pause timer has a sample, collecting if the test caused no collection:
     * the JVM reports collections asynchronously, a little after they happen.
     */
    static void awaitGcPause(LogwireServer server) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (server.stats().metrics().registry().find("jvm.gc.pause").timer() == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no GC pause reported within 20 s of System.gc()");
            }
            System.gc();
            Thread.sleep(200);
        }
    }

    /** A histogram with {@code count} observations: +Inf holds them all, and finite buckets are cumulative. */
    static void assertHistogram(PrometheusText m, String name, double count, String... labels) {
        assertThat(count).isPositive();
        assertThat(m.value(name + "_count", labels)).isEqualTo(count);
        String[] inf = append(labels, "le", "+Inf");
        assertThat(m.value(name + "_bucket", inf)).isEqualTo(count);
        double previous = 0;
        int finite = 0;
        for (var e : m.samples.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(name + "_bucket{") && !k.contains("le=\"+Inf\"") && matches(k, labels)) {
                finite++;
                previous = Math.max(previous, e.getValue());
            }
        }
        assertThat(finite).isGreaterThan(5);
        assertThat(previous).as("observations in finite buckets of " + name).isPositive();
    }

    private static boolean matches(String key, String... labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!key.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
                return false;
            }
        }
        return true;
    }

    private static String[] append(String[] a, String... more) {
        String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, out, a.length, more.length);
        return out;
    }

    @Test
    void errorCountersMoveForEachErrorProvoked() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.metricsPort(ServerConfig.LISTENER_EPHEMERAL)
                .maxConnections(3).maxFrameLength(1024).handshakeTimeout(Duration.ofMillis(300)));
        try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
            c.send(new Request.Query(1, 0, "score>>4"));
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.INVALID_QUERY);
            c.sendHex("00000006" + "0099" + "00000002"); // opcode 0x99 does not exist
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
            c.sendHex("00000007" + "0007" + "00000003" + "00"); // STATS with a body
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);

            PrometheusText m = scrape(server);
            assertThat(m.value("logwire_requests_total", "opcode", "QUERY", "outcome", "INVALID_QUERY")).isEqualTo(1);
            assertThat(m.value("logwire_requests_total", "opcode", "invalid", "outcome", "UNKNOWN_OPCODE")).isEqualTo(1);
            assertThat(m.value("logwire_requests_total", "opcode", "invalid", "outcome", "INVALID_REQUEST")).isEqualTo(1);

            // Over the connection limit: refused with OVERLOADED.
            try (TestClient b = TestClient.connect(server.port(), server.tls().certificate());
                 TestClient x = TestClient.connect(server.port(), server.tls().certificate());
                 TestClient over = TestClient.connect(server.port(), server.tls().certificate())) {
                assertThat(((Reply.Error) over.next()).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
                assertThat(over.awaitClosed(5000)).isTrue();
            }
            // A frame over --max-frame: fatal, the connection closes.
            try (TestClient big = TestClient.connect(server.port(), server.tls().certificate())) {
                big.sendHex("00100000" + "0003" + "00000004");
                assertThat(((Reply.Error) big.next()).errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
                assertThat(big.awaitClosed(5000)).isTrue();
            }
            // A length below the frame header's 6 bytes: fatal too.
            try (TestClient bad = TestClient.connect(server.port(), server.tls().certificate())) {
                bad.sendHex("00000002" + "0000");
                assertThat(((Reply.Error) bad.next()).errorCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                assertThat(bad.awaitClosed(5000)).isTrue();
            }
            // TLS failures: plaintext on the TLS port, and a client that never starts the handshake.
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {0, 0, 0, 6, 0, 7, 0, 0, 0, 1});
                out.flush();
                drain(s.getInputStream());
            }
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(5000);
                drain(s.getInputStream());
            }
            await(() -> value(server, "logwire_tls_handshakes_total", "outcome", "not_tls") == 1
                    && value(server, "logwire_tls_handshakes_total", "outcome", "timeout") == 1, "TLS failure counters");
            m = scrape(server);
            assertThat(m.value("logwire_requests_total", "opcode", "invalid", "outcome", "FRAME_TOO_LARGE")).isEqualTo(1);
            assertThat(m.value("logwire_connections_refused_total")).isEqualTo(server.stats().connectionsRefused())
                    .isEqualTo(1);
            assertThat(m.value("logwire_errors_sent_total")).isEqualTo(server.stats().errorsSent()).isEqualTo(1);
            assertThat(m.value("logwire_requests_total", "opcode", "invalid", "outcome", "MALFORMED_FRAME")).isEqualTo(1);
            assertThat(m.value("logwire_tls_handshakes_total", "outcome", "ok")).isEqualTo(6);
        } finally {
            server.stop();
        }
    }

    @Test
    void aClientWithoutTheRequiredCertificateIsCountedAsACertificateFailure() throws Exception {
        CertificateGenerator.Issued ca = CertificateGenerator.certificateAuthority("test CA", Duration.ofDays(1));
        CertificateGenerator.Issued serverCert = CertificateGenerator.signedServer(ca, "server",
                List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        Path caFile = dataDir.resolve("ca.crt");
        Path certFile = dataDir.resolve("server.crt");
        Path keyFile = dataDir.resolve("server.key");
        Pem.writeCertificates(caFile, List.of(ca.certificate()));
        Pem.writeCertificates(certFile, List.of(serverCert.certificate()));
        Pem.writePrivateKey(keyFile, serverCert.privateKey());
        LogwireServer server = TestServers.start(dataDir.resolve("data"), b -> b.tlsCert(certFile).tlsKey(keyFile)
                .clientCa(caFile).metricsPort(ServerConfig.LISTENER_EPHEMERAL));
        try {
            SslContext withoutCert = SslContextBuilder.forClient().trustManager(ca.certificate()).build();
            try (TestClient c = TestClient.connect(server.port(), withoutCert, true)) {
                c.send(new Request.NegateValue(1, 5)); // TLS 1.3: the refusal comes after the client's side is done
                c.awaitClosed(5000);
            } catch (Exception | AssertionError expected) {
                // the handshake may fail on the client's side too
            }
            await(() -> value(server, "logwire_tls_handshakes_total", "outcome", "certificate") == 1,
                    "a certificate failure");
            assertThat(value(server, "logwire_tls_handshakes_total", "outcome", "ok")).isZero();
        } finally {
            server.stop();
        }
    }

    @Test
    void handshakesOnTheTlsLegacyListenerAreCountedToo() throws Exception {
        LogwireServer server = TestServers.start(dataDir, b -> b.metricsPort(ServerConfig.LISTENER_EPHEMERAL)
                .legacyPort(ServerConfig.LISTENER_EPHEMERAL));
        try (TestClient c = TestClient.connect(server.legacyPort(), server.tls().certificate())) {
            await(() -> value(server, "logwire_tls_handshakes_total", "outcome", "ok") == 1, "the legacy handshake");
            assertThat(scrape(server).value("logwire_connections_open")).isEqualTo(1);
        } finally {
            server.stop();
        }
    }

    private static void drain(InputStream in) throws IOException {
        while (in.read() != -1) {
            // until the server closes
        }
    }

    private static double value(LogwireServer server, String name, String... labels) {
        return PrometheusText.parse(server.stats().metrics().scrape()).value(name, labels);
    }

    @Test
    void healthAndReadinessFollowDrainingAndTheStore() throws Exception {
        HoldingStore[] store = new HoldingStore[1];
        ServerConfig config = ServerConfig.builder().bindAddress("127.0.0.1").port(0).dataDir(dataDir)
                .workerThreads(2).scanThreads(2).shutdownTimeout(Duration.ofSeconds(20))
                .metricsPort(ServerConfig.LISTENER_EPHEMERAL).build();
        LogwireServer server = new LogwireServer(config, c -> store[0] = new HoldingStore(Stores.open(c))).start();
        int port = server.metricsPort();
        assertThat(port).isPositive();
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);
        assertThat(get(port, "/nothing").statusCode()).isEqualTo(404);

        // The store becomes unavailable, then comes back.
        store[0].available = false;
        HttpResponse<String> r = get(port, "/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("store unavailable");
        assertThat(scrape(server).value("logwire_store_available")).isZero();
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        store[0].available = true;
        assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);

        // A graceful drain with an upload in flight: not ready until the server is gone.
        TestClient c = TestClient.connect(server.port(), server.tls().certificate());
        store[0].hold = true;
        c.send(upload(1, 0, 10));
        await(() -> store[0].heldCount() == 1, "the upload held by the store");
        CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(server::stop);
        await(() -> {
            try {
                return get(port, "/readyz").statusCode() == 503;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "readyz 503 while draining");
        assertThat(get(port, "/readyz").body()).contains("draining");
        assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);
        c.send(new Request.DoubleValue(2, 21));
        Reply refused = c.next();
        assertThat(((Reply.Error) refused).errorCode()).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThat(scrape(server).value("logwire_requests_total", "opcode", "DOUBLE", "outcome", "SHUTTING_DOWN"))
                .isEqualTo(1);
        assertThat(stopped).isNotDone();
        store[0].release();
        assertThat(c.next()).isInstanceOf(Reply.UploadOk.class);
        assertThat(stopped.get()).isTrue();
        c.close();
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void storeFailuresAreCountedByTheirErrorCode() throws Exception {
        HoldingStore[] store = new HoldingStore[1];
        ServerConfig config = ServerConfig.builder().bindAddress("127.0.0.1").port(0).dataDir(dataDir)
                .workerThreads(2).scanThreads(2).metricsPort(ServerConfig.LISTENER_EPHEMERAL).build();
        LogwireServer server = new LogwireServer(config, c -> store[0] = new HoldingStore(Stores.open(c))).start();
        try (TestClient c = TestClient.connect(server.port(), server.tls().certificate())) {
            store[0].failWith = "store overloaded: 70000000 bytes are waiting to be written (limit 67108864)";
            c.send(upload(1, 0, 3));
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            store[0].failWith = "injected: the disk is gone";
            c.send(upload(2, 0, 3));
            c.send(upload(3, 0, 3));
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.STORAGE_ERROR);
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.STORAGE_ERROR);
            store[0].failWith = null;
            c.send(upload(4, 0, 3));
            assertThat(c.next()).isInstanceOf(Reply.UploadOk.class);
            PrometheusText m = scrape(server);
            assertThat(m.value("logwire_requests_total", "opcode", "UPLOAD", "outcome", "OVERLOADED")).isEqualTo(1);
            assertThat(m.value("logwire_requests_total", "opcode", "UPLOAD", "outcome", "STORAGE_ERROR")).isEqualTo(2);
            assertThat(m.value("logwire_requests_total", "opcode", "UPLOAD", "outcome", "ok")).isEqualTo(1);
            assertThat(m.value("logwire_ingested_entries_total")).isEqualTo(3);
            assertThat(m.value("logwire_upload_ack_seconds_count")).isEqualTo(1);
            assertThat(m.value("logwire_errors_sent_total")).isEqualTo(3);
        } finally {
            server.stop();
        }
    }

    /** Delegates to a real store; can hold appends (requests stay in flight) and report itself unavailable. */
    static final class HoldingStore implements LogStore {
        private final LogStore delegate;
        private final List<Runnable> held = new ArrayList<>();
        volatile boolean available = true;
        volatile boolean hold;
        /** When set, appends fail with a StoreException with this message (nothing stored). */
        volatile String failWith;

        HoldingStore(LogStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public synchronized CompletableFuture<AppendResult> append(ByteBuf entries, int count) {
            String failure = failWith;
            if (failure != null) {
                entries.release();
                return CompletableFuture.failedFuture(new StoreException(failure));
            }
            if (!hold) {
                return delegate.append(entries, count);
            }
            CompletableFuture<AppendResult> f = new CompletableFuture<>();
            held.add(() -> delegate.append(entries, count).whenComplete((r, e) -> {
                if (e != null) {
                    f.completeExceptionally(e);
                } else {
                    f.complete(r);
                }
            }));
            return f;
        }

        /** Appends waiting for {@link #release}. */
        synchronized int heldCount() {
            return held.size();
        }

        synchronized void release() {
            hold = false;
            held.forEach(Runnable::run);
            held.clear();
        }

        @Override
        public boolean isAvailable() {
            return available && delegate.isAvailable();
        }

        @Override
        public Cursor openCursor(long fromSequence, EntryPredicate predicate, Filter filter) {
            return delegate.openCursor(fromSequence, predicate, filter);
        }

        @Override
        public long nextSequence() {
            return delegate.nextSequence();
        }

        @Override
        public StoreStats stats() {
            return delegate.stats();
        }

        @Override
        public void sync() {
            delegate.sync();
        }

        @Override
        public void close() {
            release();
            delegate.close();
        }
    }
}
