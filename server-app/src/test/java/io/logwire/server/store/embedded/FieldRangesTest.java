package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.Criterion;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.Operator;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.logwire.server.store.embedded.StoreTestSupport.encode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FieldRangesTest {
    private static final Field[] NUMERIC = {Field.PORT, Field.ACCESS_TIME, Field.DATA_SENT, Field.DATA_RECEIVED,
            Field.SCORE};

    private static FieldRanges rangesOf(List<LogEntry> entries) {
        ByteBuf buf = encode(entries);
        try {
            return FieldRanges.ofBatch(buf, buf.readerIndex(), buf.readableBytes(), entries.size());
        } finally {
            buf.release();
        }
    }

    private static LogEntry randomEntry(Random r) {
        float[] scores = {0f, -0f, 1.5f, -2.25f, 1e30f, -1e-30f, 7f};
        return new LogEntry("u", "i", r.nextInt(3) == 0 ? 0 : r.nextInt(65536),
                r.nextInt(3) == 0 ? LogEntry.U32_MAX : r.nextInt(1000), r.nextInt(50), r.nextInt(4) * 1000L,
                scores[r.nextInt(scores.length)], "s");
    }

    /** A skip is only allowed when no entry matches: the ranges never disagree with the predicate. */
    @Test
    void neverRulesOutAMatchingEntry() {
        Random r = new Random(3);
        Operator[] ops = Operator.values();
        for (int round = 0; round < 2000; round++) {
            List<LogEntry> entries = new ArrayList<>();
            int n = 1 + r.nextInt(5);
            for (int k = 0; k < n; k++) {
                entries.add(randomEntry(r));
            }
            FieldRanges ranges = rangesOf(entries);
            Field field = NUMERIC[r.nextInt(NUMERIC.length)];
            // Values near, at and between the entries' own values.
            double base = field.numericValue(entries.get(r.nextInt(n)));
            double value = switch (r.nextInt(4)) {
                case 0 -> base;
                case 1 -> base + 1;
                case 2 -> base - 0.5;
                default -> field == Field.SCORE && r.nextBoolean() ? -0.0 : 0.0;
            };
            Filter filter = new Filter(List.of(new Criterion.NumericCriterion(field, ops[r.nextInt(ops.length)], value)));
            boolean anyMatch = entries.stream().anyMatch(filter.compile()::test);
            boolean mayMatch = ranges.mayMatch(FieldRanges.NumericCriteria.of(filter));
            if (anyMatch) {
                assertThat(mayMatch).as("%s over %s", filter, entries).isTrue();
            }
            // With one entry the ranges are exact: a skip decision is then also complete.
            if (n == 1) {
                assertThat(mayMatch).as("%s over %s", filter, entries).isEqualTo(anyMatch);
            }
        }
    }

    @Test
    void accumulatorMergesBatchesLikeOneBigBatch() {
        Random r = new Random(5);
        List<LogEntry> all = new ArrayList<>();
        FieldRanges.Accumulator acc = new FieldRanges.Accumulator();
        for (int b = 0; b < 20; b++) {
            List<LogEntry> batch = new ArrayList<>();
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                batch.add(randomEntry(r));
            }
            all.addAll(batch);
            acc.add(rangesOf(batch));
        }
        FieldRanges merged = acc.snapshot();
        FieldRanges whole = rangesOf(all);
        for (int f = 0; f < FieldRanges.FIELDS; f++) {
            assertThat(merged.min(f)).isEqualTo(whole.min(f));
            assertThat(merged.max(f)).isEqualTo(whole.max(f));
        }
        assertThat(FieldRanges.EMPTY.mayMatch(FieldRanges.NumericCriteria.of(Filter.parse("port>0")))).isFalse();
    }

    @Test
    void refusesBytesThatAreNotExactlyTheEntries() {
        ByteBuf buf = encode(List.of(randomEntry(new Random(1))));
        try {
            assertThatThrownBy(() -> FieldRanges.ofBatch(buf, 0, buf.readableBytes(), 2))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FieldRanges.ofBatch(buf, 0, buf.readableBytes() - 1, 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> FieldRanges.ofBatch(buf, 0, buf.readableBytes(), 0))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            buf.release();
        }
    }
}
