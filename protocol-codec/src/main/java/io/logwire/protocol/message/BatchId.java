package io.logwire.protocol.message;

import io.netty.buffer.ByteBuf;

import java.util.HexFormat;
import java.util.UUID;

/**
 * The 16-byte batch id of UPLOAD_ONCE (PROTOCOL.md 6.2), as two big-endian longs so that it
 * is cheap to hash and compare. An all-zero id is not a valid batch id on the wire; it can
 * still be built here so that a decoder can name it in its error.
 *
 * @param high the first 8 bytes, big-endian
 * @param low  the last 8 bytes, big-endian
 */
public record BatchId(long high, long low) {
    /** Size on the wire. */
    public static final int SIZE = 16;

    /** A fresh random id (a version-4 UUID, as the protocol suggests). */
    public static BatchId random() {
        return of(UUID.randomUUID());
    }

    /** The id with these two halves. */
    public static BatchId of(long high, long low) {
        return new BatchId(high, low);
    }

    /** The id with the bytes of {@code uuid}. */
    public static BatchId of(UUID uuid) {
        return new BatchId(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    /** Parses 32 hex digits (case-insensitive). */
    public static BatchId parse(String hex) {
        if (hex.length() != 2 * SIZE) {
            throw new IllegalArgumentException("a batch id is 32 hex digits: '" + hex + "'");
        }
        return new BatchId(HexFormat.fromHexDigitsToLong(hex, 0, 16), HexFormat.fromHexDigitsToLong(hex, 16, 32));
    }

    /** Reads the 16 bytes at {@code index} without moving the reader index. */
    public static BatchId read(ByteBuf buf, int index) {
        return new BatchId(buf.getLong(index), buf.getLong(index + 8));
    }

    /** Appends the 16 bytes. */
    public void write(ByteBuf out) {
        out.writeLong(high).writeLong(low);
    }

    /** The 16 bytes. */
    public byte[] toBytes() {
        byte[] b = new byte[SIZE];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }

    /** Whether all 16 bytes are zero (refused on the wire). */
    public boolean isZero() {
        return high == 0 && low == 0;
    }

    /** 32 lower-case hex digits. */
    @Override
    public String toString() {
        return HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low);
    }
}
