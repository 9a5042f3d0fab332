package io.logwire.protocol.compress;

import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.frame.FrameEncoder;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The COMPRESSED envelope (PROTOCOL.md 6.7), independent of any pipeline.
 *
 * <pre>
 * length u32 | opcode 0x7FFE | streamId u32 (0) | u8 codec | u32 innerLength | compressed bytes
 * </pre>
 *
 * The compressed bytes are those of one inner frame without its length field: its opcode,
 * stream id and body, {@code innerLength} bytes once decompressed.
 */
public final class CompressedFrames {
    /** {@code u8 codec} and {@code u32 innerLength}: the envelope's fixed body. */
    public static final int ENVELOPE_SIZE = 5;

    private CompressedFrames() {
    }

    /**
     * Unwraps the body of a COMPRESSED frame. Checks the codec and {@code innerLength}
     * ({@code >= 6} and {@code <= maxFrameLength}) before decompressing, decompresses into a
     * buffer of exactly {@code innerLength} bytes, and refuses a COMPRESSED frame inside.
     * Every problem is a fatal {@link ProtocolCodecException} on stream 0:
     * {@code FRAME_TOO_LARGE} for an {@code innerLength} above the maximum, else
     * {@code MALFORMED_FRAME}. The body is not released.
     *
     * @return the inner frame (the caller releases it)
     */
    public static Frame unwrap(ByteBuf body, int maxFrameLength, ByteBufAllocator alloc) {
        int index = body.readerIndex();
        int length = body.readableBytes();
        if (length < ENVELOPE_SIZE) {
            throw malformed("COMPRESSED body is " + length + " bytes; it needs " + ENVELOPE_SIZE
                    + " for the codec and innerLength");
        }
        int codecId = body.getUnsignedByte(index);
        long innerLength = body.getUnsignedInt(index + 1);
        CompressionCodec codec = CompressionCodec.forId(codecId);
        if (codec == null) {
            throw malformed("COMPRESSED frame with unknown codec " + codecId + " (1 = LZ4, 2 = Zstandard)");
        }
        if (innerLength < FrameConstants.MIN_FRAME_LENGTH) {
            throw malformed("COMPRESSED innerLength " + innerLength + " is below the minimum frame length of "
                    + FrameConstants.MIN_FRAME_LENGTH);
        }
        if (innerLength > maxFrameLength) {
            throw new ProtocolCodecException(ErrorCode.FRAME_TOO_LARGE, FrameConstants.CONNECTION_STREAM,
                    "COMPRESSED innerLength " + innerLength + " is above the maximum frame length of " + maxFrameLength);
        }
        ByteBuf inner;
        try {
            inner = codec.decompress(body, index + ENVELOPE_SIZE, length - ENVELOPE_SIZE, (int) innerLength, alloc);
        } catch (CompressionCodec.CorruptInputException e) {
            throw malformed("COMPRESSED frame: " + e.getMessage());
        }
        int opcode = inner.readUnsignedShort();
        if (opcode == Opcode.COMPRESSED) {
            inner.release();
            throw malformed("COMPRESSED frame inside a COMPRESSED frame");
        }
        int streamId = inner.readInt();
        return new Frame(opcode, streamId, inner);
    }

    /**
     * Wraps the whole frame at {@code frame}'s readable bytes (length field included) in a
     * COMPRESSED frame with {@code codec}, if that makes it smaller.
     *
     * @return the COMPRESSED frame, or {@code null} when compressing gains nothing (the caller
     *         then sends the frame as it is); {@code frame} is neither moved nor released
     */
    public static ByteBuf wrap(ByteBuf frame, CompressionCodec codec, ByteBufAllocator alloc) {
        int innerIndex = frame.readerIndex() + FrameConstants.LENGTH_FIELD_SIZE;
        int innerLength = frame.readableBytes() - FrameConstants.LENGTH_FIELD_SIZE;
        if (innerLength < FrameConstants.MIN_FRAME_LENGTH) {
            throw new IllegalArgumentException("not a whole frame: " + frame.readableBytes() + " bytes");
        }
        if (frame.getUnsignedShort(innerIndex) == Opcode.COMPRESSED) {
            throw new IllegalArgumentException("a COMPRESSED frame cannot be compressed again");
        }
        ByteBuf compressed = codec.compress(frame, innerIndex, innerLength, alloc);
        try {
            int total = FrameConstants.PREFIX_SIZE + ENVELOPE_SIZE + compressed.readableBytes();
            if (total >= frame.readableBytes()) {
                return null;
            }
            ByteBuf out = alloc.buffer(total);
            FrameEncoder.writeHeader(out, ENVELOPE_SIZE + compressed.readableBytes(), Opcode.COMPRESSED,
                    FrameConstants.CONNECTION_STREAM);
            out.writeByte(codec.id()).writeInt(innerLength).writeBytes(compressed);
            return out;
        } finally {
            compressed.release();
        }
    }

    private static ProtocolCodecException malformed(String message) {
        return new ProtocolCodecException(ErrorCode.MALFORMED_FRAME, FrameConstants.CONNECTION_STREAM, message);
    }
}
