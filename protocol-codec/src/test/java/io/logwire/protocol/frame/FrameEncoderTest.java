package io.logwire.protocol.frame;

import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.Pipelines;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The length-prepending encoder of PROTOCOL.md section 2. */
class FrameEncoderTest {

    private static EmbeddedChannel encoder(TrackingAllocator alloc) {
        EmbeddedChannel ch = new EmbeddedChannel(FrameEncoder.INSTANCE);
        ch.config().setAllocator(alloc);
        return ch;
    }

    @Test
    void writesLengthOpcodeStreamAndBody() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = encoder(alloc);
        ByteBuf body = alloc.copyOf("Hello, world".getBytes(StandardCharsets.US_ASCII));
        ch.writeOutbound(new Frame(0x8003, 11, body));
        assertThat(Hex.of(Pipelines.drainOutbound(ch))).isEqualTo(
                "00000012"                    // length: 6 + 12
                        + "8003"              // opcode ECHO_OK
                        + "0000000b"          // stream 11
                        + "48656c6c6f2c20776f726c64"); // body
        assertThat(body.refCnt()).as("the frame's body is released once written").isZero();
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void writesTheLargestOpcodeAndStreamAsUnsignedAndAnEmptyBody() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = encoder(alloc);
        ch.writeOutbound(new Frame(0xFFFF, -1, alloc.buffer(0)));
        assertThat(Hex.of(Pipelines.drainOutbound(ch))).isEqualTo("00000006" + "ffff" + "ffffffff");
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void passesTheBodyOnWithoutCopying() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = encoder(alloc);
        ByteBuf body = alloc.copyOf(new byte[5000]);
        ch.writeOutbound(new Frame(0x4002, 8, body));
        ByteBuf header = ch.readOutbound();
        ByteBuf second = ch.readOutbound();
        try {
            assertThat(Hex.of(header)).isEqualTo(String.format("%08x", 6 + 5000) + "4002" + "00000008");
            assertThat(second).isSameAs(body);
        } finally {
            header.release();
            second.release();
        }
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void writeHeaderIsTheTenBytePrefix() {
        ByteBuf out = new TrackingAllocator().buffer();
        try {
            FrameEncoder.writeHeader(out, 4, 0x0005, 0x01020304);
            assertThat(Hex.of(out)).isEqualTo("0000000a" + "0005" + "01020304");
            assertThat(out.readableBytes()).isEqualTo(FrameConstants.PREFIX_SIZE);
        } finally {
            out.release();
        }
    }

    @Test
    void aFrameRefusesAnOpcodeThatIsNotAU16() {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf body = alloc.buffer(0);
        assertThatThrownBy(() -> new Frame(0x10000, 1, body)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Frame(-1, 1, body)).isInstanceOf(IllegalArgumentException.class);
        body.release();
    }

    @Test
    void encoderOutputDecodesToTheSameFrame() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel enc = encoder(alloc);
        enc.writeOutbound(new Frame(0x0004, 0x89ABCDEF, alloc.copyOf(new byte[] {1, 2, 3})));
        byte[] wire = Pipelines.drainOutbound(enc);
        EmbeddedChannel dec = new EmbeddedChannel(new FrameDecoder(64));
        dec.config().setAllocator(alloc);
        dec.writeInbound(alloc.copyOf(wire));
        Frame f = dec.readInbound();
        try {
            assertThat(f.opcode()).isEqualTo(0x0004);
            assertThat(f.streamId()).isEqualTo(0x89ABCDEF);
            assertThat(Hex.of(f.body())).isEqualTo("010203");
        } finally {
            f.release();
        }
        assertThat(enc.finish()).isFalse();
        assertThat(dec.finish()).isFalse();
        alloc.assertAllReleased();
    }
}
