package io.logwire.protocol.entry;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of {@link SeqEntry} (PROTOCOL.md 6.3): {@code u64 sequence}, then an Entry
 * exactly as {@link LogEntryCodec} lays it out. The server builds SEQ_ROWS bodies with
 * {@link #write(ByteBuf, long, ByteBuf, int, int)} straight from stored entry bytes; the client
 * validates them with {@link #validateBatch} and decodes them with {@link #decodeBatch}.
 */
public final class SeqEntryCodec {
    /** Size of the sequence number in front of each entry. */
    public static final int SEQUENCE_SIZE = 8;

    private SeqEntryCodec() {
    }

    /** Bytes one row takes: the sequence plus the entry's length. */
    public static int rowSize(int entryLength) {
        return SEQUENCE_SIZE + entryLength;
    }

    /**
     * Appends one row: {@code sequence}, then the {@code length} bytes of an already encoded
     * entry at {@code offset} of {@code entry} (copied as they are, not re-validated).
     */
    public static void write(ByteBuf out, long sequence, ByteBuf entry, int offset, int length) {
        out.ensureWritable(SEQUENCE_SIZE + length);
        out.writeLong(sequence);
        out.writeBytes(entry, offset, length);
    }

    /** Appends one row encoding {@code row}. */
    public static void encode(SeqEntry row, ByteBuf out) {
        out.writeLong(row.sequence());
        LogEntryCodec.encode(row.entry(), out);
    }

    /** Appends every row of {@code rows}. */
    public static void encodeAll(Iterable<SeqEntry> rows, ByteBuf out) {
        for (SeqEntry row : rows) {
            encode(row, out);
        }
    }

    /**
     * Checks that the {@code length} bytes at {@code offset} are exactly {@code count}
     * well-formed rows.
     *
     * @throws MalformedEntryException naming the zero-based index of the first row that
     *                                 cannot be decoded ({@code count} for bytes left over)
     */
    public static void validateBatch(ByteBuf buf, int offset, int length, long count) {
        int limit = offset + length;
        int p = offset;
        for (long n = 0; n < count; n++) {
            if (limit - p < SEQUENCE_SIZE) {
                throw new MalformedEntryException(n, "truncated: " + (limit - p)
                        + " bytes left, the sequence number alone needs " + SEQUENCE_SIZE);
            }
            try {
                p += SEQUENCE_SIZE + LogEntryCodec.validate(buf, p + SEQUENCE_SIZE, limit);
            } catch (MalformedEntryException e) {
                throw e.atIndex(n);
            }
        }
        if (p != limit) {
            throw new MalformedEntryException(count, (limit - p) + " bytes left over after the last of "
                    + count + " rows");
        }
    }

    /**
     * Decodes exactly {@code count} rows from the readable bytes of {@code buf}, which must
     * hold nothing else. The reader index is not moved.
     *
     * @throws MalformedEntryException naming the first bad row
     */
    public static List<SeqEntry> decodeBatch(ByteBuf buf, int count) {
        validateBatch(buf, buf.readerIndex(), buf.readableBytes(), count);
        List<SeqEntry> rows = new ArrayList<>(count);
        int p = buf.readerIndex();
        for (int n = 0; n < count; n++) {
            long sequence = buf.getLong(p);
            p += SEQUENCE_SIZE;
            rows.add(new SeqEntry(sequence, LogEntryCodec.decodeValid(buf, p)));
            p += LogEntryCodec.entryLength(buf, p);
        }
        return rows;
    }
}
