package io.logwire.server.store;

import io.logwire.protocol.aggregate.AggregateFunction;
import io.logwire.protocol.aggregate.AggregateQuery;
import io.logwire.protocol.aggregate.AggregateResult;
import io.logwire.protocol.aggregate.Aggregation;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The plain evaluation of PROTOCOL.md 6.5 for tests: filter, group in a map of lists, compute
 * each aggregate from its list in sequence order; the row order and {@code top} come from
 * {@link AggregateResult#of}. And a comparison of results that allows doubles 1e-9 relative.
 */
public final class AggregateOracle {
    private AggregateOracle() {
    }

    public static AggregateResult evaluate(AggregateQuery q, List<LogEntry> entries) {
        EntryPredicate p = q.filter().compile();
        Map<List<Object>, List<LogEntry>> groups = new HashMap<>();
        for (LogEntry e : entries) {
            if (!p.test(e)) {
                continue;
            }
            List<Object> key = new ArrayList<>();
            for (Field f : q.groupBy()) {
                Object v = value(f, e);
                key.add(v instanceof Double d && d == 0 ? (Object) 0.0 : v); // -0.0 and 0.0: one group
            }
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
        }
        if (q.groupBy().isEmpty() && groups.isEmpty()) {
            groups.put(List.of(), List.of());
        }
        List<List<Object>> rows = new ArrayList<>();
        groups.forEach((key, list) -> {
            List<Object> row = new ArrayList<>(key);
            for (Aggregation a : q.aggregations()) {
                row.add(aggregate(a, list));
            }
            rows.add(row);
        });
        return AggregateResult.of(q, rows);
    }

    static Object value(Field f, LogEntry e) {
        switch (f) {
            case USERNAME: return e.username();
            case IP: return e.ip();
            case SERVER: return e.server();
            case PORT: return (long) e.port();
            case ACCESS_TIME: return e.accessTime();
            case DATA_SENT: return e.dataSent();
            case DATA_RECEIVED: return e.dataReceived();
            case SCORE: return (double) e.score();
            default: throw new AssertionError(f);
        }
    }

    static Object aggregate(Aggregation a, List<LogEntry> list) {
        if (a.function() == AggregateFunction.COUNT) {
            return (long) list.size();
        }
        if (list.isEmpty()) {
            return null;
        }
        boolean dbl = a.field() == Field.SCORE;
        double dsum = 0;
        long lsum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (LogEntry e : list) {
            double v = ((Number) value(a.field(), e)).doubleValue();
            dsum += v;
            lsum += dbl ? 0 : (long) v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        switch (a.function()) {
            case SUM: return dbl ? (Object) dsum : (Object) lsum;
            case AVG: return dsum / list.size();
            case MIN: return dbl ? (Object) min : (Object) (long) min;
            case MAX: return dbl ? (Object) max : (Object) (long) max;
            default: throw new AssertionError(a);
        }
    }

    /** Asserts {@code got} equals {@code want}: same columns and rows, doubles to 1e-9 relative. */
    public static void assertSame(String what, AggregateResult got, AggregateResult want) {
        assertThat(got.columns()).as(what).isEqualTo(want.columns());
        assertThat(got.rows()).as(what).hasSameSizeAs(want.rows());
        for (int i = 0; i < want.rows().size(); i++) {
            List<Object> g = got.rows().get(i);
            List<Object> w = want.rows().get(i);
            for (int k = 0; k < w.size(); k++) {
                String at = what + " row " + i + " column " + want.columns().get(k) + ": " + g + " vs " + w;
                if (w.get(k) instanceof Double d) {
                    assertThat(g.get(k)).as(at).isInstanceOf(Double.class);
                    assertThat((Double) g.get(k)).as(at).isCloseTo(d, within(Math.abs(d) * 1e-9));
                } else if (w.get(k) instanceof Long n) {
                    assertThat(g.get(k)).as(at).isInstanceOf(Number.class);
                    assertThat(((Number) g.get(k)).longValue()).as(at).isEqualTo(n);
                } else {
                    assertThat(g.get(k)).as(at).isEqualTo(w.get(k));
                }
            }
        }
    }
}
