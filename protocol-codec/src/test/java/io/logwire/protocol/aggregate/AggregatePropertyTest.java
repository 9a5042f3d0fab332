package io.logwire.protocol.aggregate;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.Criterion;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.Operator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The aggregate language of PROTOCOL.md 6.5: canonical printing round trips, and the
 * {@link Aggregator} agrees with a straightforward evaluator written here from the spec.
 */
class AggregatePropertyTest {
    private static final List<Field> STRING_FIELDS = List.of(Field.USERNAME, Field.IP, Field.SERVER);
    private static final List<Field> NUMERIC_FIELDS =
            List.of(Field.PORT, Field.ACCESS_TIME, Field.DATA_SENT, Field.DATA_RECEIVED, Field.SCORE);
    private static final List<String> STRINGS = List.of("", "a", "A", "b", "a|b", "\"q\"", "x, y", "\u00e9",
            "\uD83D\uDC36", "Zo\u00eb",
            // Keys are compared 8 bytes at a time: lengths around word boundaries, and strings
            // equal but for a trailing NUL.
            "a\u0000", "abcdefgh", "abcdefgh\u0000", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq",
            "\u017c\u00f3\u0142w \u017c\u00f3\u0142w \u017c\u00f3\u0142w");

    @Provide
    Arbitrary<Filter> filters() {
        Arbitrary<Criterion> strings = Combinators.combine(Arbitraries.of(STRING_FIELDS),
                Arbitraries.of(Operator.EQ, Operator.NE), Arbitraries.of(STRINGS)).as(Criterion.StringCriterion::new);
        Arbitrary<Criterion> numbers = Combinators.combine(Arbitraries.of(NUMERIC_FIELDS),
                Arbitraries.of(Operator.class), Arbitraries.of(0.0, 1.0, 80.0, 0.5, -1.0, 65535.0, 4e9))
                .as(Criterion.NumericCriterion::new);
        return Arbitraries.oneOf(strings, numbers).list().ofMaxSize(3).map(Filter::new);
    }

    @Provide
    Arbitrary<Aggregation> aggregations() {
        return Arbitraries.oneOf(Arbitraries.just(Aggregation.COUNT),
                Combinators.combine(Arbitraries.of(AggregateFunction.SUM, AggregateFunction.AVG, AggregateFunction.MIN,
                        AggregateFunction.MAX), Arbitraries.of(NUMERIC_FIELDS)).as(Aggregation::new));
    }

    @Provide
    Arbitrary<AggregateQuery> queries() {
        return Combinators.combine(filters(), aggregations().list().ofMinSize(1).ofMaxSize(4),
                Arbitraries.of(Field.class).list().ofMaxSize(2),
                Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(1, 5),
                        Arbitraries.just(AggregateQuery.MAX_TOP)))
                .as(AggregateQuery::new);
    }

    @Property(tries = 500)
    void printedQueriesAreCanonicalAndParseBackEqual(@ForAll("queries") AggregateQuery q, @ForAll long seed) {
        String text = q.toString();
        AggregateQuery back = AggregateQuery.parse(text);
        assertThat(back).as("parse of '%s'", text).isEqualTo(q);
        assertThat(back.toString()).isEqualTo(text);
        // Keywords and names in any case, and more whitespace, give the same query.
        String noisy = noisy(q, new Random(seed));
        assertThat(AggregateQuery.parse(noisy)).as("parse of '%s'", noisy).isEqualTo(q);
    }

    private static String noisy(AggregateQuery q, Random r) {
        StringBuilder sb = new StringBuilder(q.filter().toString()).append(ws(r)).append('|').append(ws(r));
        for (int i = 0; i < q.aggregations().size(); i++) {
            Aggregation a = q.aggregations().get(i);
            if (i > 0) {
                sb.append(ws(r)).append(',').append(ws(r));
            }
            sb.append(randomCase(a.function().keyword(), r));
            if (a.field() != null) {
                sb.append(ws(r)).append('(').append(ws(r)).append(randomCase(a.field().canonicalName(), r))
                        .append(ws(r)).append(')');
            }
        }
        if (!q.groupBy().isEmpty()) {
            sb.append(wsp(r)).append(randomCase("by", r)).append(wsp(r));
            for (int i = 0; i < q.groupBy().size(); i++) {
                if (i > 0) {
                    sb.append(ws(r)).append(',').append(ws(r));
                }
                sb.append(randomCase(q.groupBy().get(i).canonicalName(), r));
            }
        }
        if (q.hasTop()) {
            sb.append(wsp(r)).append(randomCase("top", r)).append(wsp(r)).append(r.nextBoolean() ? "" : "00")
                    .append(q.top());
        }
        return sb.toString();
    }

    private static String ws(Random r) {
        return List.of("", "", " ", "\t", "  ").get(r.nextInt(5));
    }

    private static String wsp(Random r) {
        return List.of(" ", "\t", "  ", " \t").get(r.nextInt(4));
    }

    private static String randomCase(String s, Random r) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(r.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ evaluation

    @Provide
    Arbitrary<List<LogEntry>> entries() {
        Arbitrary<String> s = Arbitraries.of(STRINGS);
        Arbitrary<Integer> port = Arbitraries.of(0, 1, 80, 443, 65535);
        Arbitrary<Long> u32 = Arbitraries.of(0L, 1L, 80L, 65536L, 4294967295L);
        Arbitrary<Float> score = Arbitraries.of(0.0f, -0.0f, 0.5f, 1.0f, -1.0f, Float.MAX_VALUE, 3.3f, -0.25f);
        return Combinators.combine(s, s, port, u32, u32, u32, score, s).as(LogEntry::new).list().ofMaxSize(60);
    }

    @Property(tries = 400)
    void aggregatorAgreesWithAStraightforwardEvaluator(@ForAll("queries") AggregateQuery q,
                                                       @ForAll("entries") List<LogEntry> entries) {
        List<List<Object>> expected = evaluate(q, entries);

        Aggregator objects = new Aggregator(q, 1000);
        entries.forEach(objects::accept);
        assertMatches(objects.result(), q, expected);

        // Encoded entries, split over two aggregators merged at the end.
        ByteBuf buf = Unpooled.buffer();
        Aggregator first = new Aggregator(q, 1000);
        Aggregator second = new Aggregator(q, 1000);
        for (int i = 0; i < entries.size(); i++) {
            int offset = buf.writerIndex();
            LogEntryCodec.encode(entries.get(i), buf);
            (i < entries.size() / 2 ? first : second).accept(buf, offset);
        }
        first.merge(second);
        assertMatches(first.result(), q, expected);
        assertThat(AggregateResult.fromJson(first.result().toJson())).isEqualTo(first.result());

        // The matching entries in blocks, as a store's scan hands them over.
        EntryPredicate filter = q.filter().compile();
        int[] offsets = new int[entries.size()];
        int matching = 0;
        for (int offset = 0; offset < buf.writerIndex(); offset += LogEntryCodec.entryLength(buf, offset)) {
            if (filter.test(buf, offset)) {
                offsets[matching++] = offset;
            }
        }
        Aggregator blocks = new Aggregator(q, 1000);
        int half = matching / 2;
        blocks.addAll(buf, offsets, half);
        blocks.addAll(buf, java.util.Arrays.copyOfRange(offsets, half, matching), matching - half);
        buf.release();
        assertMatches(blocks.result(), q, expected);
    }

    @Property(tries = 100)
    void moreGroupsThanTheCapAreRefused(@ForAll("entries") List<LogEntry> entries) {
        AggregateQuery q = AggregateQuery.parse("| count by username, server, port");
        long groups = entries.stream().map(e -> List.of(e.username(), e.server(), e.port())).distinct().count();
        Aggregator agg = new Aggregator(q, 3);
        boolean refused = false;
        try {
            entries.forEach(agg::accept);
        } catch (TooManyGroupsException e) {
            refused = true;
            assertThat(e.maxGroups()).isEqualTo(3);
        }
        assertThat(refused).isEqualTo(groups > 3);
        assertThat(agg.groupCount()).isLessThanOrEqualTo(3);
    }

    /**
     * Thousands of groups, well past the aggregator's initial table and arena, with keys of
     * many lengths: the tables grow (and rehash) while entries keep arriving, then two
     * aggregators holding mostly the same groups merge.
     */
    @Property(tries = 10)
    void manyGroupsSurviveGrowthAndMerging(@ForAll long seed) {
        Random r = new Random(seed);
        AggregateQuery q = AggregateQuery.parse("| count, sum(dataSent), min(score) by username, port top 100000");
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            String user = "u" + r.nextInt(3000) + "x".repeat(r.nextInt(20));
            entries.add(new LogEntry(user, "10.0.0.1", r.nextInt(3), 1, r.nextInt(1000), 0, r.nextFloat(), "s"));
        }
        ByteBuf buf = Unpooled.buffer();
        Aggregator first = new Aggregator(q, 100_000);
        Aggregator second = new Aggregator(q, 100_000);
        for (int i = 0; i < entries.size(); i++) {
            int offset = buf.writerIndex();
            LogEntryCodec.encode(entries.get(i), buf);
            if (i % 3 == 0) {
                first.add(buf, offset);
            } else {
                second.addAll(buf, new int[] {offset}, 1);
            }
        }
        buf.release();
        first.merge(second);
        assertMatches(first.result(), q, evaluate(q, entries));
    }

    /**
     * Long keys: the cap on memory for keys and states holds even while the number of groups
     * is far below its own cap, and says so; short keys under the same cap are fine.
     */
    @Property(tries = 20)
    void keyMemoryIsCapped(@ForAll long seed) {
        Random r = new Random(seed);
        AggregateQuery q = AggregateQuery.parse("| count by username");
        long maxBytes = 64 * 1024;
        Aggregator agg = new Aggregator(q, 1_000_000, maxBytes);
        ByteBuf buf = Unpooled.buffer();
        try {
            TooManyGroupsException refused = null;
            for (int i = 0; i < 200 && refused == null; i++) {
                buf.clear();
                LogEntryCodec.encode(new LogEntry(i + "-" + "k".repeat(1000 + r.nextInt(2000)), "ip", 1, 1, 1, 1, 1f,
                        "s"), buf);
                try {
                    agg.add(buf, 0);
                } catch (TooManyGroupsException e) {
                    refused = e;
                }
            }
            assertThat(refused).isNotNull();
            assertThat(refused.isKeyBytes()).isTrue();
            assertThat(refused.getMessage()).contains("64 KiB").contains("shorter fields");
            assertThat(agg.groupCount()).isLessThan(64 * 1024 / 1000);

            Aggregator small = new Aggregator(q, 1_000_000, maxBytes);
            for (int i = 0; i < 500; i++) {
                buf.clear();
                LogEntryCodec.encode(new LogEntry("u" + (i % 100), "ip", 1, 1, 1, 1, 1f, "s"), buf);
                small.add(buf, 0);
            }
            assertThat(small.groupCount()).isEqualTo(100);
        } finally {
            buf.release();
        }
    }

    private static void assertMatches(AggregateResult actual, AggregateQuery q, List<List<Object>> expected) {
        assertThat(actual.columns()).isEqualTo(q.columns());
        assertThat(actual.rows()).as("rows of %s", q).hasSameSizeAs(expected);
        for (int r = 0; r < expected.size(); r++) {
            List<Object> a = actual.rows().get(r);
            List<Object> e = expected.get(r);
            for (int c = 0; c < e.size(); c++) {
                Object x = a.get(c);
                Object y = e.get(c);
                if (y instanceof Double d) {
                    assertThat(x).as("row %d column %s of %s", r, q.columns().get(c), q).isInstanceOf(Double.class);
                    double v = (Double) x;
                    assertThat(Math.abs(v - d)).as("row %d column %s of %s: %s vs %s", r, q.columns().get(c), q, v, d)
                            .isLessThanOrEqualTo(1e-9 * Math.max(Math.abs(v), Math.abs(d)));
                } else {
                    assertThat(x).as("row %d column %s of %s", r, q.columns().get(c), q).isEqualTo(y);
                }
            }
        }
    }

    /** Section 6.5 read literally, with no shared code but the filter. */
    private static List<List<Object>> evaluate(AggregateQuery q, List<LogEntry> entries) {
        EntryPredicate filter = q.filter().compile();
        Map<List<Object>, List<LogEntry>> groups = new LinkedHashMap<>();
        if (q.groupBy().isEmpty()) {
            groups.put(List.of(), new ArrayList<>());
        }
        for (LogEntry e : entries) {
            if (!filter.test(e)) {
                continue;
            }
            List<Object> key = new ArrayList<>();
            for (Field f : q.groupBy()) {
                key.add(switch (f) {
                    case USERNAME -> e.username();
                    case IP -> e.ip();
                    case SERVER -> e.server();
                    case PORT -> (long) e.port();
                    case ACCESS_TIME -> e.accessTime();
                    case DATA_SENT -> e.dataSent();
                    case DATA_RECEIVED -> e.dataReceived();
                    case SCORE -> e.score() == 0 ? 0.0 : (double) e.score();
                });
            }
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
        }
        List<List<Object>> rows = new ArrayList<>();
        for (Map.Entry<List<Object>, List<LogEntry>> g : groups.entrySet()) {
            List<Object> row = new ArrayList<>(g.getKey());
            List<LogEntry> es = g.getValue();
            for (Aggregation a : q.aggregations()) {
                if (a.function() == AggregateFunction.COUNT) {
                    row.add((long) es.size());
                    continue;
                }
                if (es.isEmpty()) {
                    row.add(null);
                    continue;
                }
                boolean score = a.field() == Field.SCORE;
                List<Double> ds = es.stream().map(e -> value(a.field(), e)).toList();
                switch (a.function()) {
                    case SUM -> row.add(score ? (Object) ds.stream().mapToDouble(Double::doubleValue).sum()
                            : (Object) ds.stream().map(d -> BigInteger.valueOf(d.longValue()))
                            .reduce(BigInteger.ZERO, BigInteger::add).longValueExact());
                    case AVG -> row.add(ds.stream().mapToDouble(Double::doubleValue).sum() / es.size());
                    case MIN -> row.add(score ? (Object) ds.stream().mapToDouble(Double::doubleValue).min().getAsDouble()
                            : (Object) ds.stream().mapToLong(Double::longValue).min().getAsLong());
                    case MAX -> row.add(score ? (Object) ds.stream().mapToDouble(Double::doubleValue).max().getAsDouble()
                            : (Object) ds.stream().mapToLong(Double::longValue).max().getAsLong());
                    default -> throw new AssertionError(a);
                }
            }
            rows.add(row);
        }
        int k = q.groupBy().size();
        rows.sort((a, b) -> {
            int c = -compare(a.get(k), b.get(k));
            for (int i = 0; c == 0 && i < k; i++) {
                c = compare(a.get(i), b.get(i));
            }
            return c;
        });
        return q.hasTop() && rows.size() > q.top() ? rows.subList(0, q.top()) : rows;
    }

    private static double value(Field f, LogEntry e) {
        return f.numericValue(e);
    }

    private static int compare(Object a, Object b) {
        if (a instanceof String s) {
            return s.compareTo((String) b);
        }
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return new java.math.BigDecimal(a.toString().toLowerCase(Locale.ROOT).replace("e", "E"))
                .compareTo(new java.math.BigDecimal(b.toString().toLowerCase(Locale.ROOT).replace("e", "E")));
    }
}
