package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.Criterion;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.Operator;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * The minimum and maximum of each numeric field (port, accessTime, dataSent, dataReceived,
 * score) over a set of entries, so a scan can skip a segment whose ranges cannot satisfy a
 * filter's numeric criteria. Immutable and thread-safe; {@link Accumulator} is not.
 *
 * <p>Values are held as doubles (every u16/u32/f32 is exact in a double) and compared with
 * the same IEEE operators as {@link io.logwire.protocol.filter.Operator#test}, so a skip
 * never disagrees with the predicate.
 */
final class FieldRanges {
    static final int PORT = 0;
    static final int ACCESS_TIME = 1;
    static final int DATA_SENT = 2;
    static final int DATA_RECEIVED = 3;
    static final int SCORE = 4;
    static final int FIELDS = 5;

    /** The ranges of no entries: nothing can match. */
    static final FieldRanges EMPTY = new FieldRanges(new double[FIELDS], new double[FIELDS], true);

    private final double[] min;
    private final double[] max;
    private final boolean empty;

    private FieldRanges(double[] min, double[] max, boolean empty) {
        this.min = min;
        this.max = max;
        this.empty = empty;
    }

    boolean isEmpty() {
        return empty;
    }

    double min(int field) {
        return min[field];
    }

    double max(int field) {
        return max[field];
    }

    /** The index of a numeric {@link Field} here, or -1 for a string field. */
    static int indexOf(Field field) {
        return switch (field) {
            case PORT -> PORT;
            case ACCESS_TIME -> ACCESS_TIME;
            case DATA_SENT -> DATA_SENT;
            case DATA_RECEIVED -> DATA_RECEIVED;
            case SCORE -> SCORE;
            default -> -1;
        };
    }

    /**
     * Whether an entry with values inside these ranges could satisfy every criterion of
     * {@code criteria} (false means: skip, nothing here matches).
     */
    boolean mayMatch(NumericCriteria criteria) {
        if (empty) {
            return false;
        }
        for (int k = 0; k < criteria.size(); k++) {
            int f = criteria.fields[k];
            double v = criteria.values[k];
            double lo = min[f];
            double hi = max[f];
            boolean possible = switch (criteria.ops[k]) {
                case EQ -> lo <= v && v <= hi;
                case NE -> !(lo == v && hi == v);
                case LT -> lo < v;
                case LE -> lo <= v;
                case GT -> hi > v;
                case GE -> hi >= v;
            };
            if (!possible) {
                return false;
            }
        }
        return true;
    }

    /**
     * The ranges of the {@code count} entries in {@code buf[offset, offset + length)}, which
     * must be exactly that many entries.
     *
     * @throws IllegalArgumentException if they are not
     */
    static FieldRanges ofBatch(ByteBuf buf, int offset, int length, int count) {
        Accumulator acc = new Accumulator();
        acc.addEntries(buf, offset, offset + length, count);
        return acc.snapshot();
    }

    @Override
    public String toString() {
        if (empty) {
            return "FieldRanges[empty]";
        }
        return "FieldRanges[port " + min[PORT] + ".." + max[PORT] + ", accessTime " + min[ACCESS_TIME] + ".."
                + max[ACCESS_TIME] + ", dataSent " + min[DATA_SENT] + ".." + max[DATA_SENT] + ", dataReceived "
                + min[DATA_RECEIVED] + ".." + max[DATA_RECEIVED] + ", score " + min[SCORE] + ".." + max[SCORE] + "]";
    }

    /** Mutable ranges, widened entry by entry or range by range. Not thread-safe. */
    static final class Accumulator {
        // Primitive fields rather than arrays: the per-entry loop stays in registers.
        private long minPort = Long.MAX_VALUE;
        private long maxPort = Long.MIN_VALUE;
        private long minAccess = Long.MAX_VALUE;
        private long maxAccess = Long.MIN_VALUE;
        private long minSent = Long.MAX_VALUE;
        private long maxSent = Long.MIN_VALUE;
        private long minReceived = Long.MAX_VALUE;
        private long maxReceived = Long.MIN_VALUE;
        private double minScore = Double.POSITIVE_INFINITY;
        private double maxScore = Double.NEGATIVE_INFINITY;
        private boolean empty = true;

        /**
         * Widens by the {@code count} entries that must fill {@code buf[offset, limit)} exactly.
         *
         * @throws IllegalArgumentException if they do not; nothing is changed then
         */
        void addEntries(ByteBuf buf, int offset, int limit, int count) {
            long minP = minPort, maxP = maxPort, minA = minAccess, maxA = maxAccess;
            long minS = minSent, maxS = maxSent, minR = minReceived, maxR = maxReceived;
            double minSc = minScore, maxSc = maxScore;
            int p = offset;
            for (int n = 0; n < count; n++) {
                int len = LogEntryCodec.entryLength(buf, p, limit);
                if (len < 0) {
                    throw new IllegalArgumentException("entry " + n + " of " + count + " does not fit");
                }
                int fixed = p + len - LogEntryCodec.FIXED_SIZE;
                long port = buf.getUnsignedShort(fixed + LogEntryCodec.PORT_OFFSET);
                long access = buf.getUnsignedInt(fixed + LogEntryCodec.ACCESS_TIME_OFFSET);
                long sent = buf.getUnsignedInt(fixed + LogEntryCodec.DATA_SENT_OFFSET);
                long received = buf.getUnsignedInt(fixed + LogEntryCodec.DATA_RECEIVED_OFFSET);
                double score = buf.getFloat(fixed + LogEntryCodec.SCORE_OFFSET);
                minP = Math.min(minP, port);
                maxP = Math.max(maxP, port);
                minA = Math.min(minA, access);
                maxA = Math.max(maxA, access);
                minS = Math.min(minS, sent);
                maxS = Math.max(maxS, sent);
                minR = Math.min(minR, received);
                maxR = Math.max(maxR, received);
                // Not Math.min/max: they order -0.0 before 0.0, which the filter's == does not.
                if (score < minSc) {
                    minSc = score;
                }
                if (score > maxSc) {
                    maxSc = score;
                }
                p += len;
            }
            if (p != limit) {
                throw new IllegalArgumentException((limit - p) + " bytes left over after " + count + " entries");
            }
            if (count > 0) {
                minPort = minP;
                maxPort = maxP;
                minAccess = minA;
                maxAccess = maxA;
                minSent = minS;
                maxSent = maxS;
                minReceived = minR;
                maxReceived = maxR;
                minScore = minSc;
                maxScore = maxSc;
                empty = false;
            }
        }

        void add(FieldRanges r) {
            if (r.empty) {
                return;
            }
            minPort = Math.min(minPort, (long) r.min[PORT]);
            maxPort = Math.max(maxPort, (long) r.max[PORT]);
            minAccess = Math.min(minAccess, (long) r.min[ACCESS_TIME]);
            maxAccess = Math.max(maxAccess, (long) r.max[ACCESS_TIME]);
            minSent = Math.min(minSent, (long) r.min[DATA_SENT]);
            maxSent = Math.max(maxSent, (long) r.max[DATA_SENT]);
            minReceived = Math.min(minReceived, (long) r.min[DATA_RECEIVED]);
            maxReceived = Math.max(maxReceived, (long) r.max[DATA_RECEIVED]);
            if (r.min[SCORE] < minScore) {
                minScore = r.min[SCORE];
            }
            if (r.max[SCORE] > maxScore) {
                maxScore = r.max[SCORE];
            }
            empty = false;
        }

        FieldRanges snapshot() {
            if (empty) {
                return EMPTY;
            }
            return new FieldRanges(
                    new double[] {minPort, minAccess, minSent, minReceived, minScore},
                    new double[] {maxPort, maxAccess, maxSent, maxReceived, maxScore}, false);
        }
    }

    /** The numeric criteria of a filter, flattened for {@link #mayMatch}. Immutable. */
    static final class NumericCriteria {
        static final NumericCriteria NONE = new NumericCriteria(new int[0],
                new Operator[0], new double[0]);

        private final int[] fields;
        private final Operator[] ops;
        private final double[] values;

        private NumericCriteria(int[] fields, Operator[] ops, double[] values) {
            this.fields = fields;
            this.ops = ops;
            this.values = values;
        }

        static NumericCriteria of(Filter filter) {
            if (filter == null || filter.matchesAll()) {
                return NONE;
            }
            List<Criterion.NumericCriterion> numeric = new ArrayList<>();
            for (Criterion c : filter.criteria()) {
                if (c instanceof Criterion.NumericCriterion n) {
                    numeric.add(n);
                }
            }
            if (numeric.isEmpty()) {
                return NONE;
            }
            int[] fields = new int[numeric.size()];
            Operator[] ops = new Operator[numeric.size()];
            double[] values = new double[numeric.size()];
            for (int k = 0; k < numeric.size(); k++) {
                fields[k] = indexOf(numeric.get(k).field());
                ops[k] = numeric.get(k).op();
                values[k] = numeric.get(k).value();
            }
            return new NumericCriteria(fields, ops, values);
        }

        int size() {
            return fields.length;
        }

        boolean isEmpty() {
            return fields.length == 0;
        }
    }
}
