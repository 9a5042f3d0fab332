package io.logwire.server.compat;

import io.logwire.server.LogwireServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static io.logwire.server.compat.CompatTestSupport.readToEof;
import static org.assertj.core.api.Assertions.assertThat;

/** The echo protocol (PROTOCOL.md Appendix A.3) against a real server. */
class EchoListenerTest {
    @TempDir
    Path dataDir;
    LogwireServer server;

    @BeforeEach
    void start() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void everyByteValueComesBackAndTheConnectionStaysOpen() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        try (Socket s = CompatTestSupport.plain(server.echoPort())) {
            for (int round = 0; round < 3; round++) {
                s.getOutputStream().write(all);
                assertThat(s.getInputStream().readNBytes(all.length)).isEqualTo(all);
            }
            s.getOutputStream().write("Hello, world".getBytes());
            assertThat(s.getInputStream().readNBytes(12)).isEqualTo("Hello, world".getBytes());
        }
        assertThat(server.stats().connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void oneMebibyteBurstIsEchoedIntactThenHalfCloseEndsTheConnection() throws Exception {
        byte[] burst = new byte[1 << 20];
        new Random(42).nextBytes(burst);
        try (Socket s = CompatTestSupport.plain(server.echoPort())) {
            // Written in one go from another thread while this one reads: more than the socket
            // buffers hold, so the server must stop reading while its replies back up.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(burst);
                    out.flush();
                    s.shutdownOutput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] echoed = readToEof(s);
            writer.join();
            assertThat(echoed.length).isEqualTo(burst.length);
            assertThat(echoed).isEqualTo(burst);
            assertThat(in.read()).isEqualTo(-1);
        }
        assertThat(server.stats().bytesReceived()).isEqualTo(1 << 20);
        assertThat(server.stats().bytesSent()).isEqualTo(1 << 20);
    }
}
