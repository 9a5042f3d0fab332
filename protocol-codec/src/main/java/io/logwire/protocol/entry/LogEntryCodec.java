package io.logwire.protocol.entry;

import io.netty.buffer.ByteBuf;

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
        out.ensureWritable(OVERHEAD + u + i + s);
        out.writeShort(u).writeShort(i).writeShort(s);
        Utf8.write(out, e.username());
        Utf8.write(out, e.ip());
        Utf8.write(out, e.server());
        out.writeShort(e.port())
                .writeInt((int) e.accessTime())
                .writeInt((int) e.dataSent())
                .writeInt((int) e.dataReceived())
                .writeFloat(e.score());
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
        return OVERHEAD + buf.getUnsignedShort(offset) + buf.getUnsignedShort(offset + 2)
                + buf.getUnsignedShort(offset + 4);
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
        for (long n = 0; n < count; n++) {
            try {
                p += validate(buf, p, limit);
            } catch (MalformedEntryException e) {
                throw e.atIndex(n);
            }
        }
        if (p != limit) {
            throw new MalformedEntryException(count, (limit - p) + " bytes left over after the last of "
                    + count + " entries");
        }
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
        int u = buf.getUnsignedShort(offset);
        int i = buf.getUnsignedShort(offset + 2);
        int s = buf.getUnsignedShort(offset + 4);
        int p = offset + LENGTHS_SIZE;
        String username = string(buf, p, u);
        p += u;
        String ip = string(buf, p, i);
        p += i;
        String server = string(buf, p, s);
        p += s;
        return new LogEntry(username, ip, buf.getUnsignedShort(p + PORT_OFFSET),
                buf.getUnsignedInt(p + ACCESS_TIME_OFFSET), buf.getUnsignedInt(p + DATA_SENT_OFFSET),
                buf.getUnsignedInt(p + DATA_RECEIVED_OFFSET), buf.getFloat(p + SCORE_OFFSET), server);
    }

    private static String string(ByteBuf buf, int index, int length) {
        return length == 0 ? "" : buf.toString(index, length, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Decodes exactly {@code count} entries from the readable bytes of {@code buf}, which
     * must hold nothing else. The reader index is not moved.
     *
     * @throws MalformedEntryException naming the first bad entry
     */
    public static List<LogEntry> decodeBatch(ByteBuf buf, int count) {
        int offset = buf.readerIndex();
        validateBatch(buf, offset, buf.readableBytes(), count);
        List<LogEntry> out = new ArrayList<>(count);
        int p = offset;
        for (int n = 0; n < count; n++) {
            out.add(decodeValid(buf, p));
            p += entryLength(buf, p);
        }
        return out;
    }
}
