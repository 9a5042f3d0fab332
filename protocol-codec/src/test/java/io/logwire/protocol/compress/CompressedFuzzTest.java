package io.logwire.protocol.compress;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.frame.FrameDecoder;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile COMPRESSED frames (PROTOCOL.md 6.7), seeded with the shared vectors' valid and
 * invalid envelopes and with envelopes this test compresses itself, then mutated.
 * {@link CompressedFrames#unwrap} and a {@code FrameDecoder + CompressedFrameDecoder} pipeline
 * must raise nothing but a fatal {@link ProtocolCodecException} on stream 0, must never
 * allocate more than the announced {@code innerLength} (at most the frame limit), must release
 * every buffer, and must return inner frames of exactly {@code innerLength} bytes.
 */
class CompressedFuzzTest {
    private static final int MAX_FRAME = 64 * 1024;
    private static final JsonNode V2 = Vectors.v2();
    /** Whole COMPRESSED frames (length prefix included). */
    private static final List<byte[]> SEEDS = seeds();

    private static List<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        Stream.concat(Vectors.stream(V2.get("compressed")), Vectors.stream(V2.get("invalidCompressed")))
                .map(v -> Hex.bytes(v.get("hex").asText())).forEach(out::add);
        byte[] text = "GET /index.html 200 GET /index.html 200 GET /index.html 200 GET /index.html 200 "
                .repeat(8).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (CompressionCodec codec : CompressionCodec.values()) {
            ByteBuf frame = Unpooled.buffer();
            frame.writeInt(6 + text.length).writeShort(Opcode.ECHO.code()).writeInt(7).writeBytes(text);
            ByteBuf wrapped = CompressedFrames.wrap(frame, codec, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
            out.add(ByteBufUtil.getBytes(wrapped));
            wrapped.release();
            frame.release();
        }
        return List.copyOf(out);
    }

    enum Kind { FLIP, SET, TRUNCATE, EXTEND, INSERT, DELETE, SET_U32 }

    record Mutation(Kind kind, int position, int value, byte[] bytes) {
        byte[] apply(byte[] in) {
            if (in.length == 0) {
                return bytes.clone();
            }
            int p = Math.floorMod(position, in.length);
            byte[] out = in.clone();
            switch (kind) {
                case FLIP:
                    out[p] ^= (byte) (value | 1);
                    return out;
                case SET:
                    out[p] = (byte) value;
                    return out;
                case TRUNCATE:
                    return Arrays.copyOf(in, p);
                case EXTEND:
                    return Hex.concat(in, bytes);
                case INSERT:
                    return Hex.concat(Arrays.copyOf(in, p), bytes, Arrays.copyOfRange(in, p, in.length));
                case DELETE:
                    return Hex.concat(Arrays.copyOf(in, p), Arrays.copyOfRange(in, Math.min(in.length, p + 1), in.length));
                case SET_U32: {
                    // innerLength lives at 11..14 and the frame length at 0..3: aim there often.
                    int at = (value & 1) == 0 ? 11 : 0;
                    if (in.length < at + 4) {
                        return out;
                    }
                    int[] interesting = {0, 5, 6, 7, MAX_FRAME, MAX_FRAME + 1, Integer.MAX_VALUE, -1, position};
                    int v = interesting[Math.floorMod(value >> 1, interesting.length)];
                    out[at] = (byte) (v >>> 24);
                    out[at + 1] = (byte) (v >>> 16);
                    out[at + 2] = (byte) (v >>> 8);
                    out[at + 3] = (byte) v;
                    return out;
                }
                default:
                    throw new AssertionError(kind);
            }
        }
    }

    @Provide
    Arbitrary<byte[]> mutatedFrames() {
        Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 1 << 16), Arbitraries.integers().between(0, 255),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(16)).as(Mutation::new);
        return Combinators.combine(Arbitraries.of(SEEDS), mutation.list().ofMaxSize(4)).as((seed, ms) -> {
            byte[] b = seed;
            for (Mutation m : ms) {
                b = m.apply(b);
            }
            return b;
        });
    }

    /** The body of a COMPRESSED frame straight into unwrap. */
    @Property(tries = 3000)
    void unwrapAcceptsExactlyOrFailsFatally(@ForAll("mutatedFrames") byte[] frame) {
        // Skip the 10-byte header (length, opcode, stream id): unwrap sees the body.
        byte[] body = frame.length >= 10 ? Arrays.copyOfRange(frame, 10, frame.length) : frame;
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf in = alloc.copyOf(body);
        try {
            Frame inner = CompressedFrames.unwrap(in, MAX_FRAME, alloc);
            try {
                long innerLength = in.getUnsignedInt(in.readerIndex() + 1);
                assertThat(inner.opcode()).isNotEqualTo(Opcode.COMPRESSED);
                assertThat(inner.body().readableBytes()).isEqualTo((int) innerLength - FrameConstants.MIN_FRAME_LENGTH);
            } finally {
                inner.release();
            }
        } catch (ProtocolCodecException e) {
            checkFatal(e);
        } finally {
            assertThat(in.readerIndex()).as("the body is not consumed").isZero();
            in.release();
        }
        for (ByteBuf b : alloc.allocated()) {
            assertThat(b.capacity()).as("no allocation beyond the frame limit").isLessThanOrEqualTo(MAX_FRAME);
        }
        alloc.assertAllReleased();
    }

    /** Several frames, compressed and not, through the decoder pair of a real pipeline, in two pieces. */
    @Property(tries = 1500)
    void pipelineRaisesOnlyFatalCodecErrorsAndLeaksNothing(@ForAll("mutatedFrames") byte[] first,
                                                          @ForAll("mutatedFrames") byte[] second,
                                                          @ForAll int split) {
        byte[] plain = Hex.bytes("0000000a" + "0003" + "00000005" + "68656c6c6f"); // ECHO "hello"
        byte[] stream = Hex.concat(plain, first, second, plain);
        int cut = Math.floorMod(split, stream.length + 1);
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX_FRAME), new CompressedFrameDecoder(MAX_FRAME));
        ch.config().setAllocator(alloc);
        boolean failed = false;
        for (byte[] piece : new byte[][] {Arrays.copyOf(stream, cut), Arrays.copyOfRange(stream, cut, stream.length)}) {
            if (failed) {
                break;
            }
            try {
                ch.writeInbound(alloc.copyOf(piece));
            } catch (ProtocolCodecException e) {
                checkFatal(e);
                failed = true;
            } catch (DecoderException e) {
                assertThat(e.getCause()).as("cause of %s", e).isInstanceOf(ProtocolCodecException.class);
                checkFatal((ProtocolCodecException) e.getCause());
                failed = true;
            }
        }
        Object o;
        while ((o = ch.readInbound()) != null) {
            assertThat(o).isInstanceOf(Frame.class);
            Frame f = (Frame) o;
            assertThat(f.opcode()).isNotEqualTo(Opcode.COMPRESSED);
            ReferenceCountUtil.release(f);
        }
        ch.finishAndReleaseAll();
        alloc.assertAllReleased();
    }

    /** Whatever the codec and content, wrap then unwrap gives the frame back. */
    @Property(tries = 500)
    void wrapThenUnwrapIsTheIdentity(@ForAll("codecs") CompressionCodec codec, @ForAll("bodies") byte[] body,
                                     @ForAll int streamId) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(6 + body.length).writeShort(Opcode.UPLOAD.code()).writeInt(streamId).writeBytes(body);
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf wrapped = CompressedFrames.wrap(frame, codec, alloc);
        if (wrapped != null) {
            ByteBuf envelopeBody = wrapped.slice(10, wrapped.readableBytes() - 10);
            Frame inner = CompressedFrames.unwrap(envelopeBody, Integer.MAX_VALUE - 8, alloc);
            assertThat(inner.opcode()).isEqualTo(Opcode.UPLOAD.code());
            assertThat(inner.streamId()).isEqualTo(streamId);
            assertThat(ByteBufUtil.getBytes(inner.body())).isEqualTo(body);
            inner.release();
            wrapped.release();
        }
        frame.release();
        alloc.assertAllReleased();
    }

    @Provide
    Arbitrary<CompressionCodec> codecs() {
        return Arbitraries.of(CompressionCodec.class);
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        return Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(2000),
                Arbitraries.of((byte) 'a', (byte) 'b').array(byte[].class).ofMaxSize(5000));
    }

    private static void checkFatal(ProtocolCodecException e) {
        assertThat(e.isFatal()).as("%s", e.getMessage()).isTrue();
        assertThat(e.streamId()).isEqualTo(FrameConstants.CONNECTION_STREAM);
        assertThat(e.errorCode()).isIn(ErrorCode.MALFORMED_FRAME, ErrorCode.FRAME_TOO_LARGE);
    }
}
