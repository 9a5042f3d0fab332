package io.logwire.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.support.Describe;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.logwire.protocol.support.Transcript;
import io.logwire.protocol.support.Vectors;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static net.jqwik.api.Tuple.of;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input: whatever bytes arrive, in whatever pieces, the decoders raise nothing but
 * {@link ProtocolCodecException}, release every buffer, and whatever they do accept is a
 * well-formed message.
 */
class DecoderFuzzTest {
    private static final JsonNode V1 = Vectors.v1();

    /** Every frame of the vectors, good and bad, both versions. */
    private static final List<byte[]> SEEDS = Stream.of(
                    V1.get("frames"), V1.get("invalidRequests"), V1.get("fatalFrames"),
                    Vectors.v2().get("frames"), Vectors.v2().get("invalidRequests"), Vectors.v2().get("invalidCompressed"))
            .flatMap(Vectors::stream).map(Vectors::bytes).toList();

    enum Kind { FLIP, SET, TRUNCATE, EXTEND, INSERT, DELETE, DUPLICATE }

    /** One change to a byte string; positions are taken modulo its length. */
    record Mutation(Kind kind, int position, int value, byte[] bytes) {
        byte[] apply(byte[] in) {
            if (in.length == 0) {
                return kind == Kind.EXTEND || kind == Kind.INSERT ? bytes.clone() : in;
            }
            int p = Math.floorMod(position, in.length);
            return switch (kind) {
                case FLIP -> {
                    byte[] out = in.clone();
                    out[p] ^= (byte) (value | 1);
                    yield out;
                }
                case SET -> {
                    byte[] out = in.clone();
                    out[p] = (byte) value;
                    yield out;
                }
                case TRUNCATE -> Arrays.copyOf(in, p);
                case EXTEND -> Hex.concat(in, bytes);
                case INSERT -> Hex.concat(Arrays.copyOf(in, p), bytes, Arrays.copyOfRange(in, p, in.length));
                case DELETE -> Hex.concat(Arrays.copyOf(in, p),
                        Arrays.copyOfRange(in, Math.min(in.length, p + 1 + (value & 15)), in.length));
                case DUPLICATE -> Hex.concat(Arrays.copyOf(in, p), Arrays.copyOfRange(in, p / 2, in.length));
            };
        }

        @Override
        public String toString() {
            return kind + "@" + position + "/" + value + (bytes.length > 0 ? "+" + Hex.of(bytes) : "");
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        Arbitrary<Integer> interesting = Arbitraries.of(0x00, 0x01, 0x06, 0x7F, 0x80, 0xC0, 0xED, 0xF4, 0xFF);
        return Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 1 << 16),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 255), interesting),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(12)).as(Mutation::new);
    }

    /** One to four vector frames back to back, then up to five mutations. */
    @Provide
    Arbitrary<byte[]> mutatedStreams() {
        Arbitrary<byte[]> frames = Arbitraries.of(SEEDS).list().ofMinSize(1).ofMaxSize(4)
                .map(l -> Hex.concat(l.toArray(byte[][]::new)));
        return Combinators.combine(frames, mutations().list().ofMaxSize(5)).as((bytes, ms) -> {
            byte[] out = bytes;
            for (Mutation m : ms) {
                out = m.apply(out);
            }
            return out;
        });
    }

    /** Frames with plausible headers (length mostly right) around random or half-valid bodies. */
    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<byte[]> randomFrames() {
        Arbitrary<Integer> opcode = Arbitraries.frequencyOf(
                of(3, Arbitraries.integers().between(0, 9)),
                of(2, Arbitraries.integers().between(0, 9).map(op -> 0x8000 | op)),
                of(1, Arbitraries.integers().between(0, 9).map(op -> 0x4000 | op)),
                of(1, Arbitraries.integers().between(0, 9).map(op -> 0xC000 | op)),
                of(1, Arbitraries.of(0xFFFF, 0xFFFE, 0x7FFE)),
                of(1, Arbitraries.integers().between(0, 0xFFFF)));
        Arbitrary<Integer> stream = Arbitraries.frequencyOf(
                of(1, Arbitraries.just(0)), of(3, Arbitraries.just(21)), of(1, Arbitraries.integers()));
        Arbitrary<byte[]> body = Arbitraries.frequencyOf(
                of(3, Arbitraries.bytes().array(byte[].class).ofMaxSize(40)),
                of(2, Combinators.combine(Arbitraries.of(new byte[0], Hex.bytes("00000001"), Hex.bytes("00000002"),
                                Hex.bytes("0001"), Hex.bytes("0002"), Hex.bytes("0005")),
                        Arbitraries.of(Vectors.entryHex()).map(Hex::bytes),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(4))
                        .as(Hex::concat)));
        Arbitrary<Integer> lengthError = Arbitraries.frequencyOf(
                of(8, Arbitraries.just(0)), of(2, Arbitraries.integers().between(-8, 8)));
        Arbitrary<byte[]> frame = Combinators.combine(opcode, stream, body, lengthError).as((op, s, b, err) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long length = Math.max(0, 6L + b.length + err);
            out.writeBytes(Hex.bytes(String.format("%08x%04x%08x", length, op, s)));
            out.writeBytes(b);
            return out.toByteArray();
        });
        return frame.list().ofMinSize(1).ofMaxSize(4).map(l -> Hex.concat(l.toArray(byte[][]::new)));
    }

    @Provide
    Arbitrary<byte[]> anyBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
    }

    @Provide
    Arbitrary<Integer> maxFrameLengths() {
        return Arbitraries.of(6, 16, 64, 1024, FrameConstants.DEFAULT_MAX_FRAME_LENGTH);
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 1 << 16).list().ofMaxSize(6);
    }

    @Property(tries = 700)
    void mutatedVectorFrames(@ForAll("mutatedStreams") byte[] bytes, @ForAll("cuts") List<Integer> cuts,
                             @ForAll boolean replySide, @ForAll("maxFrameLengths") int max) {
        decodeHostile(bytes, cuts, replySide, max);
    }

    @Property(tries = 500)
    void randomFramesWithPlausibleHeaders(@ForAll("randomFrames") byte[] bytes, @ForAll("cuts") List<Integer> cuts,
                                          @ForAll boolean replySide, @ForAll("maxFrameLengths") int max) {
        decodeHostile(bytes, cuts, replySide, max);
    }

    @Property(tries = 300)
    void randomBytes(@ForAll("anyBytes") byte[] bytes, @ForAll("cuts") List<Integer> cuts,
                     @ForAll boolean replySide, @ForAll("maxFrameLengths") int max) {
        decodeHostile(bytes, cuts, replySide, max);
    }

    private static void decodeHostile(byte[] bytes, List<Integer> cutSeeds, boolean replySide, int max) {
        TrackingAllocator alloc = new TrackingAllocator();
        Transcript transcript = new Transcript();
        EmbeddedChannel ch = replySide ? Pipelines.replies(max, alloc, transcript)
                : Pipelines.requests(max, alloc, transcript);
        int[] cuts = bytes.length < 2 ? new int[0] : cutSeeds.stream().mapToInt(c -> 1 + c % (bytes.length - 1))
                .sorted().distinct().toArray();
        Pipelines.feed(ch, alloc, bytes, cuts);

        List<Message> decoded = new ArrayList<>();
        for (Object m; (m = ch.readInbound()) != null; ) {
            assertThat(m).isInstanceOf(Message.class);
            decoded.add((Message) m);
        }
        try {
            for (Throwable t : transcript.exceptions()) {
                Throwable cause = t instanceof DecoderException && !(t instanceof ProtocolCodecException)
                        && t.getCause() instanceof ProtocolCodecException ? t.getCause() : t;
                assertThat(cause).as("raised for %s", Hex.of(bytes)).isInstanceOf(ProtocolCodecException.class);
            }
            if (!replySide) {
                // Requests are never refused fatally by RequestDecoder; a fatal error comes from the
                // frame decoder, which then discards everything.
                List<String> events = transcript.events();
                int fatal = events.indexOf(events.stream().filter(e -> e.endsWith("fatal=true")).findFirst()
                        .orElse("none"));
                if (fatal >= 0) {
                    assertThat(events).as("events after the fatal error").hasSize(fatal + 1);
                    assertThat(events.get(fatal)).contains("stream=0");
                }
            }
            for (Message m : decoded) {
                assertWellFormed(m, replySide, alloc);
            }
        } finally {
            decoded.forEach(ReferenceCountUtil::release);
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    /** What the decoder accepted encodes again and decodes to the same message. */
    private static void assertWellFormed(Message m, boolean replySide, TrackingAllocator alloc) {
        if (m instanceof Reply.Error e && e.message().isEmpty()
                || m instanceof Reply.ErrorRetry r && r.message().isEmpty()) {
            return; // an empty message is sent as "error" (section 4 wants non-empty messages)
        }
        ByteBuf wire = MessageCodec.encode(m, alloc);
        EmbeddedChannel again = replySide
                ? Pipelines.replies(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null)
                : Pipelines.requests(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc, null);
        again.writeInbound(wire);
        assertThat(Pipelines.drainInbound(again)).containsExactly(Describe.message(m));
        assertThat(again.finish()).isFalse();
    }
}
