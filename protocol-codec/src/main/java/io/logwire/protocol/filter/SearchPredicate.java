package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.Utf8;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * SEARCH (PROTOCOL.md section 4): entries whose username, IP or server contains the term,
 * both sides lower-cased with {@link String#toLowerCase(Locale) toLowerCase(Locale.ROOT)}.
 * ASCII fields are searched in place; others are decoded, since Unicode lower-casing can
 * change lengths and even produce ASCII from non-ASCII (U+212A KELVIN SIGN becomes 'k').
 */
public final class SearchPredicate implements EntryPredicate {
    private final String term;
    private final String lowered;
    /** The lowered term's bytes if it is all ASCII, else null (it cannot occur in an ASCII field). */
    private final byte[] asciiLowered;

    public SearchPredicate(String term) {
        this.term = term;
        this.lowered = term.toLowerCase(Locale.ROOT);
        boolean ascii = lowered.chars().allMatch(c -> c < 0x80);
        this.asciiLowered = ascii ? lowered.getBytes(StandardCharsets.US_ASCII) : null;
    }

    public String term() {
        return term;
    }

    @Override
    public boolean test(LogEntry e) {
        return contains(e.username()) || contains(e.ip()) || contains(e.server());
    }

    private boolean contains(String s) {
        return s.toLowerCase(Locale.ROOT).contains(lowered);
    }

    @Override
    public boolean test(ByteBuf buf, int offset) {
        if (lowered.isEmpty()) {
            return true;
        }
        int u = buf.getUnsignedShort(offset);
        int i = buf.getUnsignedShort(offset + 2);
        int s = buf.getUnsignedShort(offset + 4);
        int p = offset + LogEntryCodec.LENGTHS_SIZE;
        return contains(buf, p, u) || contains(buf, p + u, i) || contains(buf, p + u + i, s);
    }

    private boolean contains(ByteBuf buf, int index, int length) {
        if (Utf8.isAscii(buf, index, length)) {
            return asciiLowered != null && asciiContainsLowered(buf, index, length);
        }
        return contains(buf.toString(index, length, StandardCharsets.UTF_8));
    }

    private boolean asciiContainsLowered(ByteBuf buf, int index, int length) {
        byte[] needle = asciiLowered;
        int last = length - needle.length;
        outer:
        for (int start = 0; start <= last; start++) {
            for (int k = 0; k < needle.length; k++) {
                if (toLower(buf.getByte(index + start + k)) != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static byte toLower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    @Override
    public String toString() {
        return "SearchPredicate[" + term + "]";
    }
}
