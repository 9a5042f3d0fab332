package io.logwire.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/** Starts real servers for tests: TLS with a generated certificate, 127.0.0.1, port 0. */
final class TestServers {
    private TestServers() {
    }

    static LogwireServer start(Path dataDir, Consumer<ServerConfig.Builder> customize) throws Exception {
        ServerConfig.Builder b = ServerConfig.builder()
                .bindAddress("127.0.0.1").port(0).dataDir(dataDir)
                .workerThreads(2).scanThreads(2)
                .shutdownTimeout(Duration.ofSeconds(5));
        customize.accept(b);
        return new LogwireServer(b.build(), Stores::open).start();
    }
}
