package io.logwire.protocol.frame;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

import java.nio.ByteOrder;

/**
 * Splits the byte stream into {@link Frame}s (PROTOCOL.md section 2): a
 * {@link LengthFieldBasedFrameDecoder} over the 4-byte length with fail-fast limits.
 *
 * <p>A length below 6 is {@link ErrorCode#MALFORMED_FRAME}, a length above the maximum
 * {@link ErrorCode#FRAME_TOO_LARGE}; both are raised as soon as the length field has
 * arrived (the body is never buffered) and are fatal: after one, every further byte on
 * the connection is discarded while the error is sent and the connection closed.
 * One instance per channel.
 */
public class FrameDecoder extends LengthFieldBasedFrameDecoder {
    private final int maxFrameLength;
    private boolean failed;

    /** A decoder for frames whose {@code length} is at most {@code maxFrameLength}. */
    public FrameDecoder(int maxFrameLength) {
        // Our own check in getUnadjustedFrameLength runs first; the super's limit counts the
        // length field too, so it is ours + 4 and can never trip.
        super(ByteOrder.BIG_ENDIAN, checkMax(maxFrameLength) + FrameConstants.LENGTH_FIELD_SIZE,
                0, FrameConstants.LENGTH_FIELD_SIZE, 0, FrameConstants.LENGTH_FIELD_SIZE, true);
        this.maxFrameLength = maxFrameLength;
    }

    public int maxFrameLength() {
        return maxFrameLength;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        ByteBuf frame = (ByteBuf) super.decode(ctx, in);
        if (frame == null) {
            return null;
        }
        int opcode = frame.readUnsignedShort();
        int streamId = frame.readInt();
        return new Frame(opcode, streamId, frame);
    }

    @Override
    protected long getUnadjustedFrameLength(ByteBuf buf, int offset, int length, ByteOrder order) {
        long frameLength = buf.getUnsignedInt(offset);
        if (frameLength < FrameConstants.MIN_FRAME_LENGTH) {
            failed = true;
            throw new ProtocolCodecException(ErrorCode.MALFORMED_FRAME, FrameConstants.CONNECTION_STREAM,
                    "frame length " + frameLength + " is below the minimum of " + FrameConstants.MIN_FRAME_LENGTH);
        }
        if (frameLength > maxFrameLength) {
            failed = true;
            throw new ProtocolCodecException(ErrorCode.FRAME_TOO_LARGE, FrameConstants.CONNECTION_STREAM,
                    "frame length " + frameLength + " is above the maximum of " + maxFrameLength);
        }
        return frameLength;
    }

    /** The largest maximum a decoder accepts: the whole frame must fit a Java buffer. */
    public static final int LARGEST_MAX_FRAME_LENGTH = Integer.MAX_VALUE - FrameConstants.LENGTH_FIELD_SIZE;

    private static int checkMax(int maxFrameLength) {
        if (maxFrameLength < FrameConstants.MIN_FRAME_LENGTH || maxFrameLength > LARGEST_MAX_FRAME_LENGTH) {
            throw new IllegalArgumentException("maxFrameLength must be in [" + FrameConstants.MIN_FRAME_LENGTH + ", "
                    + LARGEST_MAX_FRAME_LENGTH + "]: " + maxFrameLength);
        }
        return maxFrameLength;
    }
}
