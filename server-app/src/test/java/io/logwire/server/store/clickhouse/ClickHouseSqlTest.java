package io.logwire.server.store.clickhouse;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.Criterion;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.Operator;
import io.logwire.protocol.filter.SearchPredicate;
import io.logwire.server.store.ClickHouseTestCluster;
import io.logwire.server.store.LogStoreContractTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The SQL translation against a real ClickHouse: literal escaping fuzzed, conditions exact or supersets. */
class ClickHouseSqlTest {
    private static final String[] PIECES = {"'", "''", "\\", "\\'", "\0", "\n", "\r", "\t", "\u0001", "\u007f", "a", "Z",
            " ", "%", "_", "?", "{", "}", "--", "/*", "é", "ß", "\u212A", "İ", "Я", "中", "🙂", "\uFFFD", "\u0080", "\u00ff",
            "\u2028", "x\\x41", "\\0", "`", "\"", ";"};

    static String randomString(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(12);
        for (int k = 0; k < n; k++) {
            switch (r.nextInt(3)) {
                case 0 -> sb.append(PIECES[r.nextInt(PIECES.length)]);
                case 1 -> sb.append((char) r.nextInt(0x80));
                default -> sb.appendCodePoint(randomCodePoint(r));
            }
        }
        return sb.toString();
    }

    private static int randomCodePoint(Random r) {
        while (true) {
            int cp = r.nextInt(0x110000);
            if (cp < 0xD800 || cp > 0xDFFF) {
                return cp;
            }
        }
    }

    @Test
    void stringLiteralsRoundTripThroughClickHouseExactly() {
        ClickHouseTestCluster.assumeRunning();
        URI u = ClickHouseTestCluster.urls().get(0);
        Random r = new Random(20261205);
        for (int round = 0; round < 30; round++) {
            List<String> values = new ArrayList<>();
            StringBuilder sql = new StringBuilder("SELECT ");
            for (int k = 0; k < 100; k++) {
                String v = round == 0 && k < PIECES.length ? PIECES[k] : randomString(r);
                values.add(v);
                sql.append(k == 0 ? "" : ", ").append("hex(").append(ClickHouseSql.literal(v)).append(')');
            }
            String out = ClickHouseTestCluster.query(u, sql + " FORMAT TSV");
            String[] got = out.substring(0, out.length() - 1).split("\t", -1);
            assertThat(got).hasSize(values.size());
            for (int k = 0; k < values.size(); k++) {
                assertThat(got[k]).as("literal of %s", values.get(k).codePoints().boxed().toList())
                        .isEqualTo(HexFormat.of().withUpperCase().formatHex(values.get(k).getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void equalityOnRandomStringsFindsExactlyTheEqualRows() {
        ClickHouseTestCluster.assumeRunning();
        String db = ClickHouseTestCluster.freshDatabase();
        Random r = new Random(7);
        try (ClickHouseLogStore store = ClickHouseLogStore.open(ClickHouseTestCluster.config(db).build())) {
            List<LogEntry> entries = new ArrayList<>();
            for (int k = 0; k < 400; k++) {
                entries.add(new LogEntry(randomString(r), randomString(r), k, k, k, k, k, k % 3 == 0 ? "s" : randomString(r)));
            }
            LogStoreContractTest.append(store, entries);
            URI u = ClickHouseTestCluster.urls().get(0);
            for (int k = 0; k < 400; k += 7) {
                String name = entries.get(k).username();
                Filter f = new Filter(List.of(new Criterion.StringCriterion(Field.USERNAME, Operator.EQ, name)));
                Set<Long> expected = new HashSet<>();
                for (int j = 0; j < entries.size(); j++) {
                    if (entries.get(j).username().equals(name)) {
                        expected.add((long) j);
                    }
                }
                assertThat(seqs(u, db, ClickHouseSql.filter(f).condition())).as(name).isEqualTo(expected);
            }
        } finally {
            ClickHouseTestCluster.drop(db);
        }
    }

    @Test
    void numericConditionsAreExactForIntegersAndSupersetsForScores() {
        ClickHouseTestCluster.assumeRunning();
        String db = ClickHouseTestCluster.freshDatabase();
        Random r = new Random(11);
        try (ClickHouseLogStore store = ClickHouseLogStore.open(ClickHouseTestCluster.config(db).build())) {
            List<LogEntry> entries = new ArrayList<>();
            for (int k = 0; k < 1000; k++) {
                float score = switch (k % 5) {
                    case 0 -> r.nextFloat() * 10 - 5;
                    case 1 -> (float) (r.nextInt(20) / 4.0);
                    case 2 -> k % 2 == 0 ? 0f : -0f;
                    case 3 -> Float.MIN_VALUE * r.nextInt(3);
                    default -> r.nextBoolean() ? Float.MAX_VALUE : 0.1f;
                };
                entries.add(new LogEntry("u", "i", r.nextInt(65536), k % 3 == 0 ? 4_294_967_295L : r.nextInt(100),
                        r.nextInt(1000), k, score, "s"));
            }
            LogStoreContractTest.append(store, entries);
            URI u = ClickHouseTestCluster.urls().get(0);
            Field[] fields = {Field.PORT, Field.ACCESS_TIME, Field.DATA_SENT, Field.DATA_RECEIVED, Field.SCORE};
            for (int k = 0; k < 300; k++) {
                Field field = fields[r.nextInt(fields.length)];
                Operator op = Operator.values()[r.nextInt(Operator.values().length)];
                double v = switch (r.nextInt(6)) {
                    case 0 -> r.nextInt(200) - 50;
                    case 1 -> r.nextInt(400) / 4.0 - 10;
                    case 2 -> r.nextGaussian() * 1e6;
                    case 3 -> 4_294_967_295.0 + r.nextInt(3) - 1 + (r.nextBoolean() ? 0.5 : 0);
                    case 4 -> entries.get(r.nextInt(entries.size())).score();
                    default -> r.nextBoolean() ? 1e-320 : -1e308;
                };
                Filter f = new Filter(List.of(new Criterion.NumericCriterion(field, op, v)));
                EntryPredicate p = f.compile();
                Set<Long> expected = new HashSet<>();
                for (int j = 0; j < entries.size(); j++) {
                    if (p.test(entries.get(j))) {
                        expected.add((long) j);
                    }
                }
                ClickHouseSql.Translation t = ClickHouseSql.filter(f);
                Set<Long> got = seqs(u, db, t.condition());
                if (t.exact()) {
                    assertThat(got).as(f + " -> " + t.condition()).isEqualTo(expected);
                } else {
                    assertThat(got).as(f + " -> " + t.condition()).containsAll(expected);
                }
                assertThat(t.exact()).isEqualTo(field != Field.SCORE);
            }
        } finally {
            ClickHouseTestCluster.drop(db);
        }
    }

    @Test
    void searchPreFilterNeverDropsAMatch() {
        ClickHouseTestCluster.assumeRunning();
        String db = ClickHouseTestCluster.freshDatabase();
        Random r = new Random(3);
        try (ClickHouseLogStore store = ClickHouseLogStore.open(ClickHouseTestCluster.config(db).build())) {
            List<LogEntry> entries = new ArrayList<>();
            for (int k = 0; k < 500; k++) {
                entries.add(new LogEntry(randomString(r), randomString(r), 0, 0, 0, 0, 0, randomString(r)));
            }
            LogStoreContractTest.append(store, entries);
            URI u = ClickHouseTestCluster.urls().get(0);
            for (int k = 0; k < 150; k++) {
                LogEntry e = entries.get(r.nextInt(entries.size()));
                String s = e.username().isEmpty() ? randomString(r) : e.username();
                int a = r.nextInt(s.length() + 1);
                String term = k % 3 == 0 ? randomString(r) : s.substring(a, Math.max(a, Math.min(s.length(), a + 1 + r.nextInt(3))));
                if (Character.isLowSurrogate(term.isEmpty() ? 'x' : term.charAt(0))
                        || Character.isHighSurrogate(term.isEmpty() ? 'x' : term.charAt(term.length() - 1))) {
                    continue;
                }
                SearchPredicate p = new SearchPredicate(term.toUpperCase(java.util.Locale.ROOT));
                Set<Long> expected = new HashSet<>();
                for (int j = 0; j < entries.size(); j++) {
                    if (p.test(entries.get(j))) {
                        expected.add((long) j);
                    }
                }
                assertThat(seqs(u, db, ClickHouseSql.search(p.term()).condition())).as(term).containsAll(expected);
            }
        } finally {
            ClickHouseTestCluster.drop(db);
        }
    }

    private static Set<Long> seqs(URI u, String db, String condition) {
        String out = ClickHouseTestCluster.query(u, "SELECT seq FROM " + db + ".entries WHERE " + condition + " FORMAT TSV");
        Set<Long> s = new HashSet<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                s.add(Long.parseLong(line.strip()));
            }
        }
        return s;
    }
}
