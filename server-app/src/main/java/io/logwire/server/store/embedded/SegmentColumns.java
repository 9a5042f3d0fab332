package io.logwire.server.store.embedded;

import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.filter.Criterion;
import io.logwire.protocol.filter.Field;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.Operator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The entries of one sealed segment stored again column by column, in a file beside it
 * ({@code <base>.cols}), so that a scan with a filter reads only the columns of the filter's
 * fields instead of walking every entry (each entry's string lengths say where the next one
 * starts: a chain of dependent loads through all of the segment's bytes).
 *
 * <p>A column file is derived data. It is made from the sealed segment by a background thread
 * (never the writer or an event loop), written to {@code .cols.tmp} and renamed (not forced:
 * the disk's bandwidth belongs to the segments being written), and checked when it is opened
 * (layout and length, the segment's length and entry count, CRC32C of every region); a file
 * that fails a check is made again. Until a segment has one, scans walk its entries as
 * before: nothing depends on column files being there.
 *
 * <pre>
 * offset  size        field (little-endian: these files never leave the machine that made them)
 * 0       8           magic "LWCOLS" u16 version 1
 * 8       4           count             entries in the segment
 * 12      4           flags             bit 0: server ids valid, bit 1: username ids valid
 * 16      8           segmentLength     bytes of the segment file the columns describe
 * 24      4           serverValues      distinct servers (size of its dictionary)
 * 28      4           usernameValues    distinct usernames
 * 32      8           serverDictionary  file offset of the server dictionary
 * 40      8           usernameDictionary file offset of the username dictionary
 * 48      8           length            of the whole file
 * 56      40          crc               CRC32C of each of the 10 regions below (the 8 columns, the 2 dictionaries)
 * 96      32          zero
 * 128     4 * count   offset            file offset of each entry in the segment
 *         4 * count   accessTime, then dataSent, then dataReceived (u32), then score (f32)
 *         4 * count   server id, then username id: index in that field's dictionary
 *         2 * count   port (u16), padded to 8 bytes
 *         ...         dictionaries: per value u16 length + UTF-8 bytes, in id order
 * </pre>
 *
 * <p>A string field with more than {@link #MAX_DICTIONARY} distinct values in a segment gets
 * no dictionary (its flag is clear); criteria on it, and on IP, are left to the entry predicate.
 * Instances are immutable and thread-safe; the mapping lives until {@link #close}, which the
 * segment calls once no cursor holds it.
 */
final class SegmentColumns {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentColumns.class);

    static final long MAGIC = 0x4C57_434F_4C53_0001L; // "LWCOLS", version 1
    static final int HEADER_SIZE = 128;
    private static final int CRC_AT = 56;
    /** The columns, then the two dictionaries. */
    private static final int REGIONS = 10;
    /** Entries whose columns a build holds in memory at once. */
    private static final int BUILD_CHUNK = 1 << 16;
    /** Most distinct values a string column keeps a dictionary for, per segment. */
    static final int MAX_DICTIONARY = 1 << 16;
    private static final int SERVER_VALID = 1;
    private static final int USERNAME_VALID = 2;

    private final Path path;
    private final MappedByteBuffer map;
    private final ByteBuffer buf; // little-endian view of map
    private final int count;
    private final int flags;
    private final int serverValues;
    private final int usernameValues;
    private final int serverDictionary;
    private final int usernameDictionary;

    private SegmentColumns(Path path, MappedByteBuffer map) {
        this.path = path;
        this.map = map;
        this.buf = map.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.count = buf.getInt(8);
        this.flags = buf.getInt(12);
        this.serverValues = buf.getInt(24);
        this.usernameValues = buf.getInt(28);
        this.serverDictionary = (int) buf.getLong(32);
        this.usernameDictionary = (int) buf.getLong(40);
    }

    Path path() {
        return path;
    }

    int count() {
        return count;
    }

    // ------------------------------------------------------------------ layout

    private static int int32At(int column, int count) {
        return HEADER_SIZE + 4 * column * count; // column 0 = offsets, 1..5 numeric u32/f32, 6..7 ids
    }

    private static int portAt(int count) {
        return HEADER_SIZE + 4 * 7 * count;
    }

    /** Where region {@code r} (0-6 the int columns, 7 port, 8-9 the dictionaries) starts. */
    private static long regionStart(int r, int count, long serverAt, long usernameAt) {
        return r < 7 ? int32At(r, count) : r == 7 ? portAt(count) : r == 8 ? serverAt : usernameAt;
    }

    private static long regionEnd(int r, int count, long serverAt, long usernameAt) {
        return r < 7 ? int32At(r + 1, count) : r == 7 ? portAt(count) + 2L * count : r == 8 ? usernameAt : -1;
    }

    private static long dictionariesAt(int count) {
        return (portAt(count) + 2L * count + 7) & ~7L;
    }

    private static final int ACCESS_TIME = 1;
    private static final int DATA_SENT = 2;
    private static final int DATA_RECEIVED = 3;
    private static final int SCORE = 4;
    private static final int SERVER_ID = 5;
    private static final int USERNAME_ID = 6;

    /** File offset in the segment of entry {@code index} (0 = the segment's first). */
    int entryOffset(int index) {
        return buf.getInt(HEADER_SIZE + 4 * index);
    }

    // ------------------------------------------------------------------ open and build

    /**
     * Opens the column file of {@code segment} if it exists and describes exactly its
     * {@code entryCount} entries in {@code segmentLength} bytes; null if it does not exist,
     * and null (after deleting it) if it fails a check.
     */
    static SegmentColumns open(Path file, long segmentLength, long entryCount) throws IOException {
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_SIZE || size > Integer.MAX_VALUE) {
                return discard(file, "size " + size);
            }
            map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            return null;
        }
        ByteBuffer b = map.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        String problem = null;
        if (b.getLong(0) != MAGIC) {
            problem = "not a column file (magic)";
        } else if (b.getInt(8) != entryCount || b.getLong(16) != segmentLength) {
            problem = "describes " + Integer.toUnsignedLong(b.getInt(8)) + " entries in " + b.getLong(16)
                    + " bytes, the segment has " + entryCount + " in " + segmentLength;
        } else if (b.getLong(48) != b.capacity() || b.getLong(32) != dictionariesAt(b.getInt(8))
                || b.getLong(40) < b.getLong(32) || b.getLong(40) > b.capacity()) {
            problem = "truncated, or its layout is wrong";
        } else {
            int count = b.getInt(8);
            for (int r = 0; r < REGIONS && problem == null; r++) {
                long start = regionStart(r, count, b.getLong(32), b.getLong(40));
                long end = r + 1 < REGIONS ? regionEnd(r, count, b.getLong(32), b.getLong(40)) : b.capacity();
                CRC32C crc = new CRC32C();
                crc.update(b.duplicate().limit((int) end).position((int) start));
                if ((int) crc.getValue() != b.getInt(CRC_AT + 4 * r)) {
                    problem = "CRC mismatch in region " + r;
                }
            }
        }
        if (problem != null) {
            Unmapper.unmap(map);
            return discard(file, problem);
        }
        return new SegmentColumns(file, map);
    }

    private static SegmentColumns discard(Path file, String why) throws IOException {
        LOG.warn("Column file {} is not usable ({}); making it again", file, why);
        Files.deleteIfExists(file);
        return null;
    }

    /**
     * Writes the column file of the sealed segment whose whole file is {@code segment}
     * ({@code entryCount} entries) to {@code file} (through {@code file.tmp}, then renamed),
     * and opens it.
     *
     * @throws InterruptedIOException if the thread is interrupted meanwhile (the store closes)
     */
    static SegmentColumns build(ByteBuffer segment, long entryCount, Path file) throws IOException {
        if (entryCount > (Integer.MAX_VALUE - HEADER_SIZE) / 40) {
            throw new IOException("segment too large for a column file: " + entryCount + " entries");
        }
        int count = (int) entryCount;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Dictionary servers = new Dictionary();
        Dictionary usernames = new Dictionary();
        CRC32C[] crcs = new CRC32C[REGIONS];
        for (int r = 0; r < REGIONS; r++) {
            crcs[r] = new CRC32C();
        }
        boolean done = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            new Filler(segment, count, ch, crcs, servers, usernames).fill();
            long serverAt = dictionariesAt(count);
            long usernameAt = serverAt + servers.write(ch, serverAt, crcs[8]);
            long end = usernameAt + usernames.write(ch, usernameAt, crcs[9]);
            ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            header.putLong(MAGIC).putInt(count)
                    .putInt((servers.overflowed() ? 0 : SERVER_VALID) | (usernames.overflowed() ? 0 : USERNAME_VALID))
                    .putLong(segment.limit()).putInt(servers.size()).putInt(usernames.size())
                    .putLong(serverAt).putLong(usernameAt).putLong(end);
            for (CRC32C crc : crcs) {
                header.putInt((int) crc.getValue());
            }
            header.clear();
            write(ch, header, 0);
            // Not forced: a file cut short or left with holes by a crash fails its checks when opened, and is made again.
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        SegmentColumns columns = open(file, segment.limit(), entryCount);
        if (columns == null) {
            throw new IOException("the column file just written to " + file + " does not check");
        }
        return columns;
    }

    private static void write(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            p += ch.write(buf, p);
        }
    }

    /**
     * Walks a segment's records and writes each entry's offset, fields and ids into the
     * columns, {@link #BUILD_CHUNK} entries at a time: the chunk's part of each column is
     * filled in memory, then written where that column lies in the file (writes through the
     * page cache; filling a fresh mapping instead faults in every page one at a time).
     */
    private static final class Filler {
        private final ByteBuffer seg;
        private final int count;
        private final FileChannel ch;
        private final CRC32C[] crcs;
        private final Dictionary servers;
        private final Dictionary usernames;
        private final ByteBuffer[] columns = new ByteBuffer[8]; // 0-6 int columns, 7 port
        private int chunkStart;

        Filler(ByteBuffer segment, int count, FileChannel ch, CRC32C[] crcs, Dictionary servers, Dictionary usernames) {
            this.seg = segment.duplicate().order(ByteOrder.BIG_ENDIAN);
            this.count = count;
            this.ch = ch;
            this.crcs = crcs;
            this.servers = servers;
            this.usernames = usernames;
            for (int c = 0; c < columns.length; c++) {
                columns[c] = ByteBuffer.allocateDirect((c == 7 ? 2 : 4) * BUILD_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            }
        }

        void fill() throws IOException {
            ByteBuffer seg = this.seg;
            ByteBuffer offsets = columns[0];
            ByteBuffer access = columns[ACCESS_TIME];
            ByteBuffer sent = columns[DATA_SENT];
            ByteBuffer received = columns[DATA_RECEIVED];
            ByteBuffer score = columns[SCORE];
            ByteBuffer serverIds = columns[SERVER_ID];
            ByteBuffer userIds = columns[USERNAME_ID];
            ByteBuffer port = columns[7];
            int end = seg.limit();
            int entry = 0;
            int j = 0; // entry - chunkStart
            int record = 0;
            while (record < end) {
                if (Thread.interrupted()) {
                    throw new InterruptedIOException("interrupted while making a column file");
                }
                int length = seg.getInt(record + RecordFormat.LENGTH_OFFSET);
                int n = RecordFormat.count(seg.getInt(record + RecordFormat.COUNT_OFFSET));
                int p = record + RecordFormat.HEADER_SIZE;
                for (int k = 0; k < n; k++, entry++, j++) {
                    if (entry >= count) {
                        throw new IllegalStateException("segment holds more entries than its count " + count);
                    }
                    if (j == BUILD_CHUNK) {
                        flush(j);
                        j = 0;
                    }
                    long lengths = seg.getLong(p); // the three u16 string lengths, then 2 more bytes
                    int userLen = (int) (lengths >>> 48);
                    int ipLen = (int) (lengths >>> 32) & 0xFFFF;
                    int serverLen = (int) (lengths >>> 16) & 0xFFFF;
                    int strings = p + 6;
                    int fixed = strings + userLen + ipLen + serverLen;
                    offsets.putInt(4 * j, p);
                    port.putShort(2 * j, seg.getShort(fixed + LogEntryCodec.PORT_OFFSET));
                    access.putInt(4 * j, seg.getInt(fixed + LogEntryCodec.ACCESS_TIME_OFFSET));
                    sent.putInt(4 * j, seg.getInt(fixed + LogEntryCodec.DATA_SENT_OFFSET));
                    received.putInt(4 * j, seg.getInt(fixed + LogEntryCodec.DATA_RECEIVED_OFFSET));
                    score.putInt(4 * j, seg.getInt(fixed + LogEntryCodec.SCORE_OFFSET));
                    serverIds.putInt(4 * j, servers.id(seg, strings + userLen + ipLen, serverLen));
                    userIds.putInt(4 * j, usernames.id(seg, strings, userLen));
                    p = fixed + LogEntryCodec.FIXED_SIZE;
                }
                record += length + 4;
            }
            if (entry != count) {
                throw new IllegalStateException("segment holds " + entry + " entries, its count says " + count);
            }
            flush(j);
        }

        /** Writes the first {@code n} entries of each column buffer to their places in the file. */
        private void flush(int n) throws IOException {
            for (int c = 0; c < columns.length; c++) {
                int width = c == 7 ? 2 : 4;
                ByteBuffer b = columns[c].duplicate().position(0).limit(width * n);
                crcs[c].update(b.duplicate());
                write(ch, b, (c == 7 ? portAt(count) : int32At(c, count)) + (long) width * chunkStart);
            }
            chunkStart += n;
        }
    }

    /**
     * The distinct values of one string field while a column file is made: an open-addressing
     * table of ids keyed by a hash of the value's bytes, the values back to back in one array,
     * so that looking an entry's value up allocates nothing.
     */
    private static final class Dictionary {
        private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
        private static final int TABLE = Integer.highestOneBit(MAX_DICTIONARY) * 4; // load factor at most 1/4
        private final int[] table = new int[TABLE]; // id + 1, 0 = empty
        private int[] starts = new int[1024];       // by id: start of its value in bytes
        private byte[] bytes = new byte[16 * 1024]; // values back to back
        private int used;
        private int size;
        private boolean overflowed;

        int id(ByteBuffer seg, int at, int length) {
            if (overflowed) {
                return 0;
            }
            int h = hash(seg, at, length);
            for (int slot = h & (TABLE - 1); ; slot = (slot + 1) & (TABLE - 1)) {
                int e = table[slot];
                if (e == 0) {
                    return add(seg, at, length, slot);
                }
                int id = e - 1;
                int start = starts[id];
                if (starts[id + 1] - start == length && same(seg, at, start, length)) {
                    return id;
                }
            }
        }

        private boolean same(ByteBuffer seg, int at, int start, int length) {
            int i = 0;
            for (; i + 8 <= length; i += 8) {
                if (seg.getLong(at + i) != (long) LONG.get(bytes, start + i)) {
                    return false;
                }
            }
            for (; i < length; i++) {
                if (seg.get(at + i) != bytes[start + i]) {
                    return false;
                }
            }
            return true;
        }

        private static int hash(ByteBuffer seg, int at, int length) {
            long h = length * 0x9E3779B97F4A7C15L;
            int i = 0;
            for (; i + 8 <= length; i += 8) {
                h = (h ^ seg.getLong(at + i)) * 0xBF58476D1CE4E5B9L;
            }
            for (; i < length; i++) {
                h = (h ^ seg.get(at + i)) * 0x94D049BB133111EBL;
            }
            return (int) (h ^ (h >>> 31) ^ (h >>> 47));
        }

        private int add(ByteBuffer seg, int at, int length, int slot) {
            if (size == MAX_DICTIONARY) {
                overflowed = true;
                size = 0;
                used = 0;
                return 0;
            }
            if (size + 2 > starts.length) {
                starts = Arrays.copyOf(starts, starts.length * 2);
            }
            if (used + length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, used + length));
            }
            seg.get(at, bytes, used, length);
            starts[size] = used;
            used += length;
            starts[size + 1] = used;
            table[slot] = ++size;
            return size - 1;
        }

        boolean overflowed() {
            return overflowed;
        }

        int size() {
            return size;
        }

        /** Writes the values at {@code position}, adding them to {@code crc}; returns the bytes written. */
        long write(FileChannel ch, long position, CRC32C crc) throws IOException {
            ByteBuffer out = ByteBuffer.allocate(2 * size + used).order(ByteOrder.LITTLE_ENDIAN);
            for (int id = 0; id < size; id++) {
                out.putShort((short) (starts[id + 1] - starts[id])).put(bytes, starts[id], starts[id + 1] - starts[id]);
            }
            out.flip();
            crc.update(out.duplicate());
            int written = out.remaining();
            SegmentColumns.write(ch, out, position);
            return written;
        }
    }

    // ------------------------------------------------------------------ scans

    /**
     * The criteria of a filter that columns can answer, in a form independent of any segment.
     * Immutable.
     */
    static final class Query {
        static final Query NONE = new Query(List.of());

        private final List<Criterion> criteria;

        private Query(List<Criterion> criteria) {
            this.criteria = criteria;
        }

        static Query of(Filter filter) {
            if (filter == null || filter.matchesAll()) {
                return NONE;
            }
            List<Criterion> usable = new ArrayList<>();
            for (Criterion c : filter.criteria()) {
                if (c instanceof Criterion.NumericCriterion
                        || c.field() == Field.SERVER || c.field() == Field.USERNAME) {
                    usable.add(c);
                }
            }
            return usable.isEmpty() ? NONE : new Query(List.copyOf(usable));
        }

        boolean isEmpty() {
            return criteria.isEmpty();
        }
    }

    /**
     * {@code query} applied to this segment: which columns to test against what, or
     * {@link Plan#isNothing() nothing} if some criterion matches none of its entries.
     * Returns null if no criterion needs a column here (every string value compared is
     * absent with {@code !=}): the scan then takes every entry to the predicate.
     */
    Plan plan(Query query) {
        List<Test> tests = new ArrayList<>();
        for (Criterion c : query.criteria) {
            if (c instanceof Criterion.NumericCriterion n) {
                tests.add(numericTest(n));
                continue;
            }
            Criterion.StringCriterion s = (Criterion.StringCriterion) c;
            boolean server = s.field() == Field.SERVER;
            if ((flags & (server ? SERVER_VALID : USERNAME_VALID)) == 0) {
                continue; // no dictionary here: the predicate decides
            }
            int values = server ? serverValues : usernameValues;
            int id = lookup(server ? serverDictionary : usernameDictionary, values,
                    s.value().getBytes(StandardCharsets.UTF_8));
            boolean everyEntry = id >= 0 && values == 1; // the value of every entry here (one server per segment)
            if (id < 0 || everyEntry) {
                if ((s.op() == Operator.EQ) != everyEntry) {
                    return Plan.NOTHING;
                }
                continue; // true for every entry here
            }
            tests.add(new Test(int32At(server ? SERVER_ID : USERNAME_ID, count), Test.ID, s.op(), id));
        }
        return tests.isEmpty() ? null : new Plan(tests.toArray(new Test[0]));
    }

    private Test numericTest(Criterion.NumericCriterion n) {
        return switch (n.field()) {
            case PORT -> new Test(portAt(count), Test.U16, n.op(), n.value());
            case ACCESS_TIME -> new Test(int32At(ACCESS_TIME, count), Test.U32, n.op(), n.value());
            case DATA_SENT -> new Test(int32At(DATA_SENT, count), Test.U32, n.op(), n.value());
            case DATA_RECEIVED -> new Test(int32At(DATA_RECEIVED, count), Test.U32, n.op(), n.value());
            case SCORE -> new Test(int32At(SCORE, count), Test.F32, n.op(), n.value());
            default -> throw new IllegalArgumentException(n + " is not numeric");
        };
    }

    /** Id of {@code value} in the dictionary at {@code at} of {@code size} values, or -1. */
    private int lookup(int at, int size, byte[] value) {
        int p = at;
        for (int id = 0; id < size; id++) {
            int len = buf.getShort(p) & 0xFFFF;
            if (len == value.length && buf.slice(p + 2, len).equals(ByteBuffer.wrap(value))) {
                return id;
            }
            p += 2 + len;
        }
        return -1;
    }

    /** One criterion against one column. */
    private record Test(int at, int kind, Operator op, double value) {
        static final int U16 = 0;
        static final int U32 = 1;
        static final int F32 = 2;
        static final int ID = 3;
    }

    /** Criteria resolved against one segment's columns (see {@link #plan}). Immutable. */
    static final class Plan {
        static final Plan NOTHING = new Plan(new Test[0]);

        private final Test[] tests;

        private Plan(Test[] tests) {
            this.tests = tests;
        }

        boolean isNothing() {
            return this == NOTHING;
        }
    }

    /**
     * Finds the entries {@code from .. from + n} (indexes in the segment) that pass every test
     * of {@code plan}: writes their positions relative to {@code from} to {@code indexes} and
     * their file offsets in the segment to {@code offsets}, in order; returns how many.
     * Each test is one loop over one column, the first over all {@code n} entries and the
     * others over what is left.
     */
    int select(Plan plan, int from, int n, int[] indexes, int[] offsets) {
        Test[] tests = plan.tests;
        int kept = n;
        for (int t = 0; t < tests.length; t++) {
            kept = t == 0 ? first(tests[0], from, n, indexes) : narrow(tests[t], from, indexes, kept);
            if (kept == 0) {
                return 0;
            }
        }
        ByteBuffer b = buf;
        for (int k = 0; k < kept; k++) {
            offsets[k] = b.getInt(HEADER_SIZE + 4 * (from + indexes[k]));
        }
        return kept;
    }

    private int first(Test test, int from, int n, int[] indexes) {
        ByteBuffer b = buf;
        Operator op = test.op;
        double v = test.value;
        int kept = 0;
        switch (test.kind) {
            case Test.U16 -> {
                int at = test.at + 2 * from;
                for (int i = 0; i < n; i++) {
                    indexes[kept] = i;
                    kept += op.test(b.getShort(at + 2 * i) & 0xFFFF, v) ? 1 : 0;
                }
            }
            case Test.U32 -> {
                int at = test.at + 4 * from;
                for (int i = 0; i < n; i++) {
                    indexes[kept] = i;
                    kept += op.test(b.getInt(at + 4 * i) & 0xFFFF_FFFFL, v) ? 1 : 0;
                }
            }
            case Test.F32 -> {
                int at = test.at + 4 * from;
                for (int i = 0; i < n; i++) {
                    indexes[kept] = i;
                    kept += op.test(b.getFloat(at + 4 * i), v) ? 1 : 0;
                }
            }
            default -> {
                int at = test.at + 4 * from;
                int id = (int) v;
                boolean eq = op == Operator.EQ;
                for (int i = 0; i < n; i++) {
                    indexes[kept] = i;
                    kept += (b.getInt(at + 4 * i) == id) == eq ? 1 : 0;
                }
            }
        }
        return kept;
    }

    private int narrow(Test test, int from, int[] indexes, int n) {
        ByteBuffer b = buf;
        Operator op = test.op;
        double v = test.value;
        int kept = 0;
        for (int k = 0; k < n; k++) {
            int i = indexes[k];
            int e = from + i;
            boolean pass = switch (test.kind) {
                case Test.U16 -> op.test(b.getShort(test.at + 2 * e) & 0xFFFF, v);
                case Test.U32 -> op.test(b.getInt(test.at + 4 * e) & 0xFFFF_FFFFL, v);
                case Test.F32 -> op.test(b.getFloat(test.at + 4 * e), v);
                default -> (b.getInt(test.at + 4 * e) == (int) v) == (op == Operator.EQ);
            };
            indexes[kept] = i;
            kept += pass ? 1 : 0;
        }
        return kept;
    }

    /** Unmaps the file; only once nothing reads it (the segment's last release). */
    void close() {
        Unmapper.unmap(map);
    }

    @Override
    public String toString() {
        return "SegmentColumns[" + path.getFileName() + ", " + count + " entries]";
    }
}
