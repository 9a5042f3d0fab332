package io.logwire.protocol.entry;

import io.logwire.protocol.support.Hex;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Hand-picked UTF-8 edge cases (Unicode table 3-7), each checked against the JDK too. */
class Utf8Test {

    @ParameterizedTest(name = "{0} valid={1} ({2})")
    @CsvSource(delimiter = '|', value = {
            "''                 | true  | empty",
            "41                 | true  | A",
            "7f                 | true  | last 1-byte",
            "c280               | true  | U+0080, first 2-byte",
            "dfbf               | true  | U+07FF, last 2-byte",
            "e0a080             | true  | U+0800, first 3-byte",
            "ed9fbf             | true  | U+D7FF, before the surrogates",
            "ee8080             | true  | U+E000, after the surrogates",
            "efbfbf             | true  | U+FFFF",
            "f0908080           | true  | U+10000, first 4-byte",
            "f09f90b6           | true  | U+1F436 DOG FACE",
            "f48fbfbf           | true  | U+10FFFF, the last code point",
            "c0af               | false | overlong '/' (C0 AF)",
            "c1bf               | false | overlong 2-byte (C1)",
            "e08080             | false | overlong 3-byte NUL (E0 80 80)",
            "e09fbf             | false | overlong 3-byte (E0 9F BF)",
            "f0808080           | false | overlong 4-byte NUL (F0 80 80 80)",
            "f08fbfbf           | false | overlong 4-byte (F0 8F BF BF)",
            "eda080             | false | high surrogate U+D800 (ED A0 80)",
            "edbfbf             | false | low surrogate U+DFFF",
            "eda0bdedb0b6       | false | CESU-8 surrogate pair",
            "f4908080           | false | U+110000, above the range (F4 90 80 80)",
            "f5808080           | false | lead F5",
            "f8888080 80        | false | 5-byte form",
            "ff                 | false | FF",
            "80                 | false | lone continuation",
            "c3                 | false | truncated 2-byte",
            "e282               | false | truncated 3-byte",
            "f09f90             | false | truncated 4-byte",
            "6162636465666768c3 | false | truncated after an 8-byte ASCII run",
            "61626364656667c3a9 | true  | 2-byte sequence straddling the 8-byte boundary",
            "616263646566676869e282ac | true | euro sign after 9 ASCII bytes",
            "6162636465666780   | false | continuation as the 8th byte",
            "c328               | false | 2-byte lead followed by ASCII",
            "e228a1             | false | 3-byte lead, bad second byte",
            "f0288cbc           | false | 4-byte lead, bad second byte",
            "f0908c28           | false | 4-byte lead, bad fourth byte"})
    void edgeCases(String hex, boolean valid, String what) {
        byte[] bytes = Hex.bytes(hex.replace(" ", ""));
        assertThat(Utf8PropertyTest.jdkDecode(bytes) != null).as("the JDK agrees that %s is %s", what,
                valid ? "valid" : "invalid").isEqualTo(valid);
        TrackingAllocator alloc = new TrackingAllocator();
        // Also at an offset, followed by a byte that would complete a truncated sequence.
        ByteBuf buf = alloc.buffer().writeByte('x').writeBytes(bytes).writeByte(0x80);
        try {
            assertThat(Utf8.isValid(buf, 1, bytes.length)).as(what).isEqualTo(valid);
            assertThat(Utf8.decode(buf, 1, bytes.length)).as(what).isEqualTo(Utf8PropertyTest.jdkDecode(bytes));
        } finally {
            buf.release();
        }
        alloc.assertAllReleased();
    }
}
