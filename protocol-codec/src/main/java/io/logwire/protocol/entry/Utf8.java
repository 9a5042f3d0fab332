package io.logwire.protocol.entry;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 (PROTOCOL.md section 1): well-formed sequences only, per Unicode table 3-7,
 * so overlong forms, encoded surrogates and code points above U+10FFFF are refused.
 */
public final class Utf8 {
    private static final long ASCII_MASK = 0x8080_8080_8080_8080L;

    private Utf8() {
    }

    /** Whether {@code length} bytes at {@code index} are well-formed UTF-8. */
    public static boolean isValid(ByteBuf buf, int index, int length) {
        int i = index;
        int end = index + length;
        while (i + 8 <= end && (buf.getLong(i) & ASCII_MASK) == 0) {
            i += 8;
        }
        while (i < end) {
            int b0 = buf.getByte(i);
            if (b0 >= 0) {
                i++;
                continue;
            }
            b0 &= 0xFF;
            if (b0 < 0xC2) {
                return false; // continuation byte or overlong two-byte lead (C0, C1)
            }
            if (b0 < 0xE0) {
                if (i + 1 >= end || !isContinuation(buf.getByte(i + 1))) {
                    return false;
                }
                i += 2;
            } else if (b0 < 0xF0) {
                if (i + 2 >= end) {
                    return false;
                }
                int b1 = buf.getByte(i + 1) & 0xFF;
                // E0 needs A0..BF (no overlong); ED needs 80..9F (no surrogates)
                int lo = b0 == 0xE0 ? 0xA0 : 0x80;
                int hi = b0 == 0xED ? 0x9F : 0xBF;
                if (b1 < lo || b1 > hi || !isContinuation(buf.getByte(i + 2))) {
                    return false;
                }
                i += 3;
            } else if (b0 <= 0xF4) {
                if (i + 3 >= end) {
                    return false;
                }
                int b1 = buf.getByte(i + 1) & 0xFF;
                // F0 needs 90..BF (no overlong); F4 needs 80..8F (at most U+10FFFF)
                int lo = b0 == 0xF0 ? 0x90 : 0x80;
                int hi = b0 == 0xF4 ? 0x8F : 0xBF;
                if (b1 < lo || b1 > hi || !isContinuation(buf.getByte(i + 2))
                        || !isContinuation(buf.getByte(i + 3))) {
                    return false;
                }
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    /** Whether all {@code length} bytes at {@code index} are ASCII. */
    public static boolean isAscii(ByteBuf buf, int index, int length) {
        int i = index;
        int end = index + length;
        while (i + 8 <= end) {
            if ((buf.getLong(i) & ASCII_MASK) != 0) {
                return false;
            }
            i += 8;
        }
        while (i < end) {
            if (buf.getByte(i++) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes well-formed UTF-8, or returns {@code null} if the bytes are not well-formed
     * (never a string with replacement characters).
     */
    public static String decode(ByteBuf buf, int index, int length) {
        if (!isValid(buf, index, length)) {
            return null;
        }
        return buf.toString(index, length, StandardCharsets.UTF_8);
    }

    /**
     * The number of UTF-8 bytes of {@code s}.
     *
     * @throws IllegalArgumentException if {@code s} holds an unpaired surrogate, which has no
     *                                  UTF-8 form
     */
    public static int encodedLength(CharSequence s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw unpaired(i);
                }
                bytes += 2; // 4 bytes for 2 chars
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw unpaired(i);
            } else {
                bytes += 2;
            }
        }
        return bytes;
    }

    private static IllegalArgumentException unpaired(int index) {
        return new IllegalArgumentException("unpaired surrogate at char " + index + " has no UTF-8 encoding");
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
