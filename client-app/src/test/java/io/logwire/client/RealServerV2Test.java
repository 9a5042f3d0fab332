package io.logwire.client;

import io.logwire.client.testing.ChaosProxy;
import io.logwire.client.support.Entries;
import io.logwire.client.support.TestServer;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.message.BatchId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The version-2 client library against the real server (the features that have landed there). */
class RealServerV2Test {
    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void exactlyOnceThroughAProxyThatCutsConnectionsAtRandom() throws Exception {
        int n = 200_000;
        int batch = 1_000;
        String marker = "chaos-" + System.nanoTime();
        long cuts;
        try (ChaosProxy proxy = new ChaosProxy("127.0.0.1", server.port(), 150)) {
            ClientConfig viaProxy = server.client().port(proxy.port()).timeout(Duration.ofSeconds(5)).maxInFlight(8)
                    .build();
            List<CompletableFuture<UploadOnceResult>> results = new ArrayList<>();
            try (ResilientUploader up = new ResilientUploader(viaProxy, 1_000, Duration.ofMillis(10),
                    Duration.ofMillis(500))) {
                for (int first = 0; first < n; first += batch) {
                    List<LogEntry> b = new ArrayList<>(batch);
                    for (int i = first; i < first + batch; i++) {
                        b.add(new LogEntry("u" + (i % 31), "10.0.0.1", i % 65536, i, i % 1000, 1, 0.25f, marker));
                    }
                    results.add(up.upload(b));
                }
                for (CompletableFuture<UploadOnceResult> f : results) {
                    assertThat(f.get(120, TimeUnit.SECONDS).stored()).isEqualTo(batch);
                }
                cuts = proxy.cuts();
                assertThat(up.retries()).as("the proxy must actually have disturbed the upload").isPositive();
            }
        }
        assertThat(cuts).isPositive();
        BitSet seen = new BitSet(n);
        long duplicated = 0;
        try (LogwireClient c = LogwireClient.connect(server.client().build());
             RowStream rows = c.query("server=\"" + marker + "\"", 0)) {
            while (rows.hasNext()) {
                int g = (int) rows.next().accessTime();
                if (seen.get(g)) {
                    duplicated++;
                }
                seen.set(g);
            }
        }
        assertThat(duplicated).as("duplicated").isZero();
        assertThat(n - seen.cardinality()).as("lost").isZero();
    }

    @Test
    void aRepeatedBatchIdIsAcknowledgedAsADuplicate() {
        try (LogwireClient c = LogwireClient.connect(server.client().build())) {
            assertThat(c.protocolVersion()).isEqualTo(2);
            BatchId id = BatchId.random();
            List<LogEntry> entries = Entries.of("dup-", 50, 3);
            UploadOnceResult first = c.sync().uploadOnce(id, entries);
            UploadOnceResult again = c.sync().uploadOnce(id, entries);
            assertThat(first.duplicate()).isFalse();
            assertThat(again.duplicate()).isTrue();
            assertThat(again.firstSequence()).isEqualTo(first.firstSequence());
        }
    }

    @Test
    void compressionIsNegotiatedBothWays() {
        for (CompressionCodec codec : CompressionCodec.values()) {
            String marker = "zip-" + codec + "-" + System.nanoTime();
            try (LogwireClient c = LogwireClient.connect(server.client().compression(codec).build())) {
                assertThat(c.serverHello().serverCodecs()).contains(codec);
                assertThat(c.requestCompression()).isEqualTo(codec);
                List<LogEntry> entries = new ArrayList<>();
                for (LogEntry e : Entries.of("zip-", 5_000, 11)) {
                    entries.add(new LogEntry(e.username(), e.ip(), e.port(), e.accessTime(), e.dataSent(),
                            e.dataReceived(), e.score(), marker));
                }
                c.sync().uploadOnce(BatchId.random(), entries);
                List<LogEntry> back = new ArrayList<>();
                try (RowStream rows = c.query("server=\"" + marker + "\"", 0)) {
                    rows.forEachRemaining(back::add);
                }
                assertThat(back).containsExactlyElementsOf(entries);
            }
        }
    }
}
