package io.logwire.protocol.compress;

import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;

import java.util.List;

/**
 * Unwraps COMPRESSED frames (PROTOCOL.md 6.7); every other frame passes through untouched.
 * Goes right after the {@link io.logwire.protocol.frame.FrameDecoder} on both the server and
 * the client, so that the request or reply decoder after it sees only plain frames.
 *
 * <p>The checks of {@link CompressedFrames#unwrap} run before any decompression, and the
 * output never exceeds the announced {@code innerLength}. Its errors are fatal: after one,
 * every later frame of the connection is dropped while the error is sent and the connection
 * closed. One instance per channel.
 */
public final class CompressedFrameDecoder extends MessageToMessageDecoder<Frame> {
    /** The handler's name in a pipeline. */
    public static final String NAME = "compressedFrameDecoder";

    private final int maxFrameLength;
    private boolean failed;

    /** A decoder accepting inner frames whose {@code length} is at most {@code maxFrameLength}. */
    public CompressedFrameDecoder(int maxFrameLength) {
        super(Frame.class);
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        if (failed) {
            return; // the frame is released by MessageToMessageDecoder
        }
        if (frame.opcode() != Opcode.COMPRESSED) {
            out.add(frame.retain());
            return;
        }
        try {
            out.add(CompressedFrames.unwrap(frame.body(), maxFrameLength, ctx.alloc()));
        } catch (ProtocolCodecException e) {
            failed = true;
            throw e;
        }
    }
}
