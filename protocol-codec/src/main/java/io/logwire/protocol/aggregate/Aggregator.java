package io.logwire.protocol.aggregate;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.entry.Utf8;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Field;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates an {@link AggregateQuery} over a stream of entries, decoded or in their wire
 * encoding, in memory bounded by the number of distinct groups: one small state per group,
 * at most {@code maxGroups} of them (one more raises {@link TooManyGroupsException}). Feed it
 * with {@link #accept} (which applies the query's filter) or {@link #add} (for entries already
 * known to match), then call {@link #result()}.
 *
 * <p>Built for scans of encoded entries: a group is found by its key's bytes read from the
 * entry eight at a time (nothing is decoded but a new group's key), hashed into an
 * open-addressing table of longs, and each group's key and running state lie side by side in
 * one array of longs, so adding an entry allocates nothing, follows no pointers and touches
 * about two cache lines besides the entry.
 *
 * <p>Not thread-safe: one instance per scan, or one per partition combined with
 * {@link #merge}.
 */
public final class Aggregator {
    /** A default cap on distinct groups for callers without their own. */
    public static final int DEFAULT_MAX_GROUPS = 1_000_000;
    /** The default cap on the memory of one aggregator's group keys and states: 128 MiB. */
    public static final long DEFAULT_MAX_BYTES = 128L << 20;

    // What each aggregation does with an entry. Integer fields keep exact sums, minima and
    // maxima in longs; averages and everything of score accumulate in doubles.
    private static final int COUNT = 0;
    private static final int LONG_SUM = 1;
    private static final int LONG_AVG = 2;
    private static final int LONG_MIN = 3;
    private static final int LONG_MAX = 4;
    private static final int DOUBLE_SUM = 5; // sum and avg of score
    private static final int DOUBLE_MIN = 6;
    private static final int DOUBLE_MAX = 7;

    // What each group field contributes to a key.
    private static final int KEY_USERNAME = 0;
    private static final int KEY_IP = 1;
    private static final int KEY_SERVER = 2;
    private static final int KEY_INTEGER = 3;
    private static final int KEY_SCORE = 4;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final AggregateQuery query;
    private final EntryPredicate filter;
    private final int maxGroups;
    private final Field[] groupBy;
    private final Aggregation[] aggregations;
    private final int width;
    /** Per aggregation: one of the operation codes above. */
    private final int[] ops;
    /** Per aggregation: where its field's 4 bytes start, from the entry's fixed fields ... */
    private final int[] fieldOffsets;
    /** ... and how far to shift them right (16 for the u16 port, else 0). */
    private final int[] fieldShifts;
    /** Per group field: one of the key kinds above, and for integers where and how to read them. */
    private final int[] keyKinds;
    private final int[] keyOffsets;
    private final int[] keyShifts;

    /**
     * The groups, one record each: at record {@code r}, {@code arena[r]} is the number of key
     * words {@code n} (see {@link #keyWords}), then come the {@code n} key words, the count,
     * and one state word per aggregation (a long, or a double's bits).
     */
    private long[] arena;
    /** The cap on {@link #arena}'s length (see the constructor's maxBytes). */
    private final long maxArenaWords;
    private int arenaSize;
    /**
     * Open addressing from key to record: each slot holds the top 32 bits of the key's hash
     * and, below them, the record's index + 1; 0 is an empty slot. The slot of a hash is its
     * top {@code slotBits} bits, so the table can grow from the slots alone.
     */
    private long[] slots = new long[64];
    private int slotBits = 6;
    private int groupCount;
    private int[] records = new int[32];      // by group number: its record
    private List<?>[] keys = new List<?>[32]; // by group number: the key decoded, for the result

    /**
     * The key kind of the only group field if that is a string (a query grouped by it alone
     * takes {@link #shortStringGroup} for strings of up to 16 bytes), else -1.
     */
    private final int singleString;

    /** Per entry of the block {@link #addAll} works on: where its fixed fields are, where its group's count is. */
    private int[] blockFixed = new int[0];
    private int[] blockCounts = new int[0];
    /** The current entry's key words. */
    private long[] words = new long[16];

    /** An aggregator for {@code query} holding at most {@code maxGroups} distinct groups. */
    public Aggregator(AggregateQuery query, int maxGroups) {
        this(query, maxGroups, DEFAULT_MAX_BYTES);
    }

    /**
     * An aggregator for {@code query} holding at most {@code maxGroups} distinct groups whose
     * keys and states take at most {@code maxBytes} (group keys can be strings of up to 64 KiB
     * each, so the number of groups alone does not bound the memory).
     */
    public Aggregator(AggregateQuery query, int maxGroups, long maxBytes) {
        if (maxGroups < 1) {
            throw new IllegalArgumentException("maxGroups must be >= 1: " + maxGroups);
        }
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("maxBytes must be >= 1024: " + maxBytes);
        }
        this.maxArenaWords = Math.min(maxBytes / 8, Integer.MAX_VALUE - 8);
        this.arena = new long[(int) Math.min(1024, maxArenaWords)];
        this.query = query;
        this.filter = query.filter().compile();
        this.maxGroups = maxGroups;
        this.groupBy = query.groupBy().toArray(new Field[0]);
        this.aggregations = query.aggregations().toArray(new Aggregation[0]);
        this.width = aggregations.length;
        this.ops = new int[width];
        this.fieldOffsets = new int[width];
        this.fieldShifts = new int[width];
        for (int i = 0; i < width; i++) {
            Aggregation a = aggregations[i];
            if (a.field() == null) {
                ops[i] = COUNT;
                continue;
            }
            boolean score = a.field() == Field.SCORE;
            ops[i] = switch (a.function()) {
                case SUM -> score ? DOUBLE_SUM : LONG_SUM;
                case AVG -> score ? DOUBLE_SUM : LONG_AVG;
                case MIN -> score ? DOUBLE_MIN : LONG_MIN;
                case MAX -> score ? DOUBLE_MAX : LONG_MAX;
                case COUNT -> throw new IllegalStateException("count reads no field");
            };
            fieldOffsets[i] = fixedFieldOffset(a.field());
            fieldShifts[i] = a.field() == Field.PORT ? 16 : 0;
        }
        this.keyKinds = new int[groupBy.length];
        this.keyOffsets = new int[groupBy.length];
        this.keyShifts = new int[groupBy.length];
        for (int k = 0; k < groupBy.length; k++) {
            Field f = groupBy[k];
            keyKinds[k] = switch (f) {
                case USERNAME -> KEY_USERNAME;
                case IP -> KEY_IP;
                case SERVER -> KEY_SERVER;
                case SCORE -> KEY_SCORE;
                default -> KEY_INTEGER;
            };
            if (f.isNumeric()) {
                keyOffsets[k] = fixedFieldOffset(f);
                keyShifts[k] = f == Field.PORT ? 16 : 0;
            }
        }
        this.singleString = groupBy.length == 1 && !groupBy[0].isNumeric() ? keyKinds[0] : -1;
        if (groupBy.length == 0) {
            newGroup(List.of(), words, 0, 0, 0); // record 0: the single group of a query without "by"
        }
    }

    /** The query being evaluated. */
    public AggregateQuery query() {
        return query;
    }

    /** Distinct groups so far. */
    public int groupCount() {
        return groupCount;
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
     * query's filter; returns whether it did. Nothing is decoded but a new group's key.
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
        int r = 0;
        if (groupBy.length > 0) {
            int n = keyWords(e);
            long h = hash(words, 0, n);
            r = find(words, 0, n, h);
            if (r < 0) {
                Object[] key = new Object[groupBy.length];
                for (int k = 0; k < groupBy.length; k++) {
                    Field f = groupBy[k];
                    key[k] = f.isNumeric() ? numericKey(f, longValue(f, e), e.score()) : f.stringValue(e);
                }
                r = newGroup(Arrays.asList(key), words, 0, n, h);
            }
        }
        int c = r + 1 + (int) arena[r];
        ++arena[c];
        for (int i = 0; i < width; i++) {
            Field f = aggregations[i].field();
            if (f != null) {
                update(ops[i], c + 1 + i, longValue(f, e), e.score());
            }
        }
    }

    /**
     * Adds the well-formed encoded entry at {@code offset}, which the caller knows matches.
     *
     * @throws TooManyGroupsException if it starts a group beyond the cap
     */
    public void add(ByteBuf buf, int offset) {
        // A well-formed entry has at least 24 bytes: one 8-byte read gets the three lengths.
        long lengths = buf.getLong(offset);
        int fixed = fixedOffset(offset, lengths);
        int r = groupBy.length == 0 ? 0 : recordOf(buf, offset, lengths, fixed);
        int c = r + 1 + (int) arena[r];
        ++arena[c];
        int[] ops = this.ops;
        for (int i = 0; i < ops.length; i++) {
            int op = ops[i];
            if (op == COUNT) {
                continue;
            }
            int bits = buf.getInt(fixed + fieldOffsets[i]);
            update(op, c + 1 + i, (bits & 0xFFFF_FFFFL) >>> fieldShifts[i], Float.intBitsToFloat(bits));
        }
    }

    /**
     * Adds the well-formed encoded entries at {@code offsets[0 .. n)} of {@code buf}, which the
     * caller knows match: the same as {@link #add(ByteBuf, int)} for each, done in passes
     * over the block (keys, then counts, then one tight loop per aggregation) so that the
     * memory accesses of different entries overlap instead of waiting for each other.
     *
     * @throws TooManyGroupsException if an entry starts a group beyond the cap
     */
    public void addAll(ByteBuf buf, int[] offsets, int n) {
        if (blockFixed.length < n) {
            blockFixed = new int[n];
            blockCounts = new int[n];
        }
        int[] fixed = blockFixed;
        int[] at = blockCounts; // index of each entry's group count in the arena
        if (groupBy.length == 0) {
            int c = 1 + (int) arena[0];
            for (int j = 0; j < n; j++) {
                fixed[j] = fixedOffset(offsets[j], buf.getLong(offsets[j]));
                at[j] = c;
            }
        } else {
            for (int j = 0; j < n; j++) {
                int offset = offsets[j];
                long lengths = buf.getLong(offset);
                int f = fixedOffset(offset, lengths);
                fixed[j] = f;
                int r = recordOf(buf, offset, lengths, f);
                at[j] = r + 1 + (int) arena[r];
            }
        }
        long[] a = arena; // no more groups from here on
        for (int j = 0; j < n; j++) {
            a[at[j]]++;
        }
        for (int i = 0; i < width; i++) {
            int op = ops[i];
            int field = fieldOffsets[i];
            int shift = fieldShifts[i];
            int state = 1 + i; // from the count
            switch (op) {
                case COUNT -> { }
                case LONG_SUM -> {
                    for (int j = 0; j < n; j++) {
                        int x = at[j] + state;
                        a[x] = Math.addExact(a[x], (buf.getInt(fixed[j] + field) & 0xFFFF_FFFFL) >>> shift);
                    }
                }
                case LONG_AVG -> {
                    for (int j = 0; j < n; j++) {
                        int x = at[j] + state;
                        a[x] = bits(real(a[x]) + ((buf.getInt(fixed[j] + field) & 0xFFFF_FFFFL) >>> shift));
                    }
                }
                case DOUBLE_SUM -> {
                    for (int j = 0; j < n; j++) {
                        int x = at[j] + state;
                        a[x] = bits(real(a[x]) + buf.getFloat(fixed[j] + field));
                    }
                }
                default -> {
                    for (int j = 0; j < n; j++) {
                        int bits = buf.getInt(fixed[j] + field);
                        update(op, at[j] + state, (bits & 0xFFFF_FFFFL) >>> shift, Float.intBitsToFloat(bits));
                    }
                }
            }
        }
    }

    /** Where the fixed fields start of the entry at {@code offset} whose first 8 bytes are {@code lengths}. */
    private static int fixedOffset(int offset, long lengths) {
        return offset + LogEntryCodec.LENGTHS_SIZE + (int) (lengths >>> 48) + ((int) (lengths >>> 32) & 0xFFFF)
                + ((int) (lengths >>> 16) & 0xFFFF);
    }

    /** The record of the encoded entry's group (created if new), for a query with {@code by}. */
    private int recordOf(ByteBuf buf, int offset, long lengths, int fixed) {
        int u = (int) (lengths >>> 48);
        int ip = (int) (lengths >>> 32) & 0xFFFF;
        int s = (int) (lengths >>> 16) & 0xFFFF;
        int strings = offset + LogEntryCodec.LENGTHS_SIZE;
        int len = singleString == KEY_USERNAME ? u : singleString == KEY_IP ? ip : singleString == KEY_SERVER ? s : 99;
        if (len <= 16) {
            int start = singleString == KEY_USERNAME ? strings : singleString == KEY_IP ? strings + u : strings + u + ip;
            return shortStringGroup(buf, offset, fixed, start, len);
        }
        int n = keyWords(buf, strings, u, ip, s, fixed);
        long h = hash(words, 0, n);
        int r = find(words, 0, n, h);
        return r >= 0 ? r : newGroup(decodeKey(buf, offset, fixed), words, 0, n, h);
    }

    /**
     * The record of the group (created if new) of an entry grouped by one string field of at
     * most 16 bytes at {@code start}: the three words {@link #keyWords} would write, read and
     * hashed without loops. Both reads stay inside the entry: its 18 fixed bytes follow the
     * string.
     */
    private int shortStringGroup(ByteBuf buf, int offset, int fixed, int start, int len) {
        int k0 = Math.min(len, 8);
        int k1 = Math.max(len - 8, 0);
        long w0 = k0 == 0 ? 0 : buf.getLong(start) & (-1L << ((8 - k0) << 3));
        long w1 = k1 == 0 ? 0 : buf.getLong(start + 8) & (-1L << ((8 - k1) << 3));
        long h = hashStep(hashStep(hashStep(3, len), w0), w1);
        h = (h ^ (h >>> 32)) * GOLDEN; // as hash(words, 0, 3)
        long[] w = words;
        w[0] = len;
        w[1] = w0;
        w[2] = w1;
        int r = find(w, 0, 3, h);
        return r >= 0 ? r : newGroup(decodeKey(buf, offset, fixed), w, 0, 3, h);
    }

    /**
     * Applies aggregation operation {@code op} to state word {@code at} of a group, the
     * entry's field being {@code integer} (integer fields) or {@code score}.
     */
    private void update(int op, int at, long integer, float score) {
        long[] a = arena;
        switch (op) {
            case LONG_SUM -> a[at] = Math.addExact(a[at], integer);
            case LONG_AVG -> a[at] = bits(real(a[at]) + integer);
            case LONG_MIN -> a[at] = Math.min(a[at], integer);
            case LONG_MAX -> a[at] = Math.max(a[at], integer);
            case DOUBLE_SUM -> a[at] = bits(real(a[at]) + score);
            case DOUBLE_MIN -> a[at] = bits(Math.min(real(a[at]), score));
            case DOUBLE_MAX -> a[at] = bits(Math.max(real(a[at]), score));
            default -> throw new IllegalStateException("operation " + op);
        }
    }

    private static double real(long bits) {
        return Double.longBitsToDouble(bits);
    }

    private static long bits(double d) {
        return Double.doubleToRawLongBits(d);
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
        long[] theirs = other.arena;
        for (int og = 0; og < other.groupCount; og++) {
            int ro = other.records[og];
            int n = (int) theirs[ro];
            int co = ro + 1 + n;
            if (theirs[co] == 0) {
                continue; // the empty total of a query without "by"
            }
            long h = hash(theirs, ro + 1, n);
            int r = groupBy.length == 0 ? 0 : find(theirs, ro + 1, n, h);
            if (r < 0) {
                r = newGroup(other.keys[og], theirs, ro + 1, n, h);
            }
            long[] a = arena;
            int c = r + 1 + n;
            for (int i = 0; i < width; i++) {
                int x = c + 1 + i;
                long y = theirs[co + 1 + i];
                switch (ops[i]) {
                    case COUNT -> { }
                    case LONG_SUM -> a[x] = Math.addExact(a[x], y);
                    case LONG_AVG, DOUBLE_SUM -> a[x] = bits(real(a[x]) + real(y));
                    case LONG_MIN -> a[x] = Math.min(a[x], y);
                    case LONG_MAX -> a[x] = Math.max(a[x], y);
                    case DOUBLE_MIN -> a[x] = bits(Math.min(real(a[x]), real(y)));
                    case DOUBLE_MAX -> a[x] = bits(Math.max(real(a[x]), real(y)));
                    default -> throw new IllegalStateException("operation " + ops[i]);
                }
            }
            a[c] += theirs[co];
        }
    }

    /** The result so far: rows in the protocol's order, {@code top} applied. */
    public AggregateResult result() {
        if (groupBy.length == 0) {
            return new AggregateResult(query.columns(), List.of(row(0)));
        }
        List<List<Object>> rows = new ArrayList<>(groupCount);
        for (int g = 0; g < groupCount; g++) {
            rows.add(row(g));
        }
        return AggregateResult.of(query, rows);
    }

    private List<Object> row(int g) {
        List<?> key = keys[g];
        int r = records[g];
        int c = r + 1 + (int) arena[r];
        long count = arena[c];
        List<Object> row = new ArrayList<>(key.size() + width);
        row.addAll(key);
        for (int i = 0; i < width; i++) {
            Aggregation a = aggregations[i];
            long state = arena[c + 1 + i];
            if (a.function() == AggregateFunction.COUNT) {
                row.add(count);
            } else if (count == 0) {
                row.add(null);
            } else if (a.function() == AggregateFunction.AVG) {
                row.add(real(state) / count);
            } else if (a.isInteger()) {
                row.add(state);
            } else {
                row.add(real(state));
            }
        }
        return row;
    }

    // ---- keys ----

    /**
     * Writes the group key of the encoded entry into {@link #words}: per string field its
     * UTF-8 length, then its bytes big-endian eight to a word, zero-padded to a whole word
     * and to at least two words (so a string of up to 16 bytes always takes three words,
     * which {@link #shortStringGroup} reads without loops); per numeric field its value (score as its float bits, -0.0 as 0.0). The field list is
     * the same for every entry, so equal words mean equal keys, and equal keys equal words
     * (valid UTF-8 has one encoding per string).
     *
     * @param strings where the entry's strings start
     * @return the number of words written
     */
    private int keyWords(ByteBuf buf, int strings, int u, int ip, int s, int fixed) {
        long[] w = words;
        int n = 0;
        for (int k = 0; k < keyKinds.length; k++) {
            int kind = keyKinds[k];
            if (kind == KEY_INTEGER) {
                if (n == w.length) {
                    w = growWords(n + 1);
                }
                w[n++] = (buf.getInt(fixed + keyOffsets[k]) & 0xFFFF_FFFFL) >>> keyShifts[k];
                continue;
            }
            if (kind == KEY_SCORE) {
                if (n == w.length) {
                    w = growWords(n + 1);
                }
                w[n++] = scoreKey(buf.getInt(fixed + LogEntryCodec.SCORE_OFFSET));
                continue;
            }
            int start = kind == KEY_USERNAME ? strings : kind == KEY_IP ? strings + u : strings + u + ip;
            int len = kind == KEY_USERNAME ? u : kind == KEY_IP ? ip : s;
            int full = len >>> 3;
            int tail = len & 7;
            if (w.length < n + 3 + full) {
                w = growWords(n + 3 + full);
            }
            w[n++] = len;
            for (int j = 0; j < full; j++) {
                w[n++] = buf.getLong(start + 8 * j);
            }
            if (tail != 0) {
                // Reads up to 7 bytes past the string, into the entry's 18 fixed bytes at the
                // least, and masks them off.
                w[n++] = buf.getLong(start + 8 * full) & (-1L << ((8 - tail) << 3));
            }
            if (len <= 8) {
                w[n++] = 0; // at least two words (see keyWords)
                if (len == 0) {
                    w[n++] = 0;
                }
            }
        }
        return n;
    }

    /** The same words for a decoded entry. */
    private int keyWords(LogEntry e) {
        int n = 0;
        for (int k = 0; k < groupBy.length; k++) {
            Field f = groupBy[k];
            if (!f.isNumeric()) {
                byte[] bytes = f.stringValue(e).getBytes(StandardCharsets.UTF_8);
                int len = bytes.length;
                if (words.length < n + 3 + (len >>> 3)) {
                    growWords(n + 3 + (len >>> 3));
                }
                words[n++] = len;
                for (int j = 0; j < Math.max(len, 16); j += 8) {
                    long word = 0;
                    for (int b = 0; b < 8; b++) {
                        word = (word << 8) | (j + b < len ? bytes[j + b] & 0xFF : 0);
                    }
                    words[n++] = word;
                }
            } else {
                if (n == words.length) {
                    growWords(n + 1);
                }
                words[n++] = f == Field.SCORE ? scoreKey(Float.floatToRawIntBits(e.score())) : longValue(f, e);
            }
        }
        return n;
    }

    private long[] growWords(int atLeast) {
        words = Arrays.copyOf(words, Math.max(words.length * 2, atLeast));
        return words;
    }

    /** A score's key word: its float bits, -0.0 taken as 0.0 (equal scores, one group). */
    private static long scoreKey(int bits) {
        return bits == 0x8000_0000 ? 0 : bits & 0xFFFF_FFFFL;
    }

    /** A hash of {@code w[from .. from+n)}, its top bits well mixed. */
    private static long hash(long[] w, int from, int n) {
        long h = n;
        for (int i = from; i < from + n; i++) {
            h = hashStep(h, w[i]);
        }
        return (h ^ (h >>> 32)) * GOLDEN;
    }

    private static long hashStep(long h, long word) {
        long x = (h ^ word) * GOLDEN;
        return x ^ (x >>> 29);
    }

    /** The record of the group whose key is {@code w[from .. from+n)} with hash {@code h}, or -1. */
    private int find(long[] w, int from, int n, long h) {
        long[] t = slots;
        long[] a = arena;
        int mask = t.length - 1;
        for (int i = (int) (h >>> (64 - slotBits)); ; i = (i + 1) & mask) {
            long slot = t[i];
            if (slot == 0) {
                return -1;
            }
            if (((slot ^ h) >>> 32) == 0) {
                int r = (int) slot - 1;
                if (a[r] == n) {
                    int k = 0;
                    while (k < n && a[r + 1 + k] == w[from + k]) {
                        k++;
                    }
                    if (k == n) {
                        return r;
                    }
                }
            }
        }
    }

    /**
     * Adds a group with key {@code key}, key words {@code w[from .. from+n)} and hash
     * {@code h}, its state zero; returns its record.
     */
    private int newGroup(List<?> key, long[] w, int from, int n, long h) {
        if (groupCount >= maxGroups) {
            throw new TooManyGroupsException(maxGroups);
        }
        int size = 2 + n + width;
        if (arena.length - arenaSize < size) {
            long needed = (long) arenaSize + size;
            if (needed > maxArenaWords) {
                throw TooManyGroupsException.keyBytes(maxArenaWords * 8, groupCount);
            }
            arena = Arrays.copyOf(arena, (int) Math.min(Math.max(2L * arena.length, needed), maxArenaWords));
        }
        int r = arenaSize;
        arena[r] = n;
        System.arraycopy(w, from, arena, r + 1, n);
        arenaSize += size; // the count and the sums are zero already; minima and maxima start at their identity
        for (int i = 0; i < width; i++) {
            int x = r + 2 + n + i;
            switch (ops[i]) {
                case LONG_MIN -> arena[x] = Long.MAX_VALUE;
                case LONG_MAX -> arena[x] = Long.MIN_VALUE;
                case DOUBLE_MIN -> arena[x] = bits(Double.POSITIVE_INFINITY);
                case DOUBLE_MAX -> arena[x] = bits(Double.NEGATIVE_INFINITY);
                default -> { }
            }
        }
        int g = groupCount++;
        if (g == records.length) {
            records = Arrays.copyOf(records, 2 * g);
            keys = Arrays.copyOf(keys, 2 * g);
        }
        records[g] = r;
        keys[g] = key;
        if (2 * groupCount > slots.length) {
            long[] old = slots;
            slots = new long[2 * old.length];
            slotBits++;
            for (long slot : old) {
                if (slot != 0) {
                    insert(slot);
                }
            }
        }
        insert((h & 0xFFFF_FFFF_0000_0000L) | (r + 1L));
        return r;
    }

    /** Puts {@code slot} (hash bits and record) into the first free slot from its hash's. */
    private void insert(long slot) {
        int mask = slots.length - 1;
        int i = (int) (slot >>> (64 - slotBits));
        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = slot;
    }

    /** The key of the encoded entry at {@code offset}, decoded: strings, Longs, Doubles. */
    private List<Object> decodeKey(ByteBuf buf, int offset, int fixed) {
        Object[] key = new Object[groupBy.length];
        for (int k = 0; k < groupBy.length; k++) {
            Field f = groupBy[k];
            key[k] = f.isNumeric() ? numericKey(f, longValueAt(f, buf, fixed), buf.getFloat(fixed + LogEntryCodec.SCORE_OFFSET))
                    : stringAt(f, buf, offset);
        }
        return Arrays.asList(key);
    }

    /** A grouped number: a Long for the integer fields, a Double for score (0.0 and -0.0 are one group). */
    private static Object numericKey(Field f, long integer, float score) {
        // Not a conditional expression: that would unbox both branches to double.
        if (f == Field.SCORE) {
            return score == 0 ? 0.0 : (double) score;
        }
        return integer;
    }

    private static int fixedFieldOffset(Field f) {
        return switch (f) {
            case PORT -> LogEntryCodec.PORT_OFFSET;
            case ACCESS_TIME -> LogEntryCodec.ACCESS_TIME_OFFSET;
            case DATA_SENT -> LogEntryCodec.DATA_SENT_OFFSET;
            case DATA_RECEIVED -> LogEntryCodec.DATA_RECEIVED_OFFSET;
            case SCORE -> LogEntryCodec.SCORE_OFFSET;
            default -> throw new IllegalArgumentException(f + " is not numeric");
        };
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
}
