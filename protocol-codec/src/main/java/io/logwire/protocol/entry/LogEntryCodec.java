package io.logwire.protocol.entry;

import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link LogEntry} (PROTOCOL.md section 3), the tutorial's
 * {@code struct} format {@code !HHH{u}s{i}s{s}sHIIIf}:
 *
 * <pre>
 * u16 usernameLength  u16 ipLength  u16 serverLength
 * username bytes      IP bytes      server bytes       (strict UTF-8)
 * u16 port  u32 accessTime  u32 dataSent  u32 dataReceived  f32 score (finite)
 * </pre>
 *
 * <p>Besides encoding and decoding objects it reads fields of encoded entries in place, and
 * validates whole batches without creating objects, so the server can store what it
 * received byte for byte. All methods are static and thread-safe.
 */
public final class LogEntryCodec {
    /** The three string lengths. */
    public static final int LENGTHS_SIZE = 6;
    /** port, accessTime, dataSent, dataReceived, score. */
    public static final int FIXED_SIZE = 18;
    /** Bytes of an entry besides its strings. */
    public static final int OVERHEAD = LENGTHS_SIZE + FIXED_SIZE;
    /** Longest string, in UTF-8 bytes. */
    public static final int MAX_STRING_BYTES = 0xFFFF;

    // Offsets inside the fixed part.
    public static final int PORT_OFFSET = 0;
    public static final int ACCESS_TIME_OFFSET = 2;
    public static final int DATA_SENT_OFFSET = 6;
    public static final int DATA_RECEIVED_OFFSET = 10;
    public static final int SCORE_OFFSET = 14;

    private static final int EXPONENT_MASK = 0x7F80_0000;
    private static final long ASCII_MASK = 0x8080_8080_8080_8080L;
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private LogEntryCodec() {
    }

    /**
     * Size of {@code e} once encoded.
     *
     * @throws IllegalArgumentException if a string is over 65,535 UTF-8 bytes or holds an
     *                                  unpaired surrogate
     */
    public static int encodedSize(LogEntry e) {
        return OVERHEAD + stringBytes("username", e.username()) + stringBytes("IP", e.ip())
                + stringBytes("server", e.server());
    }

    /**
     * Appends {@code e} to {@code out}.
     *
     * @throws IllegalArgumentException if a string is over 65,535 UTF-8 bytes or holds an
     *                                  unpaired surrogate; nothing is written then
     */
    public static void encode(LogEntry e, ByteBuf out) {
        int u = stringBytes("username", e.username());
        int i = stringBytes("IP", e.ip());
        int s = stringBytes("server", e.server());
        int length = OVERHEAD + u + i + s;
        out.ensureWritable(length);
        int w = out.writerIndex();
        // The entry is laid out in a byte array, then handed to the buffer in one call:
        // Netty checks bounds and liveness on every write, which cost more than the bytes.
        if (out.hasArray()) {
            put(e, u, i, s, out.array(), out.arrayOffset() + w);
        } else {
            byte[] bytes = new byte[length];
            put(e, u, i, s, bytes, 0);
            out.setBytes(w, bytes);
        }
        out.writerIndex(w + length);
    }

    /** Lays out {@code e}, whose strings have {@code u, i, s} UTF-8 bytes, at {@code a[p]}. */
    private static void put(LogEntry e, int u, int i, int s, byte[] a, int p) {
        SHORT.set(a, p, (short) u);
        SHORT.set(a, p + 2, (short) i);
        SHORT.set(a, p + 4, (short) s);
        p += LENGTHS_SIZE;
        putString(e.username(), u, a, p);
        p += u;
        putString(e.ip(), i, a, p);
        p += i;
        putString(e.server(), s, a, p);
        p += s;
        SHORT.set(a, p + PORT_OFFSET, (short) e.port());
        INT.set(a, p + ACCESS_TIME_OFFSET, (int) e.accessTime());
        INT.set(a, p + DATA_SENT_OFFSET, (int) e.dataSent());
        INT.set(a, p + DATA_RECEIVED_OFFSET, (int) e.dataReceived());
        INT.set(a, p + SCORE_OFFSET, Float.floatToRawIntBits(e.score()));
    }

    /** Writes {@code value}, {@code bytes} long in UTF-8 and free of unpaired surrogates. */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): exact for ASCII
    private static void putString(String value, int bytes, byte[] a, int p) {
        if (bytes == value.length()) {
            // Every char took one byte, so all are ASCII (encodedLength refused unpaired
            // surrogates): the low bytes of the chars are the UTF-8, copied in bulk.
            value.getBytes(0, bytes, a, p);
        } else {
            System.arraycopy(value.getBytes(StandardCharsets.UTF_8), 0, a, p, bytes);
        }
    }

    /** Appends every entry of {@code entries} to {@code out}. */
    public static void encodeAll(Iterable<LogEntry> entries, ByteBuf out) {
        for (LogEntry e : entries) {
            encode(e, out);
        }
    }

    private static int stringBytes(String field, String value) {
        int n = Utf8.encodedLength(value);
        if (n > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(field + " is " + n + " bytes of UTF-8; the protocol allows at most "
                    + MAX_STRING_BYTES + " (it is refused, never truncated)");
        }
        return n;
    }

    /**
     * Length of the entry starting at {@code offset} if the {@code limit - offset} bytes there
     * hold it whole, else -1 (the structure only: strings and score are not checked).
     */
    public static int entryLength(ByteBuf buf, int offset, int limit) {
        if (limit - offset < LENGTHS_SIZE) {
            return -1;
        }
        int length = OVERHEAD + buf.getUnsignedShort(offset) + buf.getUnsignedShort(offset + 2)
                + buf.getUnsignedShort(offset + 4);
        return length <= limit - offset ? length : -1;
    }

    /** Length of the well-formed entry at {@code offset}. */
    public static int entryLength(ByteBuf buf, int offset) {
        // One 8-byte read (an entry has at least 24 bytes) instead of three 2-byte ones.
        long lengths = buf.getLong(offset);
        return OVERHEAD + (int) (lengths >>> 48) + ((int) (lengths >>> 32) & 0xFFFF) + ((int) (lengths >>> 16) & 0xFFFF);
    }

    /** Offset of the fixed fields (port first) of the entry at {@code offset}. */
    public static int fixedOffset(ByteBuf buf, int offset) {
        return offset + LENGTHS_SIZE + buf.getUnsignedShort(offset) + buf.getUnsignedShort(offset + 2)
                + buf.getUnsignedShort(offset + 4);
    }

    /**
     * Checks one entry in place: whole, strings well-formed UTF-8, score finite.
     *
     * @return the entry's length
     * @throws MalformedEntryException (index -1) naming the problem
     */
    public static int validate(ByteBuf buf, int offset, int limit) {
        if (limit - offset < LENGTHS_SIZE) {
            throw new MalformedEntryException(-1, "truncated: " + (limit - offset)
                    + " bytes left, the string lengths alone need " + LENGTHS_SIZE);
        }
        int u = buf.getUnsignedShort(offset);
        int i = buf.getUnsignedShort(offset + 2);
        int s = buf.getUnsignedShort(offset + 4);
        int length = OVERHEAD + u + i + s;
        if (length > limit - offset) {
            throw new MalformedEntryException(-1, "truncated: needs " + length + " bytes, "
                    + (limit - offset) + " left");
        }
        int p = offset + LENGTHS_SIZE;
        if (!Utf8.isValid(buf, p, u)) {
            throw new MalformedEntryException(-1, "username is not valid UTF-8");
        }
        p += u;
        if (!Utf8.isValid(buf, p, i)) {
            throw new MalformedEntryException(-1, "IP is not valid UTF-8");
        }
        p += i;
        if (!Utf8.isValid(buf, p, s)) {
            throw new MalformedEntryException(-1, "server is not valid UTF-8");
        }
        p += s;
        int scoreBits = buf.getInt(p + SCORE_OFFSET);
        if ((scoreBits & EXPONENT_MASK) == EXPONENT_MASK) {
            throw new MalformedEntryException(-1, "score is " + Float.intBitsToFloat(scoreBits) + "; it must be finite");
        }
        return length;
    }

    /**
     * Checks that the {@code length} bytes at {@code offset} are exactly {@code count}
     * well-formed entries, without creating objects.
     *
     * @throws MalformedEntryException naming the zero-based index of the first entry that
     *                                 cannot be decoded ({@code count} for bytes left over)
     */
    public static void validateBatch(ByteBuf buf, int offset, int length, long count) {
        int limit = offset + length;
        int p = offset;
        long n = 0;
        ByteBuffer view = count > 0 ? view(buf, offset, length) : null;
        while (n < count) {
            if (view != null) {
                // Fast path: every entry whose strings are all ASCII and whose score is finite;
                // it stops at the first entry it cannot prove well-formed, which the exact
                // check below then validates (or reports).
                int q = p - offset;
                while (n < count) {
                    int len = asciiEntryLength(view, q, length);
                    if (len < 0) {
                        break;
                    }
                    q += len;
                    n++;
                }
                p = offset + q;
                if (n == count) {
                    break;
                }
            }
            try {
                p += validate(buf, p, limit);
            } catch (MalformedEntryException e) {
                throw e.atIndex(n);
            }
            n++;
        }
        if (p != limit) {
            throw new MalformedEntryException(count, (limit - p) + " bytes left over after the last of "
                    + count + " entries");
        }
    }

    /**
     * A big-endian view of {@code length} bytes at {@code offset} whose index 0 is
     * {@code offset}, or {@code null} where there is none without copying (a composite
     * buffer) or the range is not inside the buffer (the exact path then reports it). One
     * bounds check per access through a JIT-friendly {@link ByteBuffer} is much cheaper than
     * Netty's per-access reference-count and bounds checks, twice over for a slice.
     */
    private static ByteBuffer view(ByteBuf buf, int offset, int length) {
        if (length < OVERHEAD || offset < 0 || offset > buf.capacity() - length || buf.nioBufferCount() != 1) {
            return null;
        }
        return buf.nioBuffer(offset, length).slice().order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * Length of the entry at {@code q} of {@code view} if it is whole, its strings are all
     * ASCII (hence well-formed UTF-8) and its score finite; else -1 (unproven, not invalid).
     */
    private static int asciiEntryLength(ByteBuffer view, int q, int limit) {
        if (limit - q < OVERHEAD) {
            return -1;
        }
        long lengths = view.getLong(q); // u16 u16 u16, then 2 bytes of whatever follows
        int strings = (int) (lengths >>> 48) + ((int) (lengths >>> 32) & 0xFFFF) + ((int) (lengths >>> 16) & 0xFFFF);
        int length = OVERHEAD + strings;
        if (length > limit - q) {
            return -1;
        }
        // The three strings are contiguous: check them in 8-byte words. The last word may
        // reach up to 7 bytes into the 18 fixed bytes that follow; those are masked off.
        int p = q + LENGTHS_SIZE;
        int end = p + strings;
        long bits = 0;
        for (; end - p > 8; p += 8) {
            bits |= view.getLong(p);
        }
        if (p < end) {
            bits |= view.getLong(p) & (-1L << ((8 - (end - p)) << 3));
        }
        if ((bits & ASCII_MASK) != 0 || (view.getInt(end + SCORE_OFFSET) & EXPONENT_MASK) == EXPONENT_MASK) {
            return -1;
        }
        return length;
    }

    /**
     * Decodes the entry at {@code buf}'s reader index and advances past it.
     *
     * @throws MalformedEntryException (index -1) if it is not a well-formed entry; the reader
     *                                 index is then unchanged
     */
    public static LogEntry decode(ByteBuf buf) {
        int offset = buf.readerIndex();
        int length = validate(buf, offset, buf.writerIndex());
        LogEntry e = decodeValid(buf, offset);
        buf.readerIndex(offset + length);
        return e;
    }

    /** Decodes an entry at {@code offset} that is known to be well-formed (validated before). */
    public static LogEntry decodeValid(ByteBuf buf, int offset) {
        return decodeValid(buf, offset, null);
    }

    /**
     * {@link #decodeValid(ByteBuf, int)}; {@code scratch}, if not null, holds an array to
     * copy strings through, replaced by a larger one when too small.
     */
    private static LogEntry decodeValid(ByteBuf buf, int offset, byte[][] scratch) {
        // A well-formed entry has at least 24 bytes, so both 8-byte reads stay inside it;
        // fewer, wider reads pay Netty's per-access checks fewer times.
        long lengths = buf.getLong(offset); // u16 u16 u16, then 2 bytes of the first string or port
        int u = (int) (lengths >>> 48);
        int i = (int) (lengths >>> 32) & 0xFFFF;
        int s = (int) (lengths >>> 16) & 0xFFFF;
        int p = offset + LENGTHS_SIZE;
        int n = u + i + s;
        String username;
        String ip;
        String server;
        if (buf.hasArray()) {
            // The getLong above checked that the buffer is live; check the strings' range
            // before reading the backing array directly.
            if (n > buf.capacity() - p) {
                throw new IndexOutOfBoundsException("strings at " + p + ", " + n + " bytes, capacity "
                        + buf.capacity());
            }
            byte[] array = buf.array();
            int base = buf.arrayOffset() + p;
            username = string(array, base, u);
            ip = string(array, base + u, i);
            server = string(array, base + u + i, s);
        } else {
            // One copy of the three contiguous strings instead of one per string.
            byte[] bytes;
            if (scratch == null) {
                bytes = new byte[n];
            } else {
                if (scratch[0].length < n) {
                    scratch[0] = new byte[Math.max(n, 2 * scratch[0].length)];
                }
                bytes = scratch[0];
            }
            buf.getBytes(p, bytes, 0, n);
            username = string(bytes, 0, u);
            ip = string(bytes, u, i);
            server = string(bytes, u + i, s);
        }
        p += n;
        long times = buf.getLong(p + ACCESS_TIME_OFFSET); // accessTime, dataSent
        long rest = buf.getLong(p + DATA_RECEIVED_OFFSET); // dataReceived, score
        return new LogEntry(username, ip, buf.getUnsignedShort(p + PORT_OFFSET), times >>> 32, times & 0xFFFF_FFFFL,
                rest >>> 32, Float.intBitsToFloat((int) rest), server);
    }

    private static String string(byte[] bytes, int index, int length) {
        return length == 0 ? "" : new String(bytes, index, length, StandardCharsets.UTF_8);
    }

    /**
     * Decodes exactly {@code count} entries from the readable bytes of {@code buf}, which
     * must hold nothing else. The reader index is not moved.
     *
     * @throws MalformedEntryException naming the first bad entry
     */
    public static List<LogEntry> decodeBatch(ByteBuf buf, int count) {
        int offset = buf.readerIndex();
        int length = buf.readableBytes();
        validateBatch(buf, offset, length, count);
        List<LogEntry> out = new ArrayList<>(count);
        // Strings are built from byte arrays: without one to read from, copy each entry's
        // strings into one array reused for the whole batch.
        byte[][] scratch = buf.hasArray() ? null : new byte[][] {new byte[256]};
        int p = offset;
        for (int n = 0; n < count; n++) {
            out.add(decodeValid(buf, p, scratch));
            p += entryLength(buf, p);
        }
        return out;
    }
}
