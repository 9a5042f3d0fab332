package io.logwire.server.store.clickhouse;

import io.logwire.protocol.entry.LogEntryCodec;
import io.netty.buffer.ByteBuf;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * ClickHouse's {@code RowBinary} format for the store's rows: integers and floats
 * little-endian, strings as a LEB128 length and the bytes. Rows are written straight from
 * entries in wire encoding (PROTOCOL.md section 3, big-endian) and read back into it, so
 * neither direction creates objects per entry.
 */
final class RowBinary {
    private RowBinary() {
    }

    /**
     * Appends the {@code count} well-formed entries at the reader index of {@code entries} as rows
     * {@code (seq, batch, username, ip, port, accessTime, dataSent, dataReceived, score, server)},
     * numbered from {@code firstSequence}. Does not move the reader index.
     */
    static void writeRows(ByteBuf entries, int count, long firstSequence, byte[] batch, ByteBuf out) {
        int p = entries.readerIndex();
        for (int k = 0; k < count; k++) {
            int u = entries.getUnsignedShort(p);
            int i = entries.getUnsignedShort(p + 2);
            int s = entries.getUnsignedShort(p + 4);
            int strings = p + LogEntryCodec.LENGTHS_SIZE;
            int fixed = strings + u + i + s;
            out.writeLongLE(firstSequence + k);
            writeVarInt(out, batch.length);
            out.writeBytes(batch);
            writeString(out, entries, strings, u);
            writeString(out, entries, strings + u, i);
            out.writeShortLE(entries.getUnsignedShort(fixed + LogEntryCodec.PORT_OFFSET));
            out.writeIntLE(entries.getInt(fixed + LogEntryCodec.ACCESS_TIME_OFFSET));
            out.writeIntLE(entries.getInt(fixed + LogEntryCodec.DATA_SENT_OFFSET));
            out.writeIntLE(entries.getInt(fixed + LogEntryCodec.DATA_RECEIVED_OFFSET));
            out.writeIntLE(entries.getInt(fixed + LogEntryCodec.SCORE_OFFSET));
            writeString(out, entries, strings + u + i, s);
            p = fixed + LogEntryCodec.FIXED_SIZE;
        }
    }

    private static void writeString(ByteBuf out, ByteBuf src, int index, int length) {
        writeVarInt(out, length);
        out.writeBytes(src, index, length);
    }

    static void writeVarInt(ByteBuf out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    /** How ClickHouse's error text starts ("Code: 395, e.displayText() = ..."). */
    private static final byte[] ERROR_PREFIX = "Code: ".getBytes(StandardCharsets.US_ASCII);

    private static boolean startsWith(byte[] a, byte[] prefix) {
        for (int k = 0; k < prefix.length; k++) {
            if (a[k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    /** Reads rows {@code (seq, username, ip, port, accessTime, dataSent, dataReceived, score, server)}. */
    static final class Reader {
        private final InputStream in;
        private final byte[] scratch = new byte[LogEntryCodec.MAX_STRING_BYTES];
        private long sequence;
        private boolean started;

        Reader(InputStream in) {
            this.in = in;
        }

        /** Sequence of the row last read. */
        long sequence() {
            return sequence;
        }

        /**
         * Reads the next row and writes its entry, in wire encoding, to {@code out} (cleared first).
         *
         * @return false at the end of the stream (between rows)
         * @throws IOException if the stream ends inside a row or holds something that is no row
         *                     of this table (e.g. an error ClickHouse appended mid-stream)
         */
        boolean next(ByteBuf out) throws IOException {
            int first = in.read();
            if (first < 0) {
                return false;
            }
            scratch[0] = (byte) first;
            readFully(1, 8);
            if (startsWith(scratch, ERROR_PREFIX)) {
                // ClickHouse reports an error that happens after the first bytes were sent by
                // appending its text to the body (status 200 was already sent).
                byte[] rest = in.readNBytes(2000);
                throw new IOException("ClickHouse failed during the query: " + new String(scratch, 0, 8,
                        StandardCharsets.UTF_8) + new String(rest, StandardCharsets.UTF_8).strip());
            }
            long seq = 0;
            for (int k = 7; k >= 0; k--) {
                seq = (seq << 8) | (scratch[k] & 0xFF);
            }
            if (started && Long.compareUnsigned(seq, sequence) < 0) {
                throw new IOException("result rows out of sequence order (" + seq + " after " + sequence
                        + "): the stream is corrupt");
            }
            started = true;
            sequence = seq;
            out.clear();
            out.writerIndex(LogEntryCodec.LENGTHS_SIZE);
            int u = readString(out);
            int i = readString(out);
            int port = (int) readLE(2);
            long accessTime = readLE(4);
            long dataSent = readLE(4);
            long dataReceived = readLE(4);
            int scoreBits = (int) readLE(4);
            int s = readString(out);
            out.setShort(0, u);
            out.setShort(2, i);
            out.setShort(4, s);
            out.writeShort(port);
            out.writeInt((int) accessTime);
            out.writeInt((int) dataSent);
            out.writeInt((int) dataReceived);
            out.writeInt(scoreBits);
            return true;
        }

        private int readString(ByteBuf out) throws IOException {
            long length = 0;
            for (int shift = 0; ; shift += 7) {
                int b = readByte();
                length |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
                if (shift > 28) {
                    throw new IOException("malformed RowBinary string length");
                }
            }
            if (length > LogEntryCodec.MAX_STRING_BYTES) {
                throw new IOException("RowBinary string of " + length + " bytes is longer than any entry field: "
                        + "the result stream is corrupt or carries a ClickHouse error");
            }
            readFully((int) length);
            out.writeBytes(scratch, 0, (int) length);
            return (int) length;
        }

        private long readLE(int bytes) throws IOException {
            readFully(bytes);
            long v = 0;
            for (int k = bytes - 1; k >= 0; k--) {
                v = (v << 8) | (scratch[k] & 0xFF);
            }
            return v;
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("result stream ended inside a row");
            }
            return b;
        }

        private void readFully(int n) throws IOException {
            readFully(0, n);
        }

        /** Fills {@code scratch[off, end)}. */
        private void readFully(int off, int end) throws IOException {
            while (off < end) {
                int r = in.read(scratch, off, end - off);
                if (r < 0) {
                    throw new EOFException("result stream ended inside a row");
                }
                off += r;
            }
        }
    }
}
