package io.logwire.server.compat;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.server.LogwireServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.logwire.server.compat.CompatTestSupport.ALICE_HEX;
import static io.logwire.server.compat.CompatTestSupport.AMY_HEX;
import static io.logwire.server.compat.CompatTestSupport.assertClosedSilently;
import static io.logwire.server.compat.CompatTestSupport.await;
import static io.logwire.server.compat.CompatTestSupport.concat;
import static io.logwire.server.compat.CompatTestSupport.encode;
import static io.logwire.server.compat.CompatTestSupport.hex;
import static io.logwire.server.compat.CompatTestSupport.legacyQuery;
import static io.logwire.server.compat.CompatTestSupport.legacyUpload;
import static io.logwire.server.compat.CompatTestSupport.readLegacyReply;
import static io.logwire.server.compat.CompatTestSupport.u16;
import static io.logwire.server.compat.CompatTestSupport.u32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The legacy log protocol (PROTOCOL.md Appendix A.1) against a real server, byte for byte. */
class LegacyListenerTest {
    static final byte[] ALICE = hex(ALICE_HEX);
    static final byte[] AMY = hex(AMY_HEX);

    @TempDir
    Path dataDir;
    LogwireServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void uploadIsStoredWithoutReplyAndQueryAnswersCountThenEntriesOverTls() throws Exception {
        server = CompatTestSupport.start(dataDir, false, b -> { });
        try (Socket s = CompatTestSupport.tls(server.legacyPort(), server.tls().certificate())) {
            OutputStream out = s.getOutputStream();
            out.write(legacyUpload(2, concat(ALICE, AMY)));
            out.write(legacyQuery(""));
            assertThat(readLegacyReply(s, 2)).isEqualTo(concat(ALICE, AMY));
            out.write(legacyQuery("username=Alice"));
            assertThat(readLegacyReply(s, 1)).isEqualTo(ALICE);
            out.write(legacyQuery("dataReceived>5000, score<5"));
            assertThat(readLegacyReply(s, 1)).isEqualTo(AMY);
            out.write(legacyQuery("username=nobody"));
            assertThat(readLegacyReply(s, 0)).isEmpty();
            assertThat(s.getInputStream().available()).as("no reply to the upload").isZero();
        }
        assertThat(server.store().nextSequence()).isEqualTo(2);
        // STATS counts the legacy connection and its five commands.
        assertThat(server.stats().connectionsAccepted()).isEqualTo(1);
        assertThat(server.stats().messagesReceived()).isEqualTo(5);
    }

    @Test
    void tlsHandshakesOverTheServerWideRateAreClosedAtAcceptOnTheLegacyListenerToo() throws Exception {
        // One handshake per second: the budget refills a second after the first connection.
        server = CompatTestSupport.start(dataDir, false, b -> b.maxHandshakeRate(1));
        java.nio.file.Path cert = server.tls().certificate();
        try (Socket a = CompatTestSupport.tls(server.legacyPort(), cert)) {
            // The budget is shared with the main listener: a second TLS connection anywhere is closed.
            assertThatThrownBy(() -> CompatTestSupport.tls(server.port(), cert).close()).isNotNull();
            assertThatThrownBy(() -> CompatTestSupport.tls(server.legacyPort(), cert).close()).isNotNull();
            assertThat(server.limits().rejections(io.logwire.server.limits.Limits.Kind.TLS_HANDSHAKE_RATE))
                    .isEqualTo(2);
        }
    }

    @Test
    void defaultIsTlsSoPlaintextBytesAreRefused() throws Exception {
        server = CompatTestSupport.start(dataDir, false, b -> { });
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(legacyUpload(1, ALICE));
            assertClosedSilently(s);
        }
        assertThat(server.store().nextSequence()).isZero();
    }

    @Test
    void commandsSplitAtEveryByteBoundaryOnOneConnection() throws Exception {
        // --legacy-plaintext beside a TLS main listener
        server = CompatTestSupport.start(dataDir, true, b -> b.plaintext(false));
        assertThat(server.tls()).isNotNull();
        byte[] commands = concat(legacyUpload(2, concat(ALICE, AMY)), legacyQuery("username=Alice"));
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            OutputStream out = s.getOutputStream();
            for (int split = 1; split < commands.length; split++) {
                long base = server.stats().bytesReceived();
                out.write(commands, 0, split);
                // The server has read the first part before the rest is sent: two reads for sure.
                await(server.stats()::bytesReceived, base + split);
                out.write(commands, split, commands.length - split);
                byte[] expected = new byte[0];
                for (int i = 0; i < split; i++) {
                    expected = concat(expected, ALICE);
                }
                assertThat(readLegacyReply(s, split)).as("split at %d", split).isEqualTo(expected);
            }
        }
        assertThat(server.store().nextSequence()).isEqualTo(2L * (commands.length - 1));
    }

    @Test
    void severalCommandsInOneWriteAreAnsweredInOrder() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(concat(legacyUpload(1, ALICE), legacyQuery(""), legacyUpload(0, new byte[0]),
                    legacyUpload(1, AMY), legacyQuery("port=443"), legacyQuery("")));
            assertThat(readLegacyReply(s, 1)).isEqualTo(ALICE);
            assertThat(readLegacyReply(s, 1)).isEqualTo(AMY);
            assertThat(readLegacyReply(s, 2)).isEqualTo(concat(ALICE, AMY));
        }
    }

    @Test
    void queryReturningManyEntriesInOnePassAndInTwo() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        // ~1.9 MB of entries: above the 1 MiB a query reply is held for, so "" takes two passes;
        // "port<1000" matches a quarter of them (~0.5 MB), which is sent after one pass.
        List<LogEntry> all = new ArrayList<>();
        ByteArrayBuilder small = new ByteArrayBuilder();
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            OutputStream out = s.getOutputStream();
            for (int batch = 0; batch < 8; batch++) {
                List<LogEntry> entries = new ArrayList<>();
                for (int i = 0; i < 4000; i++) {
                    int n = batch * 4000 + i;
                    LogEntry e = new LogEntry("user-" + n, "10.0." + (n % 256) + ".1", n % 4 == 0 ? 80 : 8080, n,
                            n * 3L, n * 7L, n / 1000f, "web-" + (n % 10));
                    entries.add(e);
                    if (n % 4 == 0) {
                        small.add(encode(List.of(e)));
                    }
                }
                all.addAll(entries);
                out.write(legacyUpload(entries.size(), encode(entries)));
            }
            out.write(legacyQuery(""));
            byte[] everything = readLegacyReply(s, all.size());
            assertThat(everything.length).isGreaterThan(LegacyServerCodec.DEFAULT_QUERY_BUFFER_BYTES);
            assertThat(everything).isEqualTo(encode(all));
            out.write(legacyQuery("port<1000"));
            byte[] some = readLegacyReply(s, all.size() / 4);
            assertThat(some.length).isLessThan(LegacyServerCodec.DEFAULT_QUERY_BUFFER_BYTES);
            assertThat(some).isEqualTo(small.bytes());
        }
    }

    @Test
    void badEntryClosesTheConnectionAndStoresNothingOfTheBatch() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        byte[] badUtf8 = ALICE.clone();
        badUtf8[6] = (byte) 0xFF; // first byte of the username: never valid UTF-8
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(concat(legacyUpload(1, AMY), legacyQuery(""),
                    legacyUpload(2, concat(ALICE, badUtf8)), legacyQuery("")));
            assertThat(readLegacyReply(s, 1)).isEqualTo(AMY);
            assertClosedSilently(s);
        }
        assertThat(server.store().nextSequence()).as("only the good batch before").isEqualTo(1);
    }

    @Test
    void nonFiniteScoreClosesTheConnection() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        byte[] nan = ALICE.clone();
        System.arraycopy(hex("7fc00000"), 0, nan, nan.length - 4, 4); // score = NaN
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(legacyUpload(1, nan));
            assertClosedSilently(s);
        }
        assertThat(server.store().nextSequence()).isZero();
    }

    @Test
    void badFilterClosesTheConnection() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(concat(legacyQuery("nosuchfield=1"), legacyUpload(1, ALICE)));
            assertClosedSilently(s);
        }
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(concat(u16(2), u32(2), hex("c328"), legacyUpload(1, ALICE))); // not UTF-8
            assertClosedSilently(s);
        }
        assertThat(server.store().nextSequence()).isZero();
    }

    @Test
    void unknownCommandClosesTheConnection() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(concat(hex("0003"), u32(1), ALICE));
            assertClosedSilently(s);
        }
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(concat(legacyUpload(1, ALICE), hex("0000")));
            assertClosedSilently(s);
        }
        assertThat(server.store().nextSequence()).isEqualTo(1);
    }

    @Test
    void batchLargerThanTheFrameLimitClosesTheConnection() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> b.maxFrameLength(1024));
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            entries.add(new LogEntry("user-" + i, "10.0.0.1", 80, i, i, i, 1f, "web")); // ~42 bytes each
        }
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(legacyUpload(30, encode(entries)));
            assertClosedSilently(s);
        }
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            s.getOutputStream().write(legacyUpload(20, encode(entries.subList(0, 20)))); // ~840 bytes: fits
            s.getOutputStream().write(legacyQuery(""));
            assertThat(readLegacyReply(s, 20)).isEqualTo(encode(entries.subList(0, 20)));
        }
        assertThat(server.store().nextSequence()).isEqualTo(20);
    }

    @Test
    void halfCloseAfterCommandsStillGetsTheReplyAndDropsAnIncompleteBatch() throws Exception {
        server = CompatTestSupport.start(dataDir, true, b -> { });
        try (Socket s = CompatTestSupport.plain(server.legacyPort())) {
            byte[] truncated = legacyUpload(2, concat(ALICE, AMY));
            s.getOutputStream().write(concat(legacyUpload(1, ALICE), legacyQuery(""),
                    java.util.Arrays.copyOf(truncated, truncated.length - 1)));
            s.shutdownOutput();
            assertThat(readLegacyReply(s, 1)).isEqualTo(ALICE);
            assertClosedSilently(s);
        }
        assertThat(server.store().nextSequence()).isEqualTo(1);
    }

    /** Collects byte arrays. */
    private static final class ByteArrayBuilder {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        void add(byte[] b) {
            out.writeBytes(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
