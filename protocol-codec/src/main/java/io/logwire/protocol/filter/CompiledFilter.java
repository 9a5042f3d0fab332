package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.Utf8;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A filter (PROTOCOL.md section 5) compiled to one test per criterion, evaluated in order
 * with early exit.
 *
 * <p>Every numeric criterion becomes a closed interval, so a test is two comparisons and no
 * switch on the operator: {@code x > v} is {@code x >= nextUp(v)} for any double {@code x},
 * and for the integer fields the bounds are rounded inwards to longs, exactly, so their
 * values are compared without conversion to double. A string criterion compares the value's
 * UTF-8 bytes, 8 at a time.
 */
final class CompiledFilter implements EntryPredicate {
    /** Two kinds of test only: each call site stays bimorphic, so the JIT inlines both. */
    private final Test[] tests;

    CompiledFilter(List<Criterion> criteria) {
        // All criteria must hold, so their order is free: the numeric ones first, two
        // comparisons each, before any string comparison.
        tests = criteria.stream().map(CompiledFilter::compile)
                .sorted(java.util.Comparator.comparing(t -> t instanceof StringTest))
                .toArray(Test[]::new);
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
        // A well-formed entry has at least 24 bytes: one 8-byte read gets the three lengths.
        long lengths = buf.getLong(offset);
        int u = (int) (lengths >>> 48);
        int i = (int) (lengths >>> 32) & 0xFFFF;
        int s = (int) (lengths >>> 16) & 0xFFFF;
        for (Test t : tests) {
            if (!t.test(buf, offset, u, i, s)) {
                return false;
            }
        }
        return true;
    }

    /** One criterion at a time over the whole block, each pass over the entries kept so far. */
    @Override
    public int filter(ByteBuf buf, int[] offsets, int[] tags, int n) {
        int kept = n;
        for (Test t : tests) {
            kept = t.filter(buf, offsets, tags, kept);
        }
        return kept;
    }

    private abstract static class Test {
        abstract boolean test(LogEntry e);

        /** {@code u, i, s}: the three string lengths of the entry at {@code offset}. */
        abstract boolean test(ByteBuf buf, int offset, int u, int i, int s);

        /** {@link EntryPredicate#filter} for this criterion alone. */
        final int filter(ByteBuf buf, int[] offsets, int[] tags, int n) {
            int kept = 0;
            for (int j = 0; j < n; j++) {
                int offset = offsets[j];
                long lengths = buf.getLong(offset);
                if (test(buf, offset, (int) (lengths >>> 48), (int) (lengths >>> 32) & 0xFFFF,
                        (int) (lengths >>> 16) & 0xFFFF)) {
                    offsets[kept] = offset;
                    tags[kept] = tags[j];
                    kept++;
                }
            }
            return kept;
        }
    }

    /** {@code lo <= x <= hi}, or its negation for {@code !=}. */
    private static final class NumericTest extends Test {
        private final Field field;
        private final boolean negate;
        /** The interval in double precision (score, and the object path). */
        private final double lo;
        private final double hi;
        /** Integer fields: the same interval rounded inwards, clamped to what a u32 can reach. */
        private final long intLo;
        private final long intHi;
        private final boolean isScore;
        /** Offset from the fixed fields of the 4 bytes read; the value is their top bits. */
        private final int offset;
        private final int shift;

        NumericTest(Field field, Operator op, double value) {
            this.field = field;
            this.negate = op == Operator.NE;
            // Strict bounds become inclusive ones by one ulp: for doubles x and v (no NaN),
            // x > v exactly when x >= nextUp(v), and x < v when x <= nextDown(v).
            this.lo = switch (op) {
                case EQ, NE, GE -> value;
                case GT -> Math.nextUp(value);
                case LT, LE -> Double.NEGATIVE_INFINITY;
            };
            this.hi = switch (op) {
                case EQ, NE, LE -> value;
                case LT -> Math.nextDown(value);
                case GT, GE -> Double.POSITIVE_INFINITY;
            };
            // An integer x is >= lo when it is >= ceil(lo), and <= hi when <= floor(hi). Every
            // value lies in [0, 2^32), so clamping to [-1, 2^32] keeps the answers.
            this.intLo = clamp(Math.ceil(lo));
            this.intHi = clamp(Math.floor(hi));
            this.isScore = field == Field.SCORE;
            switch (field) {
                case PORT -> {
                    offset = LogEntryCodec.PORT_OFFSET;
                    shift = 16; // u16: the top half of the 4 bytes read
                }
                case ACCESS_TIME -> {
                    offset = LogEntryCodec.ACCESS_TIME_OFFSET;
                    shift = 0;
                }
                case DATA_SENT -> {
                    offset = LogEntryCodec.DATA_SENT_OFFSET;
                    shift = 0;
                }
                case DATA_RECEIVED -> {
                    offset = LogEntryCodec.DATA_RECEIVED_OFFSET;
                    shift = 0;
                }
                case SCORE -> {
                    offset = LogEntryCodec.SCORE_OFFSET;
                    shift = 0;
                }
                default -> throw new IllegalArgumentException(field + " is not numeric");
            }
        }

        private static long clamp(double bound) {
            return (long) Math.max(-1, Math.min(bound, 0x1_0000_0000L));
        }

        @Override
        boolean test(LogEntry e) {
            double x = field.numericValue(e);
            return (x >= lo && x <= hi) != negate;
        }

        @Override
        boolean test(ByteBuf buf, int offset, int u, int i, int s) {
            int at = offset + LogEntryCodec.LENGTHS_SIZE + u + i + s + this.offset;
            int bits = buf.getInt(at);
            if (isScore) {
                double x = Float.intBitsToFloat(bits);
                return (x >= lo && x <= hi) != negate;
            }
            long x = (bits & 0xFFFF_FFFFL) >>> shift;
            return (x >= intLo && x <= intHi) != negate;
        }
    }

    /** A string field equal (or not) to a value, compared as UTF-8 bytes in place. */
    private static final class StringTest extends Test {
        private final Field field;
        private final boolean equal;
        private final String value;
        /** Which string of the entry: 0 username, 1 IP, 2 server. */
        private final int which;
        /**
         * The value's UTF-8 length, or -1 if it has none (an unpaired surrogate): no entry,
         * whose strings are well-formed UTF-8, can then be equal to it.
         */
        private final int length;
        /** The value's UTF-8 in big-endian 8-byte words, the last one zero-padded. */
        private final long[] words;

        StringTest(Field field, boolean equal, String value) {
            this.field = field;
            this.equal = equal;
            this.value = value;
            this.which = switch (field) {
                case USERNAME -> 0;
                case IP -> 1;
                case SERVER -> 2;
                default -> throw new IllegalArgumentException(field + " is not a string field");
            };
            int n;
            try {
                n = Utf8.encodedLength(value);
            } catch (IllegalArgumentException unpaired) {
                n = -1;
            }
            this.length = n;
            byte[] bytes = n < 0 ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
            ByteBuffer padded = ByteBuffer.allocate((bytes.length + 7) & ~7).order(ByteOrder.BIG_ENDIAN).put(bytes);
            this.words = new long[padded.capacity() / 8];
            for (int k = 0; k < words.length; k++) {
                words[k] = padded.getLong(k * 8);
            }
        }

        @Override
        boolean test(LogEntry e) {
            return field.stringValue(e).equals(value) == equal;
        }

        @Override
        boolean test(ByteBuf buf, int offset, int u, int i, int s) {
            int len = which == 0 ? u : which == 1 ? i : s;
            if (len != length) {
                return !equal;
            }
            int start = offset + LogEntryCodec.LENGTHS_SIZE + (which >= 1 ? u : 0) + (which == 2 ? i : 0);
            // Valid UTF-8 has one encoding per string, so equal bytes mean equal strings. The
            // last word may run up to 7 bytes past the string, into the entry's 18 fixed bytes
            // at the least; those are masked off.
            long[] w = words;
            int last = w.length - 1;
            for (int k = 0; k < last; k++) {
                if (buf.getLong(start + 8 * k) != w[k]) {
                    return !equal;
                }
            }
            if (last >= 0) {
                int tail = len - 8 * last; // 1..8 bytes
                long mask = -1L << ((8 - tail) << 3);
                if ((buf.getLong(start + 8 * last) & mask) != w[last]) {
                    return !equal;
                }
            }
            return equal;
        }
    }
}
