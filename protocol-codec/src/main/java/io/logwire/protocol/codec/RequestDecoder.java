package io.logwire.protocol.codec;

import io.logwire.protocol.frame.Frame;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;

import java.util.List;

/**
 * Server side: turns {@link Frame}s into {@link io.logwire.protocol.message.Request}s.
 * A bad request raises a non-fatal {@link io.logwire.protocol.message.ProtocolCodecException}
 * on its stream; the connection lives on.
 */
@Sharable
public final class RequestDecoder extends MessageToMessageDecoder<Frame> {
    public static final RequestDecoder INSTANCE = new RequestDecoder();

    private RequestDecoder() {
        super(Frame.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Frame frame, List<Object> out) {
        out.add(MessageCodec.decodeRequest(frame.opcode(), frame.streamId(), frame.body()));
    }
}
