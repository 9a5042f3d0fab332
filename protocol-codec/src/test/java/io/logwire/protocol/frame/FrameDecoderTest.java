package io.logwire.protocol.frame;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Frame boundaries and limits of PROTOCOL.md section 2. */
class FrameDecoderTest {

    private static EmbeddedChannel decoder(int max, TrackingAllocator alloc) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(max));
        ch.config().setAllocator(alloc);
        return ch;
    }

    private static byte[] lengthField(long length) {
        return Hex.bytes(String.format("%08x", length));
    }

    @Test
    void splitsOffOpcodeStreamAndBody() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = decoder(1024, alloc);
        // length 8, opcode 0x0005, stream 0xFFFFFFFE, body 0xBEEF; then a second frame with an empty body
        ch.writeInbound(alloc.copyOf(Hex.bytes("00000008" + "0005" + "fffffffe" + "beef"
                + "00000006" + "0007" + "00000001")));
        Frame first = ch.readInbound();
        Frame second = ch.readInbound();
        try {
            assertThat(first.opcode()).isEqualTo(5);
            assertThat(Integer.toUnsignedLong(first.streamId())).isEqualTo(0xFFFFFFFEL);
            assertThat(Hex.of(first.body())).isEqualTo("beef");
            assertThat(second.opcode()).isEqualTo(7);
            assertThat(second.body().readableBytes()).isZero();
        } finally {
            first.release();
            second.release();
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void aFrameOfExactlyTheMaximumIsAcceptedAndOneByteMoreIsNot() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ok = decoder(1024, alloc);
        ok.writeInbound(alloc.copyOf(Hex.concat(lengthField(1024), Hex.bytes("0003" + "00000001"), new byte[1018])));
        Frame f = ok.readInbound();
        assertThat(f.body().readableBytes()).isEqualTo(1018);
        f.release();
        assertThat(ok.finish()).isFalse();

        EmbeddedChannel tooLarge = decoder(1024, alloc);
        assertThatThrownBy(() -> tooLarge.writeInbound(alloc.copyOf(lengthField(1025))))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
                    assertThat(e.streamId()).isZero();
                    assertThat(e.isFatal()).isTrue();
                    assertThat(e.getMessage()).contains("1025").contains("1024");
                });
        assertThat(tooLarge.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 5})
    void aLengthBelowTheHeaderIsMalformed(int length) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = decoder(1024, alloc);
        assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(lengthField(length))))
                .isInstanceOfSatisfying(ProtocolCodecException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.streamId()).isZero();
                    assertThat(e.isFatal()).isTrue();
                });
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void theLargestU32LengthIsTooLargeNotNegative() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = decoder(FrameConstants.DEFAULT_MAX_FRAME_LENGTH, alloc);
        assertThatThrownBy(() -> ch.writeInbound(alloc.copyOf(lengthField(0xFFFFFFFFL))))
                .isInstanceOfSatisfying(ProtocolCodecException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @ParameterizedTest(name = "max {0}")
    @ValueSource(ints = {Integer.MIN_VALUE, -1, 0, 5})
    void refusesAMaximumBelowTheHeaderSize(int max) {
        assertThatThrownBy(() -> new FrameDecoder(max)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsItsMaximum() {
        assertThat(new FrameDecoder(6).maxFrameLength()).isEqualTo(6);
        assertThat(new FrameDecoder(FrameConstants.DEFAULT_MAX_FRAME_LENGTH).maxFrameLength())
                .isEqualTo(16_777_216);
    }

    /**
     * The class comment promises that only our own limit check can refuse a length, yet the
     * super class adds the 4 length bytes and compares with {@code min(max + 4, MAX_VALUE)}:
     * with a maximum above {@code Integer.MAX_VALUE - 4} a header announcing a legal length
     * near the maximum fails with Netty's TooLongFrameException instead of waiting for the
     * body. A decoder must either refuse such a maximum up front or honour it.
     */
    @Test
    void aMaximumNearIntegerMaxValueIsRefusedOrHonoured() {
        FrameDecoder decoder;
        try {
            decoder = new FrameDecoder(Integer.MAX_VALUE);
        } catch (IllegalArgumentException refusedUpFront) {
            return;
        }
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.config().setAllocator(alloc);
        assertThatCode(() -> ch.writeInbound(alloc.copyOf(Hex.concat(lengthField(Integer.MAX_VALUE),
                Hex.bytes("0003" + "00000001")))))
                .as("a header announcing a length equal to the maximum waits for its body")
                .doesNotThrowAnyException();
        assertThat(ch.<Object>readInbound()).isNull();
        ch.finishAndReleaseAll();
        alloc.assertAllReleased();
    }
}
