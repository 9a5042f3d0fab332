package io.logwire.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;

/**
 * The length-prepending encoder: writes a {@link Frame} as length, opcode, stream id and body
 * (PROTOCOL.md section 2). The body is passed on without copying.
 */
@Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        ByteBuf body = frame.body();
        ByteBuf header = ctx.alloc().buffer(FrameConstants.PREFIX_SIZE);
        writeHeader(header, body.readableBytes(), frame.opcode(), frame.streamId());
        out.add(header);
        out.add(body.retain());
    }

    /** Writes the 10-byte frame prefix for a body of {@code bodyLength} bytes. */
    public static ByteBuf writeHeader(ByteBuf out, int bodyLength, int opcode, int streamId) {
        return out.writeInt(FrameConstants.HEADER_SIZE + bodyLength).writeShort(opcode).writeInt(streamId);
    }
}
