package io.logwire.server.store;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The digest UPLOAD_ONCE compares to tell a retry of a batch from a different batch under a
 * reused id (PROTOCOL.md 6.2): the first 128 bits of SHA-256 over {@code u32 count} and the
 * entries' wire bytes. 128 bits make an accidental match of two different bodies negligible;
 * it guards against client bugs, not against an attacker who controls the batch id anyway.
 *
 * @param high the digest's first 8 bytes, big-endian
 * @param low  its next 8 bytes
 */
public record BatchDigest(long high, long low) {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    });

    /** The digest of a batch of {@code count} entries; {@code entries} is read, not consumed. */
    public static BatchDigest of(ByteBuf entries, int count) {
        MessageDigest md = SHA256.get();
        md.reset();
        md.update(new byte[] {(byte) (count >>> 24), (byte) (count >>> 16), (byte) (count >>> 8), (byte) count});
        for (ByteBuffer b : entries.nioBuffers(entries.readerIndex(), entries.readableBytes())) {
            md.update(b);
        }
        ByteBuffer d = ByteBuffer.wrap(md.digest());
        return new BatchDigest(d.getLong(0), d.getLong(8));
    }
}
