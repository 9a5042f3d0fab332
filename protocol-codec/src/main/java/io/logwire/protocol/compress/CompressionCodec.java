package io.logwire.protocol.compress;

import com.github.luben.zstd.Zstd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The codecs of the COMPRESSED envelope (PROTOCOL.md 6.7) and their {@code acceptedCodecs}
 * bits: 1 = LZ4 block format (lz4-java), 2 = Zstandard frame (zstd-jni). Decompression writes
 * into a buffer of exactly the announced size and never beyond it, whatever the input claims.
 * Thread-safe.
 */
public enum CompressionCodec {
    LZ4(1, 0x0001),
    ZSTD(2, 0x0002);

    /** Zstandard level used when compressing: the library's default, a good speed/ratio balance. */
    public static final int ZSTD_LEVEL = 3;

    private static final LZ4Factory LZ4_FACTORY = LZ4Factory.fastestInstance();
    private static final LZ4Compressor LZ4_COMPRESSOR = LZ4_FACTORY.fastCompressor();
    private static final LZ4SafeDecompressor LZ4_DECOMPRESSOR = LZ4_FACTORY.safeDecompressor();

    private final int id;
    private final int bit;

    CompressionCodec(int id, int bit) {
        this.id = id;
        this.bit = bit;
    }

    /** The {@code u8 codec} of a COMPRESSED frame. */
    public int id() {
        return id;
    }

    /** The bit of {@code acceptedCodecs} (HELLO, HELLO_OK) that announces this codec. */
    public int bit() {
        return bit;
    }

    /** The codec with this wire id, or {@code null} for an unknown one. */
    public static CompressionCodec forId(int id) {
        for (CompressionCodec c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        return null;
    }

    /** The codecs announced by {@code acceptedCodecs}; unknown bits are ignored, as 6.1 says. */
    public static Set<CompressionCodec> fromMask(int acceptedCodecs) {
        Set<CompressionCodec> set = EnumSet.noneOf(CompressionCodec.class);
        for (CompressionCodec c : values()) {
            if ((acceptedCodecs & c.bit) != 0) {
                set.add(c);
            }
        }
        return set;
    }

    /** The {@code acceptedCodecs} mask of {@code codecs}. */
    public static int mask(Set<CompressionCodec> codecs) {
        int m = 0;
        for (CompressionCodec c : codecs) {
            m |= c.bit;
        }
        return m;
    }

    /** Every codec this library has: the mask to announce when all are accepted. */
    public static int allMask() {
        return mask(EnumSet.allOf(CompressionCodec.class));
    }

    /** Parses {@code lz4} or {@code zstd} (case-insensitive), for command lines. */
    public static CompressionCodec parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown compression codec '" + name + "' (lz4 or zstd)");
        }
    }

    /**
     * The codec to send with: the first of {@code preferred} that the peer accepts, or
     * {@code null} for none.
     */
    public static CompressionCodec choose(int peerAcceptedCodecs, CompressionCodec... preferred) {
        for (CompressionCodec c : preferred) {
            if ((peerAcceptedCodecs & c.bit) != 0) {
                return c;
            }
        }
        return null;
    }

    /** The lower-case name, as command lines write it. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Compresses the {@code length} bytes at {@code index} of {@code src} into a new buffer
     * from {@code alloc} (the caller releases it). {@code src} is not modified.
     */
    public ByteBuf compress(ByteBuf src, int index, int length, ByteBufAllocator alloc) {
        if (this == LZ4) {
            int bound = LZ4_COMPRESSOR.maxCompressedLength(length);
            ByteBuf out = alloc.heapBuffer(bound);
            try {
                int n = LZ4_COMPRESSOR.compress(src.nioBuffer(index, length), 0, length,
                        out.nioBuffer(0, bound), 0, bound);
                return out.writerIndex(n);
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
        }
        byte[] in;
        int inOffset;
        if (src.hasArray()) {
            in = src.array();
            inOffset = src.arrayOffset() + index;
        } else {
            in = ByteBufUtil.getBytes(src, index, length, false);
            inOffset = 0;
        }
        int bound = (int) Math.min(Integer.MAX_VALUE - 16, Zstd.compressBound(length));
        ByteBuf out = alloc.heapBuffer(bound);
        try {
            long n = Zstd.compressByteArray(out.array(), out.arrayOffset(), bound, in, inOffset, length, ZSTD_LEVEL);
            if (Zstd.isError(n)) {
                throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
            }
            return out.writerIndex((int) n);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /**
     * Decompresses the {@code length} bytes at {@code index} of {@code src} into a new buffer
     * from {@code alloc} whose capacity, and maximum capacity, is exactly {@code expected}
     * bytes: output beyond that is refused, never allocated.
     *
     * @return the {@code expected} decompressed bytes (the caller releases them)
     * @throws CorruptInputException if the input is not valid for this codec or does not
     *                               decompress to exactly {@code expected} bytes
     */
    public ByteBuf decompress(ByteBuf src, int index, int length, int expected, ByteBufAllocator alloc) {
        ByteBuf out = alloc.heapBuffer(expected, expected);
        try {
            int n;
            if (this == LZ4) {
                n = decompressLz4(src, index, length, out, expected);
            } else {
                n = decompressZstd(src, index, length, out, expected);
            }
            if (n != expected) {
                throw new CorruptInputException(cliName() + " data decompressed to " + n + " bytes, not the "
                        + expected + " announced");
            }
            return out.writerIndex(n);
        } catch (RuntimeException e) {
            out.release();
            if (e instanceof CorruptInputException) {
                throw e;
            }
            throw new CorruptInputException(cliName() + " data is corrupt or decompresses to more than the "
                    + expected + " bytes announced (" + e.getMessage() + ")");
        }
    }

    private static int decompressLz4(ByteBuf src, int index, int length, ByteBuf out, int expected) {
        // The safe decompressor stops with an exception before writing past maxDestLen.
        return LZ4_DECOMPRESSOR.decompress(src.nioBuffer(index, length), 0, length,
                out.nioBuffer(0, expected), 0, expected);
    }

    private static int decompressZstd(ByteBuf src, int index, int length, ByteBuf out, int expected) {
        byte[] in;
        int inOffset;
        if (src.hasArray()) {
            in = src.array();
            inOffset = src.arrayOffset() + index;
        } else {
            in = ByteBufUtil.getBytes(src, index, length, false); // the compressed bytes: bounded by the frame
            inOffset = 0;
        }
        // ZSTD_decompress refuses (dstSize_tooSmall) rather than write past dstSize.
        long n = Zstd.decompressByteArray(out.array(), out.arrayOffset(), expected, in, inOffset, length);
        if (Zstd.isError(n)) {
            throw new CorruptInputException("zstd data is corrupt or decompresses to more than the " + expected
                    + " bytes announced (" + Zstd.getErrorName(n) + ")");
        }
        return (int) n;
    }

    /** Compressed input that is invalid or does not match its announced size. */
    public static final class CorruptInputException extends RuntimeException {
        public CorruptInputException(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
