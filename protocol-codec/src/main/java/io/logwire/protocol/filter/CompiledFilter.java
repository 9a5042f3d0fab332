package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** A filter compiled to one test per criterion, evaluated in order with early exit. */
final class CompiledFilter implements EntryPredicate {
    private final Test[] tests;

    CompiledFilter(List<Criterion> criteria) {
        tests = criteria.stream().map(CompiledFilter::compile).toArray(Test[]::new);
    }

    private static Test compile(Criterion c) {
        if (c instanceof Criterion.NumericCriterion n) {
            return new NumericTest(n.field(), n.op(), n.value());
        }
        Criterion.StringCriterion s = (Criterion.StringCriterion) c;
        return new StringTest(s.field(), s.op() == Operator.EQ, s.value());
    }

    @Override
    public boolean test(LogEntry e) {
        for (Test t : tests) {
            if (!t.test(e)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean test(ByteBuf buf, int offset) {
        int u = buf.getUnsignedShort(offset);
        int i = buf.getUnsignedShort(offset + 2);
        int s = buf.getUnsignedShort(offset + 4);
        for (Test t : tests) {
            if (!t.test(buf, offset, u, i, s)) {
                return false;
            }
        }
        return true;
    }

    private abstract static class Test {
        abstract boolean test(LogEntry e);

        /** {@code u, i, s}: the three string lengths of the entry at {@code offset}. */
        abstract boolean test(ByteBuf buf, int offset, int u, int i, int s);
    }

    private static final class NumericTest extends Test {
        private final Field field;
        private final Operator op;
        private final double value;

        NumericTest(Field field, Operator op, double value) {
            this.field = field;
            this.op = op;
            this.value = value;
        }

        @Override
        boolean test(LogEntry e) {
            return op.test(field.numericValue(e), value);
        }

        @Override
        boolean test(ByteBuf buf, int offset, int u, int i, int s) {
            return op.test(field.numericValueAt(buf, offset + LogEntryCodec.LENGTHS_SIZE + u + i + s), value);
        }
    }

    private static final class StringTest extends Test {
        private final Field field;
        private final boolean equal;
        private final String value;
        private final ByteBuf utf8;
        private final int length;

        StringTest(Field field, boolean equal, String value) {
            this.field = field;
            this.equal = equal;
            this.value = value;
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            this.utf8 = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes));
            this.length = bytes.length;
        }

        @Override
        boolean test(LogEntry e) {
            return field.stringValue(e).equals(value) == equal;
        }

        @Override
        boolean test(ByteBuf buf, int offset, int u, int i, int s) {
            int start = offset + LogEntryCodec.LENGTHS_SIZE;
            int len;
            switch (field) {
                case USERNAME -> len = u;
                case IP -> {
                    start += u;
                    len = i;
                }
                default -> {
                    start += u + i;
                    len = s;
                }
            }
            // Valid UTF-8 has one encoding per string, so equal bytes mean equal strings.
            boolean same = len == length && ByteBufUtil.equals(buf, start, utf8, 0, len);
            return same == equal;
        }
    }
}
