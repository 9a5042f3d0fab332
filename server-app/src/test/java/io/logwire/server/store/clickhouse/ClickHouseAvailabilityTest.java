package io.logwire.server.store.clickhouse;

import io.logwire.server.store.AppendResult;
import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.LogStoreContractTest;
import io.logwire.server.store.StoreException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static io.logwire.server.store.LogStoreContractTest.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ClickHouse going away and coming back, through a proxy the test can cut. */
class ClickHouseAvailabilityTest {
    @Test
    void unreachableClickHouseFailsUploadsAtOnceAndRecoversByItself() throws Exception {
        ClickHouseTestCluster.assumeRunning();
        URI shard1 = ClickHouseTestCluster.urls().get(0);
        String db = ClickHouseTestCluster.freshDatabase();
        try (TcpProxy proxy = new TcpProxy(shard1.getHost(), shard1.getPort()).start()) {
            ClickHouseConfig config = ClickHouseConfig.builder(List.of(URI.create("http://127.0.0.1:" + proxy.port() + "/")))
                    .database(db).connectTimeout(Duration.ofMillis(500)).requestTimeout(Duration.ofSeconds(10))
                    .healthInterval(Duration.ofMillis(100)).build();
            try (ClickHouseLogStore store = ClickHouseLogStore.open(config)) {
                io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
                store.bindTo(registry);
                assertThat(LogStoreContractTest.append(store, entries(0, 10))).isEqualTo(new AppendResult(10, 0));
                assertThat(store.isAvailable()).isTrue();
                assertThat(registry.get("logwire.store.clickhouse.insert").timer().count()).isEqualTo(1);
                assertThat(registry.get("logwire.store.clickhouse.inserts").functionCounter().count()).isEqualTo(1);
                assertThat(registry.get("logwire.store.clickhouse.rows.inserted").functionCounter().count())
                        .isEqualTo(10);

                proxy.stop();
                // The first upload finds out (connection refused) ...
                assertThatThrownBy(() -> LogStoreContractTest.append(store, entries(10, 5)))
                        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(StoreException.class);
                assertThat(store.isAvailable()).isFalse();
                // ... and the next ones fail without trying, at once.
                long t0 = System.nanoTime();
                for (int k = 0; k < 20; k++) {
                    assertThatThrownBy(() -> LogStoreContractTest.append(store, entries(10, 5)))
                            .hasCauseInstanceOf(StoreException.class).hasMessageContaining("unreachable");
                }
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(500);
                assertThat(store.insertErrors()).isGreaterThanOrEqualTo(1);
                assertThat(registry.get("logwire.store.clickhouse.insert.errors").functionCounter().count())
                        .isEqualTo(store.insertErrors());

                proxy.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!store.isAvailable() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(store.isAvailable()).isTrue();
                // Uploads refused at connect used no numbers. The first failed one may instead have gone out on
                // a pooled connection the proxy had cut: its outcome is unknown, so its 5 numbers are skipped.
                AppendResult r = LogStoreContractTest.append(store, entries(10, 5));
                assertThat(r.firstSequence()).isIn(10L, 15L);
                List<LogStoreContractTest.Stored> all = LogStoreContractTest.readAll(store);
                assertThat(all).hasSize(15);
                assertThat(all.get(10).sequence()).isEqualTo(r.firstSequence());
            }
        } finally {
            ClickHouseTestCluster.drop(db);
        }
    }

    @Test
    void aHangingClickHouseBoundsWhatWaitsAndAnswersOverloaded() throws Exception {
        ClickHouseTestCluster.assumeRunning();
        URI shard1 = ClickHouseTestCluster.urls().get(0);
        String db = ClickHouseTestCluster.freshDatabase();
        try (TcpProxy proxy = new TcpProxy(shard1.getHost(), shard1.getPort()).start()) {
            ClickHouseConfig config = ClickHouseConfig.builder(List.of(URI.create("http://127.0.0.1:" + proxy.port() + "/")))
                    .database(db).connectTimeout(Duration.ofMillis(500)).requestTimeout(Duration.ofSeconds(2))
                    .maxPendingBytes(4096).healthInterval(Duration.ofMillis(100)).build();
            try (ClickHouseLogStore store = ClickHouseLogStore.open(config)) {
                proxy.stop();
                proxy.blackhole(true);
                proxy.start();
                var stuck = store.append(LogStoreContractTest.encode(entries(0, 100)), 100);
                Thread.sleep(200); // the writer took it and waits for ClickHouse
                long t0 = System.nanoTime();
                var rejected = store.append(LogStoreContractTest.encode(entries(100, 100)), 100);
                assertThat(rejected).isCompletedExceptionally();
                assertThatThrownBy(rejected::join).hasCauseInstanceOf(StoreException.class)
                        .hasMessageContaining("overloaded");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(100);
                // The hanging insert times out; its outcome cannot be told, so it fails and its numbers are skipped.
                assertThatThrownBy(stuck::join).hasCauseInstanceOf(StoreException.class);
                proxy.stop();
                proxy.blackhole(false);
                proxy.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                AppendResult r = null;
                while (r == null && System.nanoTime() < deadline) {
                    try {
                        r = LogStoreContractTest.append(store, entries(200, 10));
                    } catch (CompletionException e) {
                        Thread.sleep(100);
                    }
                }
                assertThat(r).isNotNull();
                assertThat(r.firstSequence()).isEqualTo(100);
                assertThat(LogStoreContractTest.readAll(store)).hasSize(10);
            }
        } finally {
            ClickHouseTestCluster.drop(db);
        }
    }

    @Test
    void openingAnUnreachableStoreFailsClearly() {
        ClickHouseConfig config = ClickHouseConfig.builder(List.of(URI.create("http://127.0.0.1:9/")))
                .connectTimeout(Duration.ofMillis(300)).build();
        assertThatThrownBy(() -> ClickHouseLogStore.open(config)).isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot reach ClickHouse at http://127.0.0.1:9/");
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        List<URI> urls = List.of(URI.create("http://127.0.0.1:8123/"));
        assertThatThrownBy(() -> ClickHouseConfig.builder(urls).table("x; DROP TABLE y").build())
                .hasMessageContaining("table name must match");
        assertThatThrownBy(() -> ClickHouseConfig.builder(urls).nodeId(-1).build()).hasMessageContaining("--node-id");
        assertThatThrownBy(() -> ClickHouseConfig.builder(List.of(URI.create("ftp://x/"))).build())
                .hasMessageContaining("--clickhouse-url");
        assertThat(ClickHouseConfig.builder(urls).password("secret").build().toString()).doesNotContain("secret");
    }
}
