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

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static net.jqwik.api.Tuple.of;
import static org.assertj.core.api.Assertions.assertThat;

/** The filter language of PROTOCOL.md section 5: printing and parsing, and evaluation. */
class FilterPropertyTest {
    private static final List<Field> STRING_FIELDS = List.of(Field.USERNAME, Field.IP, Field.SERVER);
    private static final List<Field> NUMERIC_FIELDS =
            List.of(Field.PORT, Field.ACCESS_TIME, Field.DATA_SENT, Field.DATA_RECEIVED, Field.SCORE);

    /** Values full of the characters the grammar treats specially, and any other text. */
    @Provide
    @SuppressWarnings("unchecked")
    Arbitrary<String> values() {
        Arbitrary<String> special = Arbitraries.of(",", "\"", "\\", " ", "\t", "=", "<", ">", "!", "a", "B", "7",
                ".", "-", "\u00e9", "\uD83D\uDC36", "\u00A0", "\n", "\\\"", "\"\"", " , ").list().ofMaxSize(8)
                .map(parts -> String.join("", parts));
        return Arbitraries.frequencyOf(
                of(4, special),
                of(3, Gen.strings(8)),
                of(1, Arbitraries.strings().ofMaxLength(8)));
    }

    @Provide
    Arbitrary<Criterion> criteria() {
        Arbitrary<Criterion> strings = Combinators.combine(Arbitraries.of(STRING_FIELDS),
                Arbitraries.of(Operator.EQ, Operator.NE), values()).as(Criterion.StringCriterion::new);
        Arbitrary<Criterion> numbers = Combinators.combine(Arbitraries.of(NUMERIC_FIELDS),
                Arbitraries.of(Operator.class), Gen.finiteDoubles()).as(Criterion.NumericCriterion::new);
        return Arbitraries.oneOf(strings, numbers);
    }

    @Provide
    Arbitrary<Filter> filters() {
        return criteria().list().ofMaxSize(6).map(Filter::new);
    }

    @Property
    void printedFiltersParseBackEqual(@ForAll("filters") Filter f) {
        String text = f.toString();
        // Record equality compares doubles with Double.compare, so -0.0 must stay -0.0.
        assertThat(Filter.parse(text)).as("parse of '%s'", text).isEqualTo(f);
        assertThat(Filter.parse(text).toString()).isEqualTo(text);
    }

    /** Field names in any case, and spaces and tabs wherever the grammar allows them. */
    @Property
    void fieldCaseAndWhitespaceDoNotChangeTheFilter(@ForAll("filters") Filter f, @ForAll long seed) {
        Random r = new Random(seed);
        StringBuilder text = new StringBuilder(ws(r));
        for (int i = 0; i < f.criteria().size(); i++) {
            Criterion c = f.criteria().get(i);
            if (i > 0) {
                text.append(',').append(ws(r));
            }
            text.append(randomCase(c.field().canonicalName(), r)).append(ws(r)).append(c.op().symbol()).append(ws(r));
            text.append(c instanceof Criterion.StringCriterion s ? FilterPrinter.stringValue(s.value())
                    : FilterPrinter.number(((Criterion.NumericCriterion) c).value()));
            text.append(ws(r));
        }
        assertThat(Filter.parse(text.toString())).as("parse of '%s'", text).isEqualTo(f);
    }

    private static String ws(Random r) {
        return List.of("", "", " ", "\t", "  ", " \t ").get(r.nextInt(6));
    }

    private static String randomCase(String name, Random r) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            sb.append(r.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ evaluation

    private static final List<String> SMALL_STRINGS = List.of("", "a", "A", "b", "a b", "\u00e9", "\uD83D\uDC36", "a,b");
    private static final List<Double> SMALL_NUMBERS = List.of(0.0, -0.0, 1.0, 2.0, 0.5, 80.0, 65535.0, 65536.0,
            4294967295.0, (double) Float.MAX_VALUE, (double) Float.MIN_VALUE, -1.0, 1e10);

    /** Filters over a small vocabulary, so criteria often hold and often do not. */
    @Provide
    Arbitrary<Filter> matchingFilters() {
        Arbitrary<Criterion> strings = Combinators.combine(Arbitraries.of(STRING_FIELDS),
                Arbitraries.of(Operator.EQ, Operator.NE), Arbitraries.of(SMALL_STRINGS))
                .as(Criterion.StringCriterion::new);
        Arbitrary<Criterion> numbers = Combinators.combine(Arbitraries.of(NUMERIC_FIELDS),
                Arbitraries.of(Operator.class), Arbitraries.of(SMALL_NUMBERS)).as(Criterion.NumericCriterion::new);
        return Arbitraries.oneOf(strings, numbers).list().ofMaxSize(3).map(Filter::new);
    }

    @Provide
    Arbitrary<List<LogEntry>> matchingEntries() {
        Arbitrary<String> s = Arbitraries.of(SMALL_STRINGS);
        Arbitrary<Integer> port = Arbitraries.of(0, 1, 2, 80, 65535);
        Arbitrary<Long> u32 = Arbitraries.of(0L, 1L, 2L, 80L, 65535L, 65536L, 4294967295L);
        Arbitrary<Float> score = Arbitraries.of(0.0f, -0.0f, 0.5f, 1.0f, -1.0f, Float.MAX_VALUE, Float.MIN_VALUE,
                1e10f);
        return Combinators.combine(s, s, port, u32, u32, u32, score, s).as(LogEntry::new).list().ofMaxSize(6);
    }

    /**
     * The compiled filter gives the same answer on objects and on encoded bytes, and both
     * agree with a reference evaluation of section 5 (exact decimal comparison).
     */
    @Property
    void compiledFiltersAgreeOnObjectsBytesAndTheDefinition(@ForAll("matchingFilters") Filter f,
                                                            @ForAll("matchingEntries") List<LogEntry> entries) {
        EntryPredicate p = f.compile();
        TrackingAllocator alloc = new TrackingAllocator();
        ByteBuf buf = alloc.buffer().writeByte(0x42);
        try {
            List<Integer> offsets = new ArrayList<>();
            for (LogEntry e : entries) {
                offsets.add(buf.writerIndex());
                LogEntryCodec.encode(e, buf);
            }
            for (int i = 0; i < entries.size(); i++) {
                LogEntry e = entries.get(i);
                boolean expected = reference(f, e);
                assertThat(p.test(e)).as("%s on %s", f, e).isEqualTo(expected);
                assertThat(p.test(buf, offsets.get(i))).as("%s on encoded %s", f, e).isEqualTo(expected);
            }
            // The same over the whole block at once: the matching offsets kept in order, each
            // with its tag.
            int[] block = offsets.stream().mapToInt(Integer::intValue).toArray();
            int[] tags = new int[block.length];
            for (int i = 0; i < tags.length; i++) {
                tags[i] = 1000 + i;
            }
            int kept = p.filter(buf, block, tags, block.length);
            List<Integer> want = new ArrayList<>();
            List<Integer> got = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                if (reference(f, entries.get(i))) {
                    want.add(offsets.get(i));
                    want.add(1000 + i);
                }
            }
            for (int k = 0; k < kept; k++) {
                got.add(block[k]);
                got.add(tags[k]);
            }
            assertThat(got).as("%s over the block", f).isEqualTo(want);
        } finally {
            buf.release();
        }
    }

    private static boolean reference(Filter f, LogEntry e) {
        for (Criterion c : f.criteria()) {
            if (c instanceof Criterion.StringCriterion s) {
                String v = switch (s.field()) {
                    case USERNAME -> e.username();
                    case IP -> e.ip();
                    default -> e.server();
                };
                if (v.equals(s.value()) != (s.op() == Operator.EQ)) {
                    return false;
                }
            } else {
                Criterion.NumericCriterion n = (Criterion.NumericCriterion) c;
                BigDecimal v = switch (n.field()) {
                    case PORT -> BigDecimal.valueOf(e.port());
                    case ACCESS_TIME -> BigDecimal.valueOf(e.accessTime());
                    case DATA_SENT -> BigDecimal.valueOf(e.dataSent());
                    case DATA_RECEIVED -> BigDecimal.valueOf(e.dataReceived());
                    default -> new BigDecimal(e.score()); // exact binary value of the f32
                };
                int cmp = v.compareTo(new BigDecimal(n.value()));
                boolean holds = switch (n.op()) {
                    case EQ -> cmp == 0;
                    case NE -> cmp != 0;
                    case LT -> cmp < 0;
                    case GT -> cmp > 0;
                    case LE -> cmp <= 0;
                    case GE -> cmp >= 0;
                };
                if (!holds) {
                    return false;
                }
            }
        }
        return true;
    }

    @Property
    void fieldLookupIgnoresCase(@ForAll("fieldNames") String name, @ForAll long seed) {
        Field f = Field.lookup(name);
        assertThat(f).isNotNull();
        assertThat(Field.lookup(randomCase(name, new Random(seed)))).isSameAs(f);
        assertThat(Field.lookup(name.toUpperCase(Locale.ROOT))).isSameAs(f);
    }

    @Provide
    Arbitrary<String> fieldNames() {
        return Arbitraries.of(Field.class).map(Field::canonicalName);
    }
}
