package io.logwire.server;

import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.compress.CompressedFrames;
import io.logwire.protocol.compress.CompressionCodec;
import io.logwire.protocol.message.BatchId;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** HELLO version 2, UPLOAD_ONCE, ERROR_RETRY and COMPRESSED frames through the real server pipeline. */
class ProtocolV2ServerTest {
    @TempDir
    Path dataDir;
    LogwireServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private LogwireServer start(Consumer<ServerConfig.Builder> customize) throws Exception {
        server = TestServers.start(dataDir, b -> {
            b.plaintext(true);
            customize.accept(b);
        });
        return server;
    }

    private TestClient connect() throws Exception {
        return TestClient.connect(server.port(), (Path) null);
    }

    private static Request.UploadOnce once(int stream, BatchId id, int first, int n) {
        Request.Upload u = MetricsEndpointTest.upload(stream, first, n);
        return new Request.UploadOnce(stream, id, n, u.entries());
    }

    private static Reply.HelloOk hello(TestClient c, int version, int codecs) throws Exception {
        c.send(new Request.Hello(1, version, codecs, "test"));
        return (Reply.HelloOk) c.next();
    }

    @Test
    void helloNegotiatesVersionOneOrTwo() throws Exception {
        start(b -> { });
        try (TestClient c = connect()) {
            Reply.HelloOk v1 = hello(c, 1, 0);
            assertThat(v1.protocolVersion()).isEqualTo(1);
            assertThat(v1.acceptedCodecs()).isZero();
            Reply.HelloOk v2 = hello(c, 2, CompressionCodec.LZ4.bit() | 0x8000);
            assertThat(v2.protocolVersion()).isEqualTo(2);
            assertThat(v2.maxFrameLength()).isEqualTo(ServerConfig.DEFAULT_MAX_FRAME_LENGTH);
            assertThat(CompressionCodec.fromMask(v2.acceptedCodecs()))
                    .containsExactlyInAnyOrder(CompressionCodec.LZ4, CompressionCodec.ZSTD);
            assertThat(MetricsEndpointTest.stats(c, 3).get("protocolVersion").asInt()).isEqualTo(2);
        }
        try (TestClient c = connect()) {
            c.send(new Request.Hello(1, 3, 0, "future"));
            Reply.Error e = (Reply.Error) c.next();
            assertThat(e.errorCode()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(c.awaitClosed(5000)).isTrue();
        }
    }

    @Test
    void uploadOnceStoresABatchOnceAndRepeatsTheOriginalSequences() throws Exception {
        start(b -> { });
        try (TestClient c = connect()) {
            hello(c, 2, 0);
            c.send(MetricsEndpointTest.upload(2, 0, 4));
            assertThat(c.next()).isEqualTo(new Reply.UploadOk(2, 4, 0));
            BatchId id = BatchId.random();
            c.send(once(3, id, 100, 10));
            assertThat(c.next()).isEqualTo(new Reply.UploadOnceOk(3, 10, 4, false));
            c.send(once(4, id, 100, 10));
            assertThat(c.next()).isEqualTo(new Reply.UploadOnceOk(4, 10, 4, true));
            c.send(once(5, id, 101, 10));
            Reply.Error reused = (Reply.Error) c.next();
            assertThat(reused.errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(reused.message()).contains("batch id reused with different content");
            // An all-zero id is refused by the codec, nothing stored.
            c.send(once(6, BatchId.of(0, 0), 0, 1));
            assertThat(((Reply.Error) c.next()).errorCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(MetricsEndpointTest.stats(c, 7).get("entriesStored").asLong()).isEqualTo(14);
        }
    }

    @Test
    void theSameBatchOnFourConnectionsAtOnceIsStoredOnce() throws Exception {
        start(b -> { });
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                clients.add(connect());
            }
            for (int round = 0; round < 20; round++) {
                BatchId id = BatchId.random();
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (TestClient c : clients) {
                    Request.UploadOnce u = once(round + 1, id, round * 50, 50);
                    ByteBuf frame = MessageCodec.encode(u, ByteBufAllocator.DEFAULT);
                    u.entries().release();
                    Thread t = new Thread(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        c.channel().writeAndFlush(frame);
                    });
                    t.start();
                    threads.add(t);
                }
                go.countDown();
                for (Thread t : threads) {
                    t.join();
                }
                Set<Long> firsts = new HashSet<>();
                int originals = 0;
                for (TestClient c : clients) {
                    Reply.UploadOnceOk ok = (Reply.UploadOnceOk) c.next();
                    firsts.add(ok.firstSequence());
                    originals += ok.duplicate() ? 0 : 1;
                }
                assertThat(originals).isEqualTo(1);
                assertThat(firsts).containsExactly(round * 50L);
            }
            assertThat(MetricsEndpointTest.stats(clients.get(0), 99).get("entriesStored").asLong()).isEqualTo(1000);
        } finally {
            clients.forEach(TestClient::close);
        }
    }

    @Test
    void overloadedIsAnErrorRetryOnlyForVersionTwoClients() throws Exception {
        MetricsEndpointTest.HoldingStore[] store = new MetricsEndpointTest.HoldingStore[1];
        ServerConfig config = ServerConfig.builder().bindAddress("127.0.0.1").port(0).dataDir(dataDir).plaintext(true)
                .workerThreads(2).scanThreads(2).build();
        server = new LogwireServer(config, c -> store[0] = new MetricsEndpointTest.HoldingStore(Stores.open(c))).start();
        store[0].failWith = "store overloaded: 70000000 bytes are waiting to be written (limit 67108864)";
        try (TestClient v1 = connect(); TestClient v2 = connect(); TestClient none = connect()) {
            hello(v1, 1, 0);
            hello(v2, 2, 0);
            v1.send(MetricsEndpointTest.upload(2, 0, 3));
            assertThat(((Reply.Error) v1.next()).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            none.send(MetricsEndpointTest.upload(2, 0, 3));
            assertThat(((Reply.Error) none.next()).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            v2.send(MetricsEndpointTest.upload(2, 0, 3));
            Reply.ErrorRetry retry = (Reply.ErrorRetry) v2.next();
            assertThat(retry.errorCode()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(retry.retryAfterMillis()).isBetween(100L, 300L);
            assertThat(retry.streamId()).isEqualTo(2);
        }
    }

    @Test
    void shuttingDownIsAnErrorRetryOnlyForVersionTwoClients() throws Exception {
        MetricsEndpointTest.HoldingStore[] store = new MetricsEndpointTest.HoldingStore[1];
        ServerConfig config = ServerConfig.builder().bindAddress("127.0.0.1").port(0).dataDir(dataDir).plaintext(true)
                .workerThreads(2).scanThreads(2).build();
        LogwireServer s = new LogwireServer(config, c -> store[0] = new MetricsEndpointTest.HoldingStore(Stores.open(c)))
                .start();
        try (TestClient v1 = TestClient.connect(s.port(), (Path) null);
             TestClient v2 = TestClient.connect(s.port(), (Path) null)) {
            hello(v1, 1, 0);
            hello(v2, 2, 0);
            store[0].hold = true;
            v1.send(MetricsEndpointTest.upload(2, 0, 3)); // keeps the drain waiting
            // Wait until the store holds it: the in-flight count may still include v2's HELLO.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (store[0].heldCount() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(store[0].heldCount()).isEqualTo(1);
            java.util.concurrent.CompletableFuture<Boolean> stopped =
                    java.util.concurrent.CompletableFuture.supplyAsync(s::stop);
            Reply r;
            int stream = 10;
            do {
                v2.send(new Request.DoubleValue(stream++, 1));
                r = v2.next();
            } while (r instanceof Reply.DoubleOk);
            Reply.ErrorRetry retry = (Reply.ErrorRetry) r;
            assertThat(retry.errorCode()).isEqualTo(ErrorCode.SHUTTING_DOWN);
            assertThat(retry.retryAfterMillis()).isEqualTo(1000);
            v1.send(new Request.DoubleValue(3, 1));
            assertThat(((Reply.Error) v1.next()).errorCode()).isEqualTo(ErrorCode.SHUTTING_DOWN);
            store[0].release();
            assertThat(v1.next()).isInstanceOf(Reply.UploadOk.class);
            assertThat(stopped.get()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(CompressionCodec.class)
    void compressedRequestsAreAcceptedFromAnyClient(CompressionCodec codec) throws Exception {
        start(b -> { });
        try (TestClient c = connect()) {
            ByteBuf frame = MessageCodec.encode(MetricsEndpointTest.upload(5, 0, 200), ByteBufAllocator.DEFAULT);
            ByteBuf compressed = CompressedFrames.wrap(frame, codec, ByteBufAllocator.DEFAULT);
            frame.release();
            assertThat(compressed).isNotNull();
            c.channel().writeAndFlush(compressed).syncUninterruptibly();
            assertThat(c.next()).isEqualTo(new Reply.UploadOk(5, 200, 0));
            PrometheusText m = PrometheusText.parse(server.stats().metrics().scrape());
            assertThat(m.value("logwire_compressed_frames_compressed_bytes_total", "direction", "received"))
                    .isGreaterThan(0).isLessThan(m.value("logwire_compressed_frames_uncompressed_bytes_total",
                            "direction", "received"));
        }
    }

    @Test
    void repliesAreCompressedOnlyForClientsThatAcceptACodec() throws Exception {
        start(b -> { });
        try (TestClient loader = connect()) {
            loader.send(MetricsEndpointTest.upload(1, 0, 5000));
            assertThat(loader.next()).isInstanceOf(Reply.UploadOk.class);
        }
        for (int variant = 0; variant < 3; variant++) {
            try (TestClient c = connect()) {
                if (variant == 1) {
                    hello(c, 2, 0); // version 2 without codecs
                } else if (variant == 2) {
                    hello(c, 2, CompressionCodec.LZ4.bit());
                }
                c.send(new Request.Query(9, 0, ""));
                long rows = 0;
                Reply r;
                while ((r = c.next()) instanceof Reply.Rows rr) {
                    rows += rr.count();
                    rr.entries().release();
                }
                assertThat(r).isEqualTo(new Reply.ScanDone(Opcode.QUERY, 9, 5000));
                assertThat(rows).isEqualTo(5000);
                if (variant == 2) {
                    assertThat(c.compressedReceived.get()).isGreaterThan(0);
                } else {
                    assertThat(c.compressedReceived.get()).isZero();
                }
            }
        }
        PrometheusText m = PrometheusText.parse(server.stats().metrics().scrape());
        assertThat(m.value("logwire_compressed_frames_compressed_bytes_total", "direction", "sent"))
                .isGreaterThan(0).isLessThan(m.value("logwire_compressed_frames_uncompressed_bytes_total",
                        "direction", "sent"));
    }

    @Test
    void repliesAreNotCompressedWhenTurnedOff() throws Exception {
        start(b -> b.compressReplies(false));
        try (TestClient c = connect()) {
            c.send(MetricsEndpointTest.upload(1, 0, 3000));
            assertThat(c.next()).isInstanceOf(Reply.UploadOk.class);
            assertThat(hello(c, 2, CompressionCodec.allMask()).acceptedCodecs()).isEqualTo(CompressionCodec.allMask());
            c.send(new Request.Query(9, 0, ""));
            Reply r;
            while ((r = c.next()) instanceof Reply.Rows rr) {
                rr.entries().release();
            }
            assertThat(r).isInstanceOf(Reply.ScanDone.class);
            assertThat(c.compressedReceived.get()).isZero();
        }
    }

    /** A COMPRESSED frame with the given codec byte, innerLength and payload. */
    private static ByteBuf compressedFrame(int codec, long innerLength, byte[] payload) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(6 + 5 + payload.length).writeShort(Opcode.COMPRESSED).writeInt(0);
        b.writeByte(codec).writeInt((int) innerLength).writeBytes(payload);
        return b;
    }

    private void assertFatal(ByteBuf frame, ErrorCode expected) throws Exception {
        try (TestClient c = connect()) {
            c.channel().writeAndFlush(frame).syncUninterruptibly();
            Reply.Error e = (Reply.Error) c.next();
            assertThat(e.errorCode()).isEqualTo(expected);
            assertThat(c.awaitClosed(5000)).as("fatal: the connection is closed").isTrue();
        }
    }

    @Test
    void badCompressedFramesAreFatal() throws Exception {
        start(b -> b.maxFrameLength(64 * 1024));
        // A bomb: 1 MiB of zeros compressed to a few KiB, announced as a small frame.
        byte[] zeros = new byte[1 << 20];
        ByteBuf z = Unpooled.wrappedBuffer(zeros);
        for (CompressionCodec codec : CompressionCodec.values()) {
            ByteBuf packed = codec.compress(z, 0, zeros.length, ByteBufAllocator.DEFAULT);
            byte[] bomb = new byte[packed.readableBytes()];
            packed.readBytes(bomb);
            packed.release();
            assertFatal(compressedFrame(codec.id(), 1000, bomb), ErrorCode.MALFORMED_FRAME);
            // Announcing its true size is over the frame limit: refused before decompressing.
            assertFatal(compressedFrame(codec.id(), zeros.length, bomb), ErrorCode.FRAME_TOO_LARGE);
        }
        assertFatal(compressedFrame(9, 100, new byte[20]), ErrorCode.MALFORMED_FRAME); // unknown codec
        assertFatal(compressedFrame(1, 3, new byte[20]), ErrorCode.MALFORMED_FRAME); // innerLength < 6
        // Nested: a COMPRESSED frame inside a COMPRESSED frame.
        ByteBuf inner = MessageCodec.encode(MetricsEndpointTest.upload(1, 0, 100), ByteBufAllocator.DEFAULT);
        ByteBuf once = CompressedFrames.wrap(inner, CompressionCodec.LZ4, ByteBufAllocator.DEFAULT);
        inner.release();
        ByteBuf body = once.slice(4, once.readableBytes() - 4);
        ByteBuf twice = Unpooled.buffer();
        ByteBuf packedInner = CompressionCodec.LZ4.compress(body, body.readerIndex(), body.readableBytes(),
                ByteBufAllocator.DEFAULT);
        twice.writeInt(6 + 5 + packedInner.readableBytes()).writeShort(Opcode.COMPRESSED).writeInt(0)
                .writeByte(CompressionCodec.LZ4.id()).writeInt(body.readableBytes()).writeBytes(packedInner);
        packedInner.release();
        once.release();
        assertFatal(twice, ErrorCode.MALFORMED_FRAME);
        // The server still serves others.
        try (TestClient c = connect()) {
            assertThat(hello(c, 2, 0).protocolVersion()).isEqualTo(2);
        }
    }
}
