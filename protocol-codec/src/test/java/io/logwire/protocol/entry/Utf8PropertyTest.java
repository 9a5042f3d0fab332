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

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static net.jqwik.api.Tuple.of;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Strict UTF-8 (PROTOCOL.md section 1) against the JDK's strict decoder, the reference. */
class Utf8PropertyTest {

    /** The JDK's decoding of {@code bytes}, or null if it reports them malformed. */
    static String jdkDecode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Byte strings biased toward multi-byte sequences: well-formed code points, stray
     * continuation bytes, every lead byte with 0-3 continuation bytes (overlong forms,
     * surrogates and values above U+10FFFF among them), and ASCII runs long enough for the
     * 8-byte fast path.
     */
    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<byte[]> utf8ish() {
        Arbitrary<Integer> continuation = Arbitraries.integers().between(0x80, 0xBF);
        Arbitrary<byte[]> piece = Arbitraries.frequencyOf(
                of(4, Gen.codePoints().map(cp -> new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8))),
                of(2, Arbitraries.integers().between(0x80, 0xFF).map(b -> new byte[] {(byte) (int) b})),
                of(3, Arbitraries.integers().between(0xC0, 0xFF).flatMap(lead ->
                        continuation.list().ofMaxSize(3).map(cs -> withLead(lead, cs)))),
                of(3, Arbitraries.of(0xE0, 0xED, 0xF0, 0xF4, 0xC2, 0xDF, 0xEF).flatMap(lead ->
                        continuation.list().ofMinSize(1).ofMaxSize(3).map(cs -> withLead(lead, cs)))),
                of(1, Arbitraries.integers().between(0, 0x7F).list().ofMinSize(7).ofMaxSize(17)
                        .map(bs -> withLead(bs.get(0), bs.subList(1, bs.size())))));
        return piece.list().ofMaxSize(10).map(pieces -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            pieces.forEach(out::writeBytes);
            return out.toByteArray();
        });
    }

    private static byte[] withLead(int lead, List<Integer> rest) {
        byte[] b = new byte[rest.size() + 1];
        b[0] = (byte) lead;
        for (int i = 0; i < rest.size(); i++) {
            b[i + 1] = (byte) (int) rest.get(i);
        }
        return b;
    }

    @Property(tries = 3000)
    void isValidAgreesWithTheJdksStrictDecoder(@ForAll("utf8ish") byte[] bytes,
                                               @ForAll @IntRange(max = 9) int before,
                                               @ForAll @IntRange(max = 9) int after) {
        TrackingAllocator alloc = new TrackingAllocator();
        // Surround the bytes with bytes that would complete or spoil a sequence at the edges.
        ByteBuf buf = alloc.buffer();
        for (int i = 0; i < before; i++) {
            buf.writeByte(0xE2);
        }
        buf.writeBytes(bytes);
        for (int i = 0; i < after; i++) {
            buf.writeByte(0x80 + i);
        }
        try {
            String expected = jdkDecode(bytes);
            assertThat(Utf8.isValid(buf, before, bytes.length)).as("isValid").isEqualTo(expected != null);
            assertThat(Utf8.decode(buf, before, bytes.length)).as("decode").isEqualTo(expected);
            boolean ascii = true;
            for (byte b : bytes) {
                ascii &= b >= 0;
            }
            assertThat(Utf8.isAscii(buf, before, bytes.length)).as("isAscii").isEqualTo(ascii);
        } finally {
            buf.release();
        }
    }

    @Provide
    Arbitrary<String> strings() {
        return Gen.strings(20);
    }

    @Property
    void encodedLengthIsTheJdksByteCount(@ForAll("strings") String s) {
        assertThat(Utf8.encodedLength(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }

    @Property
    void encodedLengthRefusesUnpairedSurrogates(@ForAll("strings") String before,
                                                @ForAll @IntRange(min = 0xD800, max = 0xDFFF) int lone,
                                                @ForAll("strings") String after) {
        String s = before + (char) lone + after;
        assertThatThrownBy(() -> Utf8.encodedLength(s))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("char " + before.length());
    }
}
