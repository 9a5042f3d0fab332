package io.logwire.server.store;

import io.logwire.server.store.embedded.EmbeddedLogStore;
import io.logwire.server.store.embedded.EmbeddedStoreConfig;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The store contract on the embedded store. */
class EmbeddedStoreContractTest extends LogStoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected LogStore open() {
        return EmbeddedLogStore.open(EmbeddedStoreConfig.builder(dir).fsyncPolicy(FsyncPolicy.NEVER).build());
    }
}
