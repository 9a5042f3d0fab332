package io.logwire.protocol.aggregate;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.Utf8;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates an {@link AggregateQuery} over a stream of entries, decoded or in their wire
 * encoding, in memory bounded by the number of distinct groups: one small state per group,
 * at most {@code maxGroups} of them (one more raises {@link TooManyGroupsException}). Feed it
 * with {@link #accept} (which applies the query's filter) or {@link #add} (for entries already
 * known to match), then call {@link #result()}.
 *
 * <p>Not thread-safe: one instance per scan, or one per partition combined with
 * {@link #merge}.
 */
public final class Aggregator {
    /** A default cap on distinct groups for callers without their own. */
    public static final int DEFAULT_MAX_GROUPS = 1_000_000;

    private final AggregateQuery query;
    private final EntryPredicate filter;
    private final int maxGroups;
    private final Field[] groupBy;
    private final Aggregation[] aggregations;
    /** Per aggregation: read the field as a long (integer fields) or a double (score). */
    private final boolean[] integerField;
    private final Map<List<Object>, Group> groups = new HashMap<>();
    /** The single group of a query without {@code by}. */
    private final Group total;
    /**
     * Groups by the raw bytes of their key fields as encoded in the entry, so that an encoded
     * entry finds its group without decoding strings or boxing numbers; a key is decoded only
     * when its bytes are first seen. Several byte keys may lead to one group (score 0.0 and -0.0).
     */
    private final KeyIndex index = new KeyIndex();
    /** The current entry's key bytes. */
    private byte[] scratch = new byte[64];

    /** An aggregator for {@code query} holding at most {@code maxGroups} distinct groups. */
    public Aggregator(AggregateQuery query, int maxGroups) {
        if (maxGroups < 1) {
            throw new IllegalArgumentException("maxGroups must be >= 1: " + maxGroups);
        }
        this.query = query;
        this.filter = query.filter().compile();
        this.maxGroups = maxGroups;
        this.groupBy = query.groupBy().toArray(new Field[0]);
        this.aggregations = query.aggregations().toArray(new Aggregation[0]);
        this.integerField = new boolean[aggregations.length];
        for (int i = 0; i < aggregations.length; i++) {
            integerField[i] = aggregations[i].field() != null && aggregations[i].field() != Field.SCORE;
        }
        this.total = groupBy.length == 0 ? new Group(aggregations.length) : null;
    }

    /** The query being evaluated. */
    public AggregateQuery query() {
        return query;
    }

    /** Distinct groups so far. */
    public int groupCount() {
        return total != null ? 1 : groups.size();
    }

    /** Adds {@code e} if it matches the query's filter; returns whether it did. */
    public boolean accept(LogEntry e) {
        if (!filter.test(e)) {
            return false;
        }
        add(e);
        return true;
    }

    /**
     * Adds the well-formed encoded entry at {@code offset} of {@code buf} if it matches the
     * query's filter; returns whether it did. Nothing is decoded but the grouped strings.
     */
    public boolean accept(ByteBuf buf, int offset) {
        if (!filter.test(buf, offset)) {
            return false;
        }
        add(buf, offset);
        return true;
    }

    /**
     * Adds {@code e}, which the caller knows matches.
     *
     * @throws TooManyGroupsException if it starts a group beyond the cap
     */
    public void add(LogEntry e) {
        Group g = total;
        if (g == null) {
            Object[] key = new Object[groupBy.length];
            for (int i = 0; i < groupBy.length; i++) {
                Field f = groupBy[i];
                key[i] = f.isNumeric() ? numericKey(f, longValue(f, e), e.score()) : f.stringValue(e);
            }
            g = group(key);
        }
        g.count++;
        for (int i = 0; i < aggregations.length; i++) {
            Field f = aggregations[i].field();
            if (f == null) {
                continue;
            }
            if (integerField[i]) {
                g.addLong(i, aggregations[i].function(), longValue(f, e));
            } else {
                g.addDouble(i, aggregations[i].function(), e.score());
            }
        }
    }

    /**
     * Adds the well-formed encoded entry at {@code offset}, which the caller knows matches.
     *
     * @throws TooManyGroupsException if it starts a group beyond the cap
     */
    public void add(ByteBuf buf, int offset) {
        int fixed = LogEntryCodec.fixedOffset(buf, offset);
        Group g = total;
        if (g == null) {
            int length = keyBytes(buf, offset, fixed);
            int hash = KeyIndex.hash(scratch, length);
            g = index.get(scratch, length, hash);
            if (g == null) {
                Object[] key = new Object[groupBy.length];
                for (int i = 0; i < groupBy.length; i++) {
                    Field f = groupBy[i];
                    key[i] = f.isNumeric() ? numericKey(f, longValueAt(f, buf, fixed), scoreAt(buf, fixed))
                            : stringAt(f, buf, offset);
                }
                g = group(key);
                index.put(scratch, length, hash, g);
            }
        }
        g.count++;
        for (int i = 0; i < aggregations.length; i++) {
            Field f = aggregations[i].field();
            if (f == null) {
                continue;
            }
            if (integerField[i]) {
                g.addLong(i, aggregations[i].function(), longValueAt(f, buf, fixed));
            } else {
                g.addDouble(i, aggregations[i].function(), scoreAt(buf, fixed));
            }
        }
    }

    /**
     * Adds everything {@code other} (an aggregator of an equal query) has seen, as if its
     * entries had been added here.
     *
     * @throws TooManyGroupsException if the groups together exceed this aggregator's cap
     */
    public void merge(Aggregator other) {
        if (!other.query.equals(query)) {
            throw new IllegalArgumentException("cannot merge an aggregation of " + other.query + " into " + query);
        }
        if (total != null) {
            total.merge(other.total, aggregations);
            return;
        }
        for (Map.Entry<List<Object>, Group> e : other.groups.entrySet()) {
            Group mine = groups.get(e.getKey());
            if (mine == null) {
                if (groups.size() >= maxGroups) {
                    throw new TooManyGroupsException(maxGroups);
                }
                mine = new Group(aggregations.length);
                groups.put(e.getKey(), mine);
            }
            mine.merge(e.getValue(), aggregations);
        }
    }

    /** The result so far: rows in the protocol's order, {@code top} applied. */
    public AggregateResult result() {
        if (total != null) {
            return new AggregateResult(query.columns(), List.of(total.row(List.of(), aggregations)));
        }
        List<List<Object>> rows = new ArrayList<>(groups.size());
        for (Map.Entry<List<Object>, Group> e : groups.entrySet()) {
            rows.add(e.getValue().row(e.getKey(), aggregations));
        }
        return AggregateResult.of(query, rows);
    }

    private Group group(Object[] key) {
        List<Object> k = Arrays.asList(key);
        Group g = groups.get(k);
        if (g == null) {
            if (groups.size() >= maxGroups) {
                throw new TooManyGroupsException(maxGroups);
            }
            g = new Group(aggregations.length);
            groups.put(k, g);
        }
        return g;
    }

    /**
     * Writes the group fields of the encoded entry into {@link #scratch}: each string as its
     * u16 length and bytes, each integer field as 4 bytes (port as 2), score as its 4 float
     * bytes. The field list is the same for every entry, so equal bytes mean equal fields.
     *
     * @return the number of bytes written
     */
    private int keyBytes(ByteBuf buf, int offset, int fixed) {
        int n = 0;
        for (Field f : groupBy) {
            int at;
            int len;
            switch (f) {
                case USERNAME -> {
                    at = offset + LogEntryCodec.LENGTHS_SIZE;
                    len = buf.getUnsignedShort(offset);
                }
                case IP -> {
                    at = offset + LogEntryCodec.LENGTHS_SIZE + buf.getUnsignedShort(offset);
                    len = buf.getUnsignedShort(offset + 2);
                }
                case SERVER -> {
                    at = offset + LogEntryCodec.LENGTHS_SIZE + buf.getUnsignedShort(offset)
                            + buf.getUnsignedShort(offset + 2);
                    len = buf.getUnsignedShort(offset + 4);
                }
                case PORT -> {
                    at = fixed + LogEntryCodec.PORT_OFFSET;
                    len = 2;
                }
                case ACCESS_TIME -> {
                    at = fixed + LogEntryCodec.ACCESS_TIME_OFFSET;
                    len = 4;
                }
                case DATA_SENT -> {
                    at = fixed + LogEntryCodec.DATA_SENT_OFFSET;
                    len = 4;
                }
                case DATA_RECEIVED -> {
                    at = fixed + LogEntryCodec.DATA_RECEIVED_OFFSET;
                    len = 4;
                }
                case SCORE -> {
                    at = fixed + LogEntryCodec.SCORE_OFFSET;
                    len = 4;
                }
                default -> throw new IllegalStateException("not a group field: " + f);
            }
            if (scratch.length < n + 2 + len) {
                scratch = Arrays.copyOf(scratch, Math.max(scratch.length * 2, n + 2 + len));
            }
            if (!f.isNumeric()) {
                scratch[n++] = (byte) (len >>> 8);
                scratch[n++] = (byte) len;
            }
            buf.getBytes(at, scratch, n, len);
            n += len;
        }
        return n;
    }

    /** Open-addressing map from key bytes to groups (see {@link #index}). */
    private static final class KeyIndex {
        private byte[][] keys = new byte[64][];
        private int[] hashes = new int[64];
        private Group[] values = new Group[64];
        private int size;

        static int hash(byte[] k, int len) {
            int h = 0x811C9DC5;
            for (int i = 0; i < len; i++) {
                h = (h ^ k[i]) * 0x01000193;
            }
            return h ^ (h >>> 16);
        }

        Group get(byte[] k, int len, int hash) {
            int mask = keys.length - 1;
            for (int i = hash & mask; ; i = (i + 1) & mask) {
                byte[] key = keys[i];
                if (key == null) {
                    return null;
                }
                if (hashes[i] == hash && key.length == len && Arrays.equals(key, 0, len, k, 0, len)) {
                    return values[i];
                }
            }
        }

        void put(byte[] k, int len, int hash, Group g) {
            if (2 * (size + 1) > keys.length) {
                byte[][] oldKeys = keys;
                int[] oldHashes = hashes;
                Group[] oldValues = values;
                keys = new byte[oldKeys.length * 2][];
                hashes = new int[oldKeys.length * 2];
                values = new Group[oldKeys.length * 2];
                for (int i = 0; i < oldKeys.length; i++) {
                    if (oldKeys[i] != null) {
                        insert(oldKeys[i], oldHashes[i], oldValues[i]);
                    }
                }
            }
            insert(Arrays.copyOf(k, len), hash, g);
            size++;
        }

        private void insert(byte[] key, int hash, Group g) {
            int mask = keys.length - 1;
            int i = hash & mask;
            while (keys[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            hashes[i] = hash;
            values[i] = g;
        }
    }

    /** A grouped number: a Long for the integer fields, a Double for score (0.0 and -0.0 are one group). */
    private static Object numericKey(Field f, long integer, float score) {
        // Not a conditional expression: that would unbox both branches to double.
        if (f == Field.SCORE) {
            return score == 0 ? 0.0 : (double) score;
        }
        return integer;
    }

    private static long longValue(Field f, LogEntry e) {
        return switch (f) {
            case PORT -> e.port();
            case ACCESS_TIME -> e.accessTime();
            case DATA_SENT -> e.dataSent();
            case DATA_RECEIVED -> e.dataReceived();
            default -> 0; // score: read as a float elsewhere
        };
    }

    private static long longValueAt(Field f, ByteBuf buf, int fixed) {
        return switch (f) {
            case PORT -> buf.getUnsignedShort(fixed + LogEntryCodec.PORT_OFFSET);
            case ACCESS_TIME -> buf.getUnsignedInt(fixed + LogEntryCodec.ACCESS_TIME_OFFSET);
            case DATA_SENT -> buf.getUnsignedInt(fixed + LogEntryCodec.DATA_SENT_OFFSET);
            case DATA_RECEIVED -> buf.getUnsignedInt(fixed + LogEntryCodec.DATA_RECEIVED_OFFSET);
            default -> 0;
        };
    }

    private static float scoreAt(ByteBuf buf, int fixed) {
        return buf.getFloat(fixed + LogEntryCodec.SCORE_OFFSET);
    }

    private static String stringAt(Field f, ByteBuf buf, int offset) {
        int u = buf.getUnsignedShort(offset);
        int i = buf.getUnsignedShort(offset + 2);
        int s = buf.getUnsignedShort(offset + 4);
        int p = offset + LogEntryCodec.LENGTHS_SIZE;
        return switch (f) {
            case USERNAME -> Utf8.decode(buf, p, u);
            case IP -> Utf8.decode(buf, p + u, i);
            case SERVER -> Utf8.decode(buf, p + u + i, s);
            default -> throw new IllegalStateException(f + " is numeric");
        };
    }

    /** Running state of one group. */
    private static final class Group {
        long count;
        final long[] longs;
        final double[] doubles;

        Group(int aggregations) {
            longs = new long[aggregations];
            doubles = new double[aggregations];
        }

        void addLong(int i, AggregateFunction fn, long v) {
            switch (fn) {
                case SUM -> longs[i] = Math.addExact(longs[i], v);
                case AVG -> doubles[i] += v;
                case MIN -> longs[i] = count == 1 ? v : Math.min(longs[i], v);
                case MAX -> longs[i] = count == 1 ? v : Math.max(longs[i], v);
                default -> throw new IllegalStateException("count reads no field");
            }
        }

        void addDouble(int i, AggregateFunction fn, double v) {
            switch (fn) {
                case SUM, AVG -> doubles[i] += v;
                case MIN -> doubles[i] = count == 1 ? v : Math.min(doubles[i], v);
                case MAX -> doubles[i] = count == 1 ? v : Math.max(doubles[i], v);
                default -> throw new IllegalStateException("count reads no field");
            }
        }

        void merge(Group o, Aggregation[] aggregations) {
            if (o.count == 0) {
                return;
            }
            boolean empty = count == 0;
            for (int i = 0; i < aggregations.length; i++) {
                Aggregation a = aggregations[i];
                switch (a.function()) {
                    case COUNT -> { }
                    case SUM -> {
                        longs[i] = Math.addExact(longs[i], o.longs[i]);
                        doubles[i] += o.doubles[i];
                    }
                    case AVG -> doubles[i] += o.doubles[i];
                    case MIN -> {
                        longs[i] = empty ? o.longs[i] : Math.min(longs[i], o.longs[i]);
                        doubles[i] = empty ? o.doubles[i] : Math.min(doubles[i], o.doubles[i]);
                    }
                    case MAX -> {
                        longs[i] = empty ? o.longs[i] : Math.max(longs[i], o.longs[i]);
                        doubles[i] = empty ? o.doubles[i] : Math.max(doubles[i], o.doubles[i]);
                    }
                    default -> throw new IllegalStateException(a.toString());
                }
            }
            count += o.count;
        }

        List<Object> row(List<Object> key, Aggregation[] aggregations) {
            List<Object> row = new ArrayList<>(key.size() + aggregations.length);
            row.addAll(key);
            for (int i = 0; i < aggregations.length; i++) {
                Aggregation a = aggregations[i];
                if (a.function() == AggregateFunction.COUNT) {
                    row.add(count);
                } else if (count == 0) {
                    row.add(null);
                } else if (a.function() == AggregateFunction.AVG) {
                    row.add(doubles[i] / count);
                } else if (a.isInteger()) {
                    row.add(longs[i]);
                } else {
                    row.add(doubles[i]);
                }
            }
            return row;
        }
    }
}
