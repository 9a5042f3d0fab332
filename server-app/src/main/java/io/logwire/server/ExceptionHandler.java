package io.logwire.server;

import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;

/**
 * The last handler: decides what every error means for the connection. Protocol violations
 * get an ERROR frame on their stream; fatal ones then close the connection. TLS failures and
 * resets close it; anything else is a bug: logged with its stack at ERROR, answered with
 * INTERNAL on stream 0, and the connection closed.
 */
@Sharable
public final class ExceptionHandler extends ChannelInboundHandlerAdapter {
    public static final ExceptionHandler INSTANCE = new ExceptionHandler();
    private static final Logger log = LoggerFactory.getLogger(ExceptionHandler.class);
    private static final RateLimitedLog clientFaults = new RateLimitedLog(log, 10);

    private ExceptionHandler() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ProtocolCodecException e) {
            if (!ctx.channel().isActive()) {
                return;
            }
            clientFaults.warn("{}: {} on stream {}: {}", ctx.channel().remoteAddress(), e.errorCode(),
                    Integer.toUnsignedLong(e.streamId()), e.getMessage());
            var future = ctx.writeAndFlush(new Reply.Error(e.streamId(), e.errorCode(), e.getMessage()));
            if (e.isFatal()) {
                ConnectionLog.closing(ctx.channel(), ConnectionLog.CloseReason.PROTOCOL_ERROR, e.errorCode().name());
                future.addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof NotSslRecordException) {
            ConnectionLog.closing(ctx.channel(), ConnectionLog.CloseReason.TLS_ERROR, "not a TLS record");
            clientFaults.warn("{}: not a TLS record; is the client speaking plaintext to a TLS port?",
                    ctx.channel().remoteAddress());
        } else if (root instanceof SSLException) {
            ConnectionLog.closing(ctx.channel(), ConnectionLog.CloseReason.TLS_ERROR, root.getMessage());
            clientFaults.warn("{}: TLS failure: {}", ctx.channel().remoteAddress(), root.getMessage());
        } else if (root instanceof IOException) {
            ConnectionLog.closing(ctx.channel(), ConnectionLog.CloseReason.CONNECTION_RESET, root.getMessage());
            log.debug("{}: {}", ctx.channel().remoteAddress(), root.toString());
        } else {
            log.error("bug: unexpected exception on {}", ctx.channel(), cause);
            ConnectionLog.closing(ctx.channel(), ConnectionLog.CloseReason.INTERNAL_ERROR, root.toString());
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(new Reply.Error(FrameConstants.CONNECTION_STREAM, ErrorCode.INTERNAL,
                        "internal error; the server log says more")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        ctx.close();
    }
}
