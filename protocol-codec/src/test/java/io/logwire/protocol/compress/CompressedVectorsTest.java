package io.logwire.protocol.compress;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.codec.ReplyDecoder;
import io.logwire.protocol.codec.RequestDecoder;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.frame.FrameDecoder;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.protocol.support.Describe;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/** The COMPRESSED envelope (PROTOCOL.md 6.7): the vectors, round trips and decompression bombs. */
class CompressedVectorsTest {
    private static final JsonNode V2 = Vectors.v2();
    private static final int MAX = FrameConstants.DEFAULT_MAX_FRAME_LENGTH;

    private static EmbeddedChannel unwrapping(TrackingAllocator alloc, int max) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(max), new CompressedFrameDecoder(max));
        ch.config().setAllocator(alloc);
        return ch;
    }

    @TestFactory
    Stream<DynamicTest> compressedVectorsUnwrapToTheirInnerFrame() {
        return Vectors.stream(V2.get("compressed")).map(v -> dynamicTest(v.get("name").asText(), () -> {
            TrackingAllocator alloc = new TrackingAllocator();
            EmbeddedChannel ch = unwrapping(alloc, MAX);
            Pipelines.feedByteByByte(ch, alloc, Vectors.bytes(v));
            Frame inner = ch.readInbound();
            try {
                assertThat(ch.<Object>readInbound()).isNull();
                ByteBuf whole = Unpooled.buffer().writeShort(inner.opcode()).writeInt(inner.streamId())
                        .writeBytes(inner.body(), inner.body().readerIndex(), inner.body().readableBytes());
                assertThat(Hex.of(whole)).isEqualTo(v.get("innerHex").asText());
                whole.release();
            } finally {
                inner.release();
            }
            assertThat(ch.finish()).isFalse();
            alloc.assertAllReleased();
        }));
    }

    /**
     * Compressing a vector's inner frame with its codec gives a COMPRESSED frame with the
     * vector's envelope (length aside: compressed bytes are not canonical, they depend on the
     * compressor's version and settings, so the vectors' exact compressed bytes are checked on
     * decoding) that unwraps to exactly the inner frame, and is smaller than it.
     */
    @TestFactory
    Stream<DynamicTest> compressingTheInnerFrameGivesAnEnvelopeThatUnwrapsToIt() {
        return Vectors.stream(V2.get("compressed")).map(v -> dynamicTest(v.get("name").asText(), () -> {
            TrackingAllocator alloc = new TrackingAllocator();
            byte[] inner = Hex.bytes(v.get("innerHex").asText());
            ByteBuf frame = alloc.buffer().writeInt(inner.length).writeBytes(inner);
            CompressionCodec codec = CompressionCodec.forId(v.get("codec").asInt());
            ByteBuf wrapped = CompressedFrames.wrap(frame, codec, alloc);
            try {
                assertThat(wrapped).as("compression gains").isNotNull();
                String hex = Hex.of(wrapped);
                String expected = v.get("hex").asText();
                // opcode, stream 0, codec and innerLength as in the vector
                assertThat(hex.substring(8, 30)).isEqualTo(expected.substring(8, 30));
                assertThat(wrapped.readableBytes()).isLessThan(frame.readableBytes());
                EmbeddedChannel ch = unwrapping(alloc, MAX);
                ch.writeInbound(wrapped.retain());
                Frame back = ch.readInbound();
                ByteBuf whole = Unpooled.buffer().writeShort(back.opcode()).writeInt(back.streamId())
                        .writeBytes(back.body());
                back.release();
                assertThat(Hex.of(whole)).isEqualTo(v.get("innerHex").asText());
                whole.release();
                assertThat(ch.finish()).isFalse();
            } finally {
                frame.release();
                ReferenceCountUtil.release(wrapped);
            }
            alloc.assertAllReleased();
        }));
    }

    @TestFactory
    Stream<DynamicTest> invalidCompressedFramesAreFatalConnectionErrors() {
        return Vectors.stream(V2.get("invalidCompressed")).map(v -> dynamicTest(
                v.get("name").asText() + " -> error " + v.get("expectError").asInt(), () -> {
                    TrackingAllocator alloc = new TrackingAllocator();
                    EmbeddedChannel ch = unwrapping(alloc, MAX);
                    assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(Vectors.bytes(v))))
                            .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                                assertThat(e.errorCode().code()).as("%s", e.getMessage())
                                        .isEqualTo(v.get("expectError").asInt());
                                assertThat(e.isFatal()).isEqualTo(v.get("fatal").asBoolean()).isTrue();
                                assertThat(e.streamId()).isZero();
                            });
                    // After a fatal error, later frames are dropped.
                    ch.writeInbound(alloc.copyOf(Vectors.bytes(Vectors.named(V2.get("compressed"), "lz4-echo"))));
                    assertThat(ch.<Object>readInbound()).isNull();
                    assertThat(ch.finish()).isFalse();
                    alloc.assertAllReleased();
                }));
    }

    @Test
    void plainFramesPassThroughAndCompressedOnesReachTheRequestDecoder() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX), new CompressedFrameDecoder(MAX),
                RequestDecoder.INSTANCE);
        ch.config().setAllocator(alloc);
        ch.writeInbound(alloc.copyOf(Vectors.bytes(Vectors.named(Vectors.v1().get("frames"), "echo"))));
        ch.writeInbound(alloc.copyOf(Vectors.bytes(Vectors.named(V2.get("compressed"), "zstd-echo"))));
        List<String> got = Pipelines.drainInbound(ch);
        assertThat(got).hasSize(2);
        assertThat(got.get(0)).startsWith("Echo[stream=11,");
        assertThat(got.get(1)).startsWith("Echo[stream=11,");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @ParameterizedTest
    @EnumSource(CompressionCodec.class)
    void everyCodecRoundTripsThroughTheEncoderAndDecoder(CompressionCodec codec) {
        Random random = new Random(42);
        TrackingAllocator alloc = new TrackingAllocator();
        CompressingMessageEncoder encoder = new CompressingMessageEncoder(64,
                m -> m instanceof Reply.Rows || m instanceof Reply.SeqRows || m instanceof Reply.EchoOk).codec(codec);
        EmbeddedChannel out = new EmbeddedChannel(encoder);
        out.config().setAllocator(alloc);
        EmbeddedChannel in = new EmbeddedChannel(new FrameDecoder(MAX), new CompressedFrameDecoder(MAX),
                ReplyDecoder.INSTANCE);
        in.config().setAllocator(alloc);
        for (int round = 0; round < 50; round++) {
            List<io.logwire.protocol.entry.LogEntry> entries = Vectors.entries();
            ByteBuf rows = alloc.buffer();
            int count = random.nextInt(200);
            for (int i = 0; i < count; i++) {
                LogEntryCodec.encode(entries.get(random.nextInt(entries.size())), rows);
            }
            byte[] noise = new byte[random.nextInt(3000)];
            random.nextBytes(noise);
            Message[] sent = {
                    new Reply.Rows(Opcode.QUERY, 3 + round, count, rows),
                    new Reply.EchoOk(4, alloc.copyOf(noise)),           // incompressible: sent plain
                    new Reply.DoubleOk(5, round),                        // not eligible, tiny
            };
            for (Message m : sent) {
                String expected = Describe.message(m);
                out.writeOutbound(m);
                byte[] wire = Pipelines.drainOutbound(out);
                in.writeInbound(alloc.copyOf(wire));
                Message back = in.readInbound();
                try {
                    assertThat(Describe.message(back)).isEqualTo(expected);
                } finally {
                    ReferenceCountUtil.release(back);
                }
            }
        }
        assertThat(encoder.framesCompressed()).as("ROWS frames of many entries were compressed").isGreaterThan(10);
        long[] bytes = encoder.compressedBytesBeforeAndAfter();
        assertThat(bytes[1]).isLessThan(bytes[0]);
        assertThat(out.finish()).isFalse();
        assertThat(in.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @ParameterizedTest
    @EnumSource(CompressionCodec.class)
    void randomDataRoundTripsAtEverySize(CompressionCodec codec) {
        roundTripsAtEverySize(codec, false);
    }

    @ParameterizedTest
    @EnumSource(CompressionCodec.class)
    void directBuffersRoundTripToo(CompressionCodec codec) {
        roundTripsAtEverySize(codec, true);
    }

    private static void roundTripsAtEverySize(CompressionCodec codec, boolean direct) {
        Random random = new Random(7);
        TrackingAllocator alloc = new TrackingAllocator();
        for (int size : new int[] {6, 7, 100, 4096, 70_000, 1 << 20}) {
            byte[] inner = new byte[size];
            for (int i = 0; i < size; i++) {
                inner[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt() : 'a' + i % 7);
            }
            inner[0] = 0x00;
            inner[1] = 0x03; // ECHO, never COMPRESSED
            ByteBuf source = direct ? alloc.directBuffer(size + 3).writeZero(3).writeBytes(inner)
                    : Unpooled.wrappedBuffer(inner);
            ByteBuf compressed = codec.compress(source, direct ? 3 : 0, size, alloc);
            if (direct) {
                source.release();
            }
            ByteBuf body = (direct ? alloc.directBuffer() : alloc.buffer()).writeZero(2)
                    .writeByte(codec.id()).writeInt(size).writeBytes(compressed).skipBytes(2);
            compressed.release();
            Frame frame = CompressedFrames.unwrap(body, MAX, alloc);
            try {
                ByteBuf whole = Unpooled.buffer().writeShort(frame.opcode()).writeInt(frame.streamId())
                        .writeBytes(frame.body());
                assertThat(ByteBufUtil.getBytes(whole)).isEqualTo(inner);
                whole.release();
            } finally {
                frame.release();
                body.release();
            }
        }
        alloc.assertAllReleased();
    }

    /** A tiny frame that announces a huge inner frame is refused before anything is allocated for it. */
    @ParameterizedTest
    @EnumSource(CompressionCodec.class)
    void aBombAnnouncingMoreThanTheMaximumIsRefusedBeforeDecompressing(CompressionCodec codec) {
        TrackingAllocator alloc = new TrackingAllocator();
        int max = 64 * 1024;
        EmbeddedChannel ch = unwrapping(alloc, max);
        byte[] zeros = new byte[4 * 1024 * 1024];
        zeros[1] = 3;
        ByteBuf compressed = codec.compress(Unpooled.wrappedBuffer(zeros), 0, zeros.length, Unpooled.buffer().alloc());
        ByteBuf frame = alloc.buffer();
        frame.writeInt(6 + 5 + compressed.readableBytes()).writeShort(Opcode.COMPRESSED).writeInt(0)
                .writeByte(codec.id()).writeInt(zeros.length).writeBytes(compressed);
        compressed.release();
        int frameBytes = frame.readableBytes();
        assertThat(frameBytes).as("a bomb: small on the wire").isLessThan(max);
        int before = alloc.allocations();
        assertThatThrownBy(() -> ch.writeInbound(frame))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
                    assertThat(e.isFatal()).isTrue();
                });
        assertThat(alloc.allocated().subList(before, alloc.allocations())).as("buffers allocated while refusing it")
                .allSatisfy(b -> assertThat(b.capacity()).isLessThanOrEqualTo(frameBytes));
        ch.finish();
        alloc.assertAllReleased();
    }

    /**
     * A frame that lies about {@code innerLength} (claims 100 bytes, expands to 4 MiB) is
     * refused, and no buffer larger than the announced 100 bytes is allocated for the output.
     */
    @ParameterizedTest
    @EnumSource(CompressionCodec.class)
    void aBombLyingAboutItsInnerLengthNeverGetsMoreThanInnerLengthBytes(CompressionCodec codec) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = unwrapping(alloc, MAX);
        byte[] zeros = new byte[4 * 1024 * 1024];
        zeros[1] = 3;
        ByteBuf compressed = codec.compress(Unpooled.wrappedBuffer(zeros), 0, zeros.length, Unpooled.buffer().alloc());
        ByteBuf frame = alloc.buffer(6 + 4 + 5 + compressed.readableBytes());
        frame.writeInt(6 + 5 + compressed.readableBytes()).writeShort(Opcode.COMPRESSED).writeInt(0)
                .writeByte(codec.id()).writeInt(100).writeBytes(compressed);
        compressed.release();
        int inputCapacity = frame.capacity();
        int before = alloc.allocations();
        assertThatThrownBy(() -> ch.writeInbound(frame))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.isFatal()).isTrue();
                });
        List<ByteBuf> after = alloc.allocated().subList(before, alloc.allocations());
        assertThat(after).as("buffers allocated while unwrapping").isNotEmpty()
                .allSatisfy(b -> assertThat(b.maxCapacity()).isLessThanOrEqualTo(Math.max(100, inputCapacity)));
        assertThat(after).filteredOn(b -> b.maxCapacity() == 100).as("the output buffer of exactly innerLength")
                .hasSize(1);
        assertThat(inputCapacity).isLessThan(zeros.length / 50);
        ch.finish();
        alloc.assertAllReleased();
    }

    @Test
    void acceptedCodecBitsAreThoseOfTheSpecAndUnknownBitsAreIgnored() {
        assertThat(CompressionCodec.LZ4.id()).isEqualTo(1);
        assertThat(CompressionCodec.LZ4.bit()).isEqualTo(0x0001);
        assertThat(CompressionCodec.ZSTD.id()).isEqualTo(2);
        assertThat(CompressionCodec.ZSTD.bit()).isEqualTo(0x0002);
        assertThat(CompressionCodec.fromMask(0xFFFF)).containsExactly(CompressionCodec.LZ4, CompressionCodec.ZSTD);
        assertThat(CompressionCodec.fromMask(0xFFFC)).isEmpty();
        assertThat(CompressionCodec.allMask()).isEqualTo(3);
        assertThat(CompressionCodec.choose(0x0002, CompressionCodec.LZ4, CompressionCodec.ZSTD))
                .isEqualTo(CompressionCodec.ZSTD);
        assertThat(CompressionCodec.choose(0, CompressionCodec.LZ4)).isNull();
        assertThat(CompressionCodec.forId(3)).isNull();
        assertThat(CompressionCodec.parse(" ZStd")).isEqualTo(CompressionCodec.ZSTD);
        assertThatThrownBy(() -> CompressionCodec.parse("gzip")).hasMessageContaining("lz4 or zstd");
    }
}
