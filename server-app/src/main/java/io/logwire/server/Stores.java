package io.logwire.server;

import io.logwire.server.store.LogStore;
import io.logwire.server.store.clickhouse.ClickHouseLogStore;
import io.logwire.server.store.embedded.EmbeddedLogStore;
import io.logwire.server.store.embedded.EmbeddedStoreConfig;

/** Opens the store a configuration asks for. */
public final class Stores {
    /** Sub-directory of the data dir that holds the embedded store. */
    public static final String EMBEDDED_DIR = "store";

    private Stores() {
    }

    /** The store {@code --store} names: the embedded one in {@code <data-dir>/store}, or ClickHouse. */
    public static LogStore open(ServerConfig config) {
        if (config.storeBackend() == ServerConfig.StoreBackend.CLICKHOUSE) {
            return ClickHouseLogStore.open(config.clickHouse());
        }
        return EmbeddedLogStore.open(EmbeddedStoreConfig.builder(config.dataDir().resolve(EMBEDDED_DIR))
                .fsyncPolicy(config.fsync())
                .batchFsyncInterval(config.fsyncInterval())
                .segmentBytes(config.segmentBytes())
                .retentionMaxBytes(config.retentionBytes())
                .retentionMaxAge(config.retentionAge())
                .scanParallelism(config.scanThreads() > 0 ? config.scanThreads()
                        : EmbeddedStoreConfig.DEFAULT_SCAN_PARALLELISM)
                .dedupWindow(config.dedupWindow())
                .dedupMaxBatches(config.dedupMaxBatches())
                .columns(config.storeColumns())
                .preallocate(config.storePreallocate())
                .build());
    }
}
