package io.logwire.protocol.codec;

import io.logwire.protocol.frame.Frame;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;

import java.util.List;

/** Client side: turns {@link Frame}s into {@link io.logwire.protocol.message.Reply}s. */
@Sharable
public final class ReplyDecoder extends MessageToMessageDecoder<Frame> {
    public static final ReplyDecoder INSTANCE = new ReplyDecoder();

    private ReplyDecoder() {
        super(Frame.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        out.add(MessageCodec.decodeReply(frame.opcode(), frame.streamId(), frame.body()));
    }
}
