package io.logwire.server.store.clickhouse;

import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.LogStore;
import io.logwire.server.store.LogStoreContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The store contract on ClickHouse: the two-shard dev cluster (Distributed table over a
 * MergeTree per shard), a fresh database per test. Skipped when the cluster is not running.
 */
class ClickHouseStoreContractTest extends LogStoreContractTest {
    protected String database;

    @BeforeEach
    void cluster() {
        ClickHouseTestCluster.assumeRunning();
        database = ClickHouseTestCluster.freshDatabase();
    }

    @AfterEach
    void dropDatabase() {
        if (database != null) {
            ClickHouseTestCluster.drop(database);
        }
    }

    @Override
    protected LogStore open() {
        return ClickHouseLogStore.open(ClickHouseTestCluster.config(database).build());
    }
}
