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
 * 24      4     count           u32: entries in the batch, at least 1; bit 31 = {@link #BATCH_TRAILER_FLAG}
 * 28      n     entries         count entries in wire encoding (PROTOCOL.md section 3), byte for byte
 * 28+n    32    batch trailer   only with the flag: u64+u64 batchId, u64+u64 digest (UPLOAD_ONCE)
 * </pre>
 *
 * <p>The batch trailer (written for UPLOAD_ONCE batches, PROTOCOL.md 6.2) keeps the batch id
 * and the body digest with the batch itself, under the same CRC, so that a batch and the
 * knowledge that it was stored can never be separated by a crash. Records without the flag are
 * exactly the records of stores written before it existed, so old stores open unchanged; the
 * count's bit 31 was always 0 there (a record holds far fewer than 2^31 entries). Readers mask
 * the count with {@link #COUNT_MASK} and take the entries to end {@link #trailerSize} bytes
 * before the record.
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
    static final int MAX_ENTRIES_BYTES = (1 << 30) - HEADER_SIZE - 32;
    /** Bit of the count field: the record ends with a {@link #TRAILER_SIZE}-byte batch trailer. */
    static final int BATCH_TRAILER_FLAG = 0x8000_0000;
    /** The count bits of the count field. */
    static final int COUNT_MASK = 0x7FFF_FFFF;
    /** batchId (16 bytes) and body digest (16 bytes). */
    static final int TRAILER_SIZE = 32;

    private RecordFormat() {
    }

    /**
     * Writes a header for {@code entriesBytes} bytes of entries into {@code header}
     * (positions 0..27, absolute) with the CRC of the header fields only; finish the CRC with
     * {@link #crcOfHeaderFields} continued over the entries, then {@link #putCrc}.
     */
    static void putHeaderFields(ByteBuffer header, long firstSequence, long appendTime, int count,
                                int entriesBytes) {
        putHeaderFields(header, firstSequence, appendTime, count, entriesBytes, false);
    }

    /** As above; with {@code trailer} the record gets a batch trailer after its entries. */
    static void putHeaderFields(ByteBuffer header, long firstSequence, long appendTime, int count,
                                int entriesBytes, boolean trailer) {
        header.putInt(LENGTH_OFFSET, LENGTH_OVERHEAD + entriesBytes + (trailer ? TRAILER_SIZE : 0));
        header.putLong(FIRST_SEQUENCE_OFFSET, firstSequence);
        header.putLong(APPEND_TIME_OFFSET, appendTime);
        header.putInt(COUNT_OFFSET, trailer ? count | BATCH_TRAILER_FLAG : count);
    }

    /** Writes a batch trailer at positions 0..31 of {@code trailer} (absolute). */
    static void putTrailer(ByteBuffer trailer, long idHigh, long idLow, long digestHigh, long digestLow) {
        trailer.putLong(0, idHigh);
        trailer.putLong(8, idLow);
        trailer.putLong(16, digestHigh);
        trailer.putLong(24, digestLow);
    }

    /** The entry count of a raw count field. */
    static int count(int countField) {
        return countField & COUNT_MASK;
    }

    /** Bytes after the entries of a record with this raw count field. */
    static int trailerSize(int countField) {
        return (countField & BATCH_TRAILER_FLAG) != 0 ? TRAILER_SIZE : 0;
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

    /** Record size on disk for {@code entriesBytes} bytes of entries, with or without a trailer. */
    static long recordSize(int entriesBytes, boolean trailer) {
        return (long) HEADER_SIZE + entriesBytes + (trailer ? TRAILER_SIZE : 0);
    }
}
