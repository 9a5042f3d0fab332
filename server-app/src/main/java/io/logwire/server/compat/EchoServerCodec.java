package io.logwire.server.compat;

import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The echo protocol (PROTOCOL.md Appendix A.3) in front of the ECHO handler: every chunk read
 * becomes an ECHO request and its reply's bytes are written back, without copying. The
 * dispatch stops reading while the connection is not writable, so a peer that sends without
 * reading is slowed down rather than buffered for. When the peer shuts down its output, the
 * connection closes once everything is echoed. Chunks are not counted as messages in STATS
 * (their boundaries are TCP's, not the client's); their bytes are.
 *
 * <p>One instance per channel (it numbers the requests); confined to the event loop.
 */
final class EchoServerCodec extends ChannelDuplexHandler {
    private int stream;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf data) {
            ctx.fireChannelRead(new Request.Echo(stream = CompatServerInitializer.next(stream), data));
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof Reply.EchoOk echo) {
            ctx.write(echo.data(), promise);
        } else if (msg instanceof Reply reply) {
            // SHUTTING_DOWN or a bug: the protocol has no error, so close.
            ReferenceCountUtil.release(reply);
            promise.trySuccess();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireUserEventTriggered(evt);
    }
}
