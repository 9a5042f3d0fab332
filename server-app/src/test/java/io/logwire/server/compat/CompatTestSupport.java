package io.logwire.server.compat;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.server.LogwireServer;
import io.logwire.server.ServerConfig;
import io.logwire.server.Stores;
import io.logwire.server.store.FsyncPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Real servers with every compat listener on a free port, and blocking sockets that speak raw bytes. */
final class CompatTestSupport {
    /** Two entries exactly as the tutorial's send_log_entry packs them (PROTOCOL.md section 3, vectors.json). */
    static final String ALICE_HEX = "000500080008416c69636531302e302e302e3931302e322e312e351f900000006400000040000004003f800000";
    static final String AMY_HEX = "0009000b0014416d792042726f776e323030313a6462383a3a317475746f7269616c2e6578616d706c652e636f6d"
            + "01bb0000177000000000ffffffff40900000";

    private CompatTestSupport() {
    }

    /**
     * Legacy plaintext also makes the main listener plaintext (no certificate to generate, which
     * is slow) unless {@code customize} says otherwise.
     */
    static LogwireServer start(Path dataDir, boolean legacyPlaintext, Consumer<ServerConfig.Builder> customize)
            throws Exception {
        ServerConfig.Builder b = ServerConfig.builder().plaintext(legacyPlaintext)
                .bindAddress("127.0.0.1").port(0).dataDir(dataDir)
                .workerThreads(2).scanThreads(2).fsync(FsyncPolicy.NEVER)
                .shutdownTimeout(Duration.ofSeconds(5))
                .legacyPort(ServerConfig.LISTENER_EPHEMERAL).legacyPlaintext(legacyPlaintext)
                .appPort(ServerConfig.LISTENER_EPHEMERAL).echoPort(ServerConfig.LISTENER_EPHEMERAL);
        customize.accept(b);
        return new LogwireServer(b.build(), Stores::open).start();
    }

    static Socket plain(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A TLS socket trusting only {@code cert}, handshake done. */
    static Socket tls(int port, Path cert) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            ks.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    static byte[] hex(String hex) {
        return ByteBufUtil.decodeHexDump(hex);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    static byte[] u32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** {@code u16 1, u32 count, entries}: the tutorial client's upload. */
    static byte[] legacyUpload(int count, byte[] entries) {
        return concat(u16(1), u32(count), entries);
    }

    /** {@code u16 2, u32 length, filter}: the tutorial client's query. */
    static byte[] legacyQuery(String filter) {
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        return concat(u16(2), u32(f.length), f);
    }

    static byte[] encode(List<LogEntry> entries) {
        ByteBuf buf = Unpooled.buffer();
        LogEntryCodec.encodeAll(entries, buf);
        byte[] out = ByteBufUtil.getBytes(buf);
        buf.release();
        return out;
    }

    /** Reads a legacy query reply: {@code u32 count}, then that many entries; returns the entry bytes. */
    static byte[] readLegacyReply(Socket s, long expectedCount) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        long count = in.readInt() & 0xFFFF_FFFFL;
        assertThat(count).as("count").isEqualTo(expectedCount);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long i = 0; i < count; i++) {
            byte[] lengths = in.readNBytes(6);
            int strings = ((lengths[0] & 0xFF) << 8 | lengths[1] & 0xFF) + ((lengths[2] & 0xFF) << 8 | lengths[3] & 0xFF)
                    + ((lengths[4] & 0xFF) << 8 | lengths[5] & 0xFF);
            out.writeBytes(lengths);
            byte[] rest = in.readNBytes(strings + LogEntryCodec.FIXED_SIZE);
            assertThat(rest).hasSize(strings + LogEntryCodec.FIXED_SIZE);
            out.writeBytes(rest);
        }
        return out.toByteArray();
    }

    /** Reads everything until the server closes (fails if it does not within the socket timeout). */
    static byte[] readToEof(Socket s) throws IOException {
        try {
            return s.getInputStream().readAllBytes();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection", e);
        }
    }

    /** Asserts that the server closes the connection without sending anything more. */
    static void assertClosedSilently(Socket s) throws IOException {
        byte[] rest;
        try {
            rest = s.getInputStream().readAllBytes();
        } catch (java.net.SocketException reset) {
            return; // closed with unread input: a reset is a close too
        }
        assertThat(rest).as("bytes before close").isEmpty();
    }

    /** Waits (bounded) until {@code counter} reaches {@code target}: the server has read that far. */
    static void await(LongSupplier counter, long target) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (counter.getAsLong() < target) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("counter stuck at " + counter.getAsLong() + ", expected " + target);
            }
            Thread.onSpinWait();
            Thread.sleep(0, 100_000);
        }
    }
}
