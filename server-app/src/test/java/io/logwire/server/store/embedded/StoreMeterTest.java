package io.logwire.server.store.embedded;

import io.logwire.server.store.AppendResult;
import io.logwire.server.store.FsyncPolicy;
import io.logwire.server.store.StoreException;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.logwire.server.store.embedded.StoreTestSupport.append;
import static io.logwire.server.store.embedded.StoreTestSupport.config;
import static io.logwire.server.store.embedded.StoreTestSupport.encode;
import static io.logwire.server.store.embedded.StoreTestSupport.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedded store's meters (fsync latency, group-commit sizes, counters) and its availability. */
class StoreMeterTest {
    @TempDir
    Path dir;

    @Test
    void fsyncsAndGroupCommitsAreMeasured() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config(dir).fsyncPolicy(FsyncPolicy.ALWAYS)
                .segmentBytes(64 * 1024).build())) {
            store.bindTo(registry);
            List<CompletableFuture<AppendResult>> pending = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pending.add(store.append(encode(entries(i * 10L, 10)), 10)); // queued together: shared fsyncs
            }
            pending.forEach(CompletableFuture::join);
            Timer fsync = registry.get("logwire.store.fsync").timer();
            DistributionSummary groups = registry.get("logwire.store.group.commit.batches").summary();
            assertThat(fsync.count()).isEqualTo(store.fsyncCount()).isPositive();
            assertThat(fsync.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
            assertThat(groups.count()).isEqualTo(store.groupCommitCount()).isLessThan(200);
            assertThat(groups.totalAmount()).isEqualTo(200);
            assertThat(groups.max()).isGreaterThan(1);
            assertThat(registry.get("logwire.store.appended.entries").functionCounter().count()).isEqualTo(2000);
            FunctionCounter rolls = registry.get("logwire.store.rolls").functionCounter();
            assertThat(rolls.count()).isPositive(); // 64 KiB segments
            assertThat(store.isAvailable()).isTrue();
        }
    }

    @Test
    void aStoreThatRefusesWritesUntilRestartIsNotAvailable() throws Exception {
        FaultyFileChannel.Faults faults = new FaultyFileChannel.Faults();
        EmbeddedStoreConfig cfg = config(dir).fsyncPolicy(FsyncPolicy.ALWAYS).build();
        EmbeddedLogStore store = EmbeddedLogStore.open(cfg, faults.factory());
        try {
            append(store, entries(0, 5));
            assertThat(store.isAvailable()).isTrue();
            faults.failForces.set(1);
            faults.failTruncate = true;
            assertThatThrownBy(() -> append(store, entries(5, 5))).hasCauseInstanceOf(StoreException.class);
            assertThat(store.isAvailable()).isFalse();
            faults.failTruncate = false;
        } finally {
            store.close();
        }
        assertThat(store.isAvailable()).isFalse(); // closed
        try (EmbeddedLogStore reopened = EmbeddedLogStore.open(cfg)) {
            assertThat(reopened.isAvailable()).isTrue();
        }
    }
}
