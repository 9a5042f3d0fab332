package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.support.Gen;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.List;
import java.util.Locale;
import java.util.Random;

import static net.jqwik.api.Tuple.of;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SEARCH (PROTOCOL.md section 4): the in-place test of encoded entries agrees with the test
 * of objects, for text whose lower-casing is anything but simple.
 */
class SearchPredicatePropertyTest {
    /**
     * Pieces whose lower case is tricky: U+212A KELVIN SIGN (lower-cases to ASCII 'k'),
     * U+0130 (to "i" + U+0307), U+0131 dotless i, German sharp s and its capital, Greek sigma
     * (final form depends on context), U+2126 OHM SIGN, a titlecase digraph, a ligature.
     */
    static final List<String> TRICKY = List.of("K", "k", "\u212A", "\u0130", "i", "I", "\u0131", "\u00df",
            "\u1E9E", "S", "s", "SS", "\u03a3", "\u03c3", "\u03c2", "\u2126", "\u03c9", "\u01c5", "\ufb00",
            "a", "A", "\u00e9", "\u00c9", "\uD83D\uDC36", " ", "-", ".", "x", "X", "0");

    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<String> text() {
        return Arbitraries.frequencyOf(
                of(3, Arbitraries.of(TRICKY).list().ofMaxSize(6).map(l -> String.join("", l))),
                of(1, Gen.strings(6)),
                of(1, Arbitraries.strings().withCharRange('A', 'z').ofMaxLength(6)));
    }

    @Provide
    Arbitrary<LogEntry> entries() {
        return Combinators.combine(text(), text(), Gen.u16(), Gen.u32(), Gen.u32(), Gen.u32(), Gen.finiteFloats(), text())
                .as(LogEntry::new);
    }

    /** A piece of one of the entry's strings (whole code points), with each letter's case maybe swapped. */
    private static String termFrom(LogEntry e, long seed) {
        Random r = new Random(seed);
        String s = List.of(e.username(), e.ip(), e.server()).get(r.nextInt(3));
        int[] cps = s.codePoints().toArray();
        int from = cps.length == 0 ? 0 : r.nextInt(cps.length);
        int to = from + (cps.length == from ? 0 : r.nextInt(cps.length - from + 1));
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            String c = new String(Character.toChars(cps[i]));
            sb.append(switch (r.nextInt(3)) {
                case 0 -> c.toUpperCase(Locale.ROOT);
                case 1 -> c.toLowerCase(Locale.ROOT);
                default -> c;
            });
        }
        return sb.toString();
    }

    @Property(tries = 2000)
    void bytesAndObjectsAgree(@ForAll("entries") LogEntry e, @ForAll("text") String randomTerm,
                              @ForAll boolean fromEntry, @ForAll long seed, @ForAll @IntRange(max = 9) int offset) {
        String term = fromEntry ? termFrom(e, seed) : randomTerm;
        SearchPredicate p = new SearchPredicate(term);
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer().writeZero(offset);
        try {
            LogEntryCodec.encode(e, buf);
            boolean expected = SearchPredicateTest.definition(term, e);
            assertThat(p.test(e)).as("objects: '%s' in %s", term, e).isEqualTo(expected);
            assertThat(p.test(buf, offset)).as("bytes: '%s' in %s", term, e).isEqualTo(expected);
        } finally {
            buf.release();
        }
    }
}
