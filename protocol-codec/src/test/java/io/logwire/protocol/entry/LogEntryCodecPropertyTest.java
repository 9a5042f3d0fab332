package io.logwire.protocol.entry;

import io.logwire.protocol.support.Gen;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips and refusals of the entry layout, PROTOCOL.md sections 1 and 3. */
class LogEntryCodecPropertyTest {

    @Provide
    Arbitrary<LogEntry> entries() {
        return Gen.entries(12);
    }

    /** The layout written independently of LogEntryCodec, with java.nio and the JDK's UTF-8. */
    private static byte[] expectedBytes(LogEntry e) {
        byte[] u = e.username().getBytes(StandardCharsets.UTF_8);
        byte[] i = e.ip().getBytes(StandardCharsets.UTF_8);
        byte[] s = e.server().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(24 + u.length + i.length + s.length)
                .putShort((short) u.length).putShort((short) i.length).putShort((short) s.length)
                .put(u).put(i).put(s)
                .putShort((short) e.port())
                .putInt((int) e.accessTime()).putInt((int) e.dataSent()).putInt((int) e.dataReceived())
                .putInt(Float.floatToRawIntBits(e.score()))
                .array();
    }

    private static byte[] readable(ByteBuf buf, int from) {
        byte[] out = new byte[buf.writerIndex() - from];
        buf.getBytes(from, out);
        return out;
    }

    @Property
    void encodesTheDocumentedLayoutAndDecodesBackEqual(@ForAll("entries") LogEntry e,
                                                       @ForAll @IntRange(max = 9) int offset) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer().writeZero(offset).readerIndex(offset);
        try {
            LogEntryCodec.encode(e, buf);
            assertThat(readable(buf, offset)).isEqualTo(expectedBytes(e));
            assertThat(LogEntryCodec.encodedSize(e)).isEqualTo(buf.readableBytes());
            assertThat(LogEntryCodec.entryLength(buf, offset, buf.writerIndex())).isEqualTo(buf.readableBytes());
            assertThat(LogEntryCodec.validate(buf, offset, buf.writerIndex())).isEqualTo(buf.readableBytes());

            LogEntry decoded = LogEntryCodec.decode(buf);
            assertThat(decoded).isEqualTo(e);
            assertThat(Float.floatToRawIntBits(decoded.score())).isEqualTo(Float.floatToRawIntBits(e.score()));
            assertThat(buf.isReadable()).isFalse();
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }

    @Provide
    Arbitrary<List<LogEntry>> batches() {
        return entries().list().ofMaxSize(8);
    }

    @Property(tries = 300)
    void batchesRoundTripAndCountsMustMatchTheBytes(@ForAll("batches") List<LogEntry> batch) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer();
        try {
            LogEntryCodec.encodeAll(batch, buf);
            int n = batch.size();
            assertThat(LogEntryCodec.decodeBatch(buf, n)).isEqualTo(batch);
            assertThat(buf.readerIndex()).isZero();
            assertThatThrownBy(() -> LogEntryCodec.validateBatch(buf, 0, buf.readableBytes(), n + 1))
                    .isInstanceOfSatisfying(MalformedEntryException.class,
                            ex -> assertThat(ex.entryIndex()).isEqualTo(n));
            if (n > 0) {
                // one entry fewer than the bytes hold: bytes left over, attributed to index count
                assertThatThrownBy(() -> LogEntryCodec.validateBatch(buf, 0, buf.readableBytes(), n - 1))
                        .isInstanceOfSatisfying(MalformedEntryException.class, ex -> {
                            assertThat(ex.entryIndex()).isEqualTo(n - 1);
                            assertThat(ex.getMessage()).startsWith("entry " + (n - 1) + ": ");
                        });
            }
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }

    @Provide
    Arbitrary<Integer> utf8Lengths() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(65_535 - 6, 65_535 + 6),
                Arbitraries.integers().between(65_536, 300_000),
                Arbitraries.integers().between(0, 65_535));
    }

    /** A string of exactly {@code bytes} UTF-8 bytes, mostly of {@code width}-byte code points. */
    private static String stringOfUtf8Length(int bytes, int width) {
        String unit = switch (width) {
            case 1 -> "a";
            case 2 -> "\u00e9";
            case 3 -> "\u20ac";
            default -> "\uD83D\uDC36"; // U+1F436 DOG FACE
        };
        return unit.repeat(bytes / width) + "a".repeat(bytes % width);
    }

    private static LogEntry withString(int field, String s) {
        return new LogEntry(field == 0 ? s : "u", field == 1 ? s : "10.0.0.1", 1, 2, 3, 4, 5f, field == 2 ? s : "srv");
    }

    @Property(tries = 120)
    void stringsOverTheLimitAreRefusedNeverTruncated(@ForAll("utf8Lengths") int bytes,
                                                      @ForAll @IntRange(min = 1, max = 4) int width,
                                                      @ForAll @IntRange(max = 2) int field) {
        String s = stringOfUtf8Length(bytes, width);
        assertThat(s.getBytes(StandardCharsets.UTF_8)).hasSize(bytes);
        LogEntry e = withString(field, s);
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer().writeByte(0x5A);
        try {
            if (bytes <= LogEntryCodec.MAX_STRING_BYTES) {
                LogEntryCodec.encode(e, buf);
                buf.skipBytes(1);
                assertThat(LogEntryCodec.decode(buf)).isEqualTo(e);
            } else {
                String name = List.of("username", "IP", "server").get(field);
                assertThatThrownBy(() -> LogEntryCodec.encode(e, buf))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(name).hasMessageContaining(String.valueOf(bytes))
                        .hasMessageContaining("65535");
                assertThat(buf.writerIndex()).as("nothing written").isEqualTo(1);
                assertThatThrownBy(() -> LogEntryCodec.encodedSize(e)).isInstanceOf(IllegalArgumentException.class);
            }
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }

    @Provide
    Arbitrary<Character> loneSurrogates() {
        return Arbitraries.chars().range(Character.MIN_SURROGATE, Character.MAX_SURROGATE);
    }

    @Property
    void stringsWithAnUnpairedSurrogateAreRefused(@ForAll("strings") String before,
                                                  @ForAll("loneSurrogates") char lone,
                                                  @ForAll("strings") String after,
                                                  @ForAll @IntRange(max = 2) int field) {
        // before and after are whole code points, so lone stays unpaired wherever it is
        // (a high surrogate before a high surrogate, or a low one after a low one).
        LogEntry e = withString(field, before + lone + after);
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer();
        try {
            assertThatThrownBy(() -> LogEntryCodec.encode(e, buf))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
            assertThat(buf.writerIndex()).as("nothing written").isZero();
            assertThatThrownBy(() -> LogEntryCodec.encodedSize(e)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            buf.release();
        }
    }

    @Provide
    Arbitrary<String> strings() {
        return Gen.strings(6);
    }

    @Property(tries = 500)
    void truncatedEntriesAreRefusedAndTheReaderIndexStays(@ForAll("entries") LogEntry e,
                                                          @ForAll @IntRange(max = 100_000) int cutSeed) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer().writeByte(7).readerIndex(1);
        try {
            LogEntryCodec.encode(e, buf);
            int length = buf.readableBytes();
            buf.writerIndex(1 + cutSeed % length);
            assertThatThrownBy(() -> LogEntryCodec.decode(buf))
                    .isInstanceOfSatisfying(MalformedEntryException.class, ex -> {
                        assertThat(ex.entryIndex()).isEqualTo(-1);
                        assertThat(ex.getMessage()).contains("truncated");
                    });
            assertThat(buf.readerIndex()).isEqualTo(1);
            assertThat(LogEntryCodec.entryLength(buf, 1, buf.writerIndex())).isEqualTo(-1);
        } finally {
            buf.release();
        }
    }

    @Provide
    Arbitrary<Integer> nonFiniteBits() {
        return Gen.nonFiniteFloatBits();
    }

    @Property(tries = 300)
    void nonFiniteScoresAreRefused(@ForAll("entries") LogEntry e, @ForAll("nonFiniteBits") int bits) {
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer();
        try {
            LogEntryCodec.encode(e, buf);
            buf.setInt(buf.writerIndex() - 4, bits);
            assertThatThrownBy(() -> LogEntryCodec.decode(buf))
                    .isInstanceOfSatisfying(MalformedEntryException.class,
                            ex -> assertThat(ex.getMessage()).contains("finite"));
            assertThat(buf.readerIndex()).isZero();
        } finally {
            buf.release();
        }
    }

    @Property(tries = 300)
    void aStringThatIsNotUtf8IsRefused(@ForAll("entries") LogEntry e, @ForAll @IntRange(max = 2) int field,
                                       @ForAll("notUtf8") byte[] bad) {
        // Re-encode with one string replaced by bytes the strict decoder refuses.
        byte[][] strings = {e.username().getBytes(StandardCharsets.UTF_8), e.ip().getBytes(StandardCharsets.UTF_8),
                e.server().getBytes(StandardCharsets.UTF_8)};
        strings[field] = bad;
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer();
        try {
            buf.writeShort(strings[0].length).writeShort(strings[1].length).writeShort(strings[2].length)
                    .writeBytes(strings[0]).writeBytes(strings[1]).writeBytes(strings[2])
                    .writeShort(e.port()).writeInt((int) e.accessTime()).writeInt((int) e.dataSent())
                    .writeInt((int) e.dataReceived()).writeFloat(e.score());
            String name = List.of("username", "IP", "server").get(field);
            assertThatThrownBy(() -> LogEntryCodec.decode(buf))
                    .isInstanceOfSatisfying(MalformedEntryException.class,
                            ex -> assertThat(ex.getMessage()).isEqualTo(name + " is not valid UTF-8"));
        } finally {
            buf.release();
        }
    }

    @Provide
    Arbitrary<byte[]> notUtf8() {
        return Arbitraries.of(
                new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'b'},
                new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                new byte[] {'x', 'y', (byte) 0xE2, (byte) 0x82},
                new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xFF, 'a'});
    }
}
