package io.logwire.server.store.clickhouse;

import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.LogStore;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The store contract on ClickHouse with one sequence in a keeper (an in-process ZooKeeper):
 * numbering, reads and notifications must behave exactly as without it. Skipped when the
 * ClickHouse dev cluster is not running.
 */
class ClickHouseKeeperStoreContractTest extends ClickHouseStoreContractTest {
    /** One for the class (it outlives every store); each test's fresh database has its own keeper path. */
    private static TestingServer keeper;

    @BeforeAll
    static void startKeeper() throws Exception {
        keeper = new TestingServer(true);
    }

    @AfterAll
    static void stopKeeper() throws Exception {
        keeper.close();
    }

    @Override
    protected LogStore open() {
        return ClickHouseLogStore.open(ClickHouseTestCluster.config(database).keeper(keeper.getConnectString()).build());
    }
}
