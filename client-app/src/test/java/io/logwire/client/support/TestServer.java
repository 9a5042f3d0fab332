package io.logwire.client.support;

import io.logwire.client.ClientConfig;
import io.logwire.server.LogwireServer;
import io.logwire.server.ServerConfig;
import io.logwire.server.Stores;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** A real logwire server, in-process, on 127.0.0.1 and a free port, TLS with its generated certificate. */
public final class TestServer implements AutoCloseable {
    private final LogwireServer server;

    private TestServer(LogwireServer server) {
        this.server = server;
    }

    public static TestServer start(Path dataDir) throws IOException {
        return start(base(dataDir));
    }

    /** A builder preset for tests: loopback, port 0, quick shutdown. */
    public static ServerConfig.Builder base(Path dataDir) {
        return ServerConfig.builder().bindAddress("127.0.0.1").port(0).dataDir(dataDir)
                .shutdownTimeout(Duration.ofSeconds(2)).workerThreads(2).scanThreads(2);
    }

    public static TestServer start(ServerConfig.Builder config) throws IOException {
        return new TestServer(new LogwireServer(config.build(), Stores::open).start());
    }

    public LogwireServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    /** The certificate clients trust (the generated one, or the one configured). */
    public Path certificate() {
        return server.tls().certificate();
    }

    /** A client configuration for this server: 127.0.0.1, trusting its certificate. */
    public ClientConfig.Builder client() {
        ClientConfig.Builder b = ClientConfig.builder().host("127.0.0.1").port(port()).timeout(Duration.ofSeconds(20));
        return server.tls() == null ? b.plaintext(true) : b.caFile(certificate());
    }

    @Override
    public void close() {
        server.stop();
    }
}
