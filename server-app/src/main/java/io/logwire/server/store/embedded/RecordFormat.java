package io.logwire.server.store.embedded;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The layout of one record of a segment file: one UPLOAD batch, so that a batch is atomic on
 * recovery (a torn or corrupt record is dropped whole). Big-endian, like the wire.
 *
 * <pre>
 * offset  size  field
 * 0       4     length          u32: bytes after this field = 24 + n
 * 4       4     crc             u32: CRC32C of bytes [8, 4 + length): everything after this field
 * 8       8     firstSequence   u64: store sequence of the first entry
 * 16      8     appendTime      u64: store clock, epoch milliseconds, when the batch was written
 * 24      4     count           u32: entries in the batch, at least 1
 * 28      n     entries         count entries in wire encoding (PROTOCOL.md section 3), byte for byte
 * </pre>
 *
 * A segment file is nothing but records back to back, the first one's {@code firstSequence}
 * being the base sequence in the file's name; each record's {@code firstSequence} is the
 * previous one's plus its count. Stateless and thread-safe.
 */
final class RecordFormat {
    static final int LENGTH_OFFSET = 0;
    static final int CRC_OFFSET = 4;
    static final int FIRST_SEQUENCE_OFFSET = 8;
    static final int APPEND_TIME_OFFSET = 16;
    static final int COUNT_OFFSET = 24;
    static final int HEADER_SIZE = 28;
    /** Bytes covered by {@code length} besides the entries. */
    static final int LENGTH_OVERHEAD = HEADER_SIZE - 4;
    /** Where the CRC-covered bytes start. */
    static final int CRC_START = FIRST_SEQUENCE_OFFSET;
    /**
     * Largest entries part of one record. With segments of at most
     * {@link EmbeddedStoreConfig#MAX_SEGMENT_BYTES} a segment file stays under 2 GiB, so it can
     * be mapped whole and addressed with ints.
     */
    static final int MAX_ENTRIES_BYTES = (1 << 30) - HEADER_SIZE;

    private RecordFormat() {
    }

    /**
     * Writes a header for {@code entriesBytes} bytes of entries into {@code header}
     * (positions 0..27, absolute) with the CRC of the header fields only; finish the CRC with
     * {@link #crcOfHeaderFields} continued over the entries, then {@link #putCrc}.
     */
    static void putHeaderFields(ByteBuffer header, long firstSequence, long appendTime, int count,
                                int entriesBytes) {
        header.putInt(LENGTH_OFFSET, LENGTH_OVERHEAD + entriesBytes);
        header.putLong(FIRST_SEQUENCE_OFFSET, firstSequence);
        header.putLong(APPEND_TIME_OFFSET, appendTime);
        header.putInt(COUNT_OFFSET, count);
    }

    /** Starts {@code crc} over the CRC-covered header fields of {@code header}. */
    static void crcOfHeaderFields(CRC32C crc, ByteBuffer header) {
        crc.reset();
        crc.update(header.slice(CRC_START, HEADER_SIZE - CRC_START));
    }

    static void putCrc(ByteBuffer header, CRC32C crc) {
        header.putInt(CRC_OFFSET, (int) crc.getValue());
    }

    /** Record size on disk for {@code entriesBytes} bytes of entries. */
    static long recordSize(int entriesBytes) {
        return (long) HEADER_SIZE + entriesBytes;
    }
}
