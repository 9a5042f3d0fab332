package io.logwire.protocol.codec;

import io.logwire.protocol.message.Message;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;

/**
 * Both sides: writes {@link Message}s (replies on the server, requests on the client) as
 * whole frames, length field included; large entry batches go out without copying.
 */
@Sharable
public final class MessageEncoder extends MessageToMessageEncoder<Message> {
    public static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
        super(Message.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message msg, List<Object> out) {
        MessageCodec.encode(msg, ctx.alloc(), out);
    }
}
