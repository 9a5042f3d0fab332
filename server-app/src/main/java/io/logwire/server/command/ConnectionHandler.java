package io.logwire.server.command;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.ProtocolCodecException;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.logwire.server.ConnectionLog;
import io.logwire.server.ServerContext;
import io.logwire.server.auth.ConnectionAuth;
import io.logwire.server.auth.Role;
import io.logwire.server.limits.ConnectionLimits;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * Per connection (one instance per channel): dispatches each request to its
 * {@link CommandHandler}, counts requests in flight and applies TCP backpressure: the
 * connection is not read while it has too many requests in flight or while its outbound
 * buffer is above the high-water mark. Also closes the connection when it has been idle.
 * All state is confined to the channel's event loop.
 */
public final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private final ServerContext server;
    private final CommandTable table;
    private final int maxInFlight;
    private final ConnectionLimits limits;
    private final ArrayDeque<Runnable> writabilityWaiters = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private int inFlight;
    private ConnectionAuth auth;

    public ConnectionHandler(ServerContext server, CommandTable table) {
        this.server = server;
        this.table = table;
        this.maxInFlight = server.config().maxInFlight();
        this.limits = server.limits().newConnection();
    }

    ServerContext server() {
        return server;
    }

    /** This connection's share of the abuse limits. */
    ConnectionLimits limits() {
        return limits;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        auth = new ConnectionAuth(server.auth(), ctx.channel());
        ctx.channel().attr(ConnectionAuth.KEY).set(auth);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Request request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ConnectionLog.requestReceived(ctx.channel());
        Exchange exchange = new Exchange(this, ctx, request.streamId(), request.opcode());
        inFlight++;
        server.requestStarted();
        updateAutoRead();
        if (server.isDraining()) {
            ReferenceCountUtil.release(request);
            exchange.fail(ErrorCode.SHUTTING_DOWN, "server is shutting down; retry against another server");
            return;
        }
        if (!auth.permits(request.opcode())) {
            // PROTOCOL.md 6.8: checked before the handler, so opcodes without one are refused alike.
            ReferenceCountUtil.release(request);
            exchange.fail(ErrorCode.UNAUTHORIZED, "this connection's identity lacks the role '"
                    + Role.requiredFor(request.opcode()).label() + "' that " + request.opcode() + " needs");
            return;
        }
        String overRate = limits.overRequestRate();
        if (overRate != null) {
            ReferenceCountUtil.release(request);
            exchange.fail(ErrorCode.OVERLOADED, overRate);
            return;
        }
        try {
            table.get(request.opcode()).handle(request, exchange);
        } catch (RuntimeException e) {
            log.error("bug: {} on stream {} failed", request.opcode(), Integer.toUnsignedLong(request.streamId()), e);
            exchange.reply(new Reply.Error(request.streamId(), ErrorCode.INTERNAL,
                    "internal error; the server log says more"));
        }
    }

    void requestDone() {
        inFlight--;
        server.requestFinished();
        updateAutoRead();
    }

    void whenWritable(Runnable task) {
        if (!ctx.channel().isActive() || ctx.channel().isWritable()) {
            task.run();
        } else {
            writabilityWaiters.add(task);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        while (ctx.channel().isWritable() && !writabilityWaiters.isEmpty()) {
            writabilityWaiters.poll().run();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // Let paused scans see the closed channel and release their cursors.
        while (!writabilityWaiters.isEmpty()) {
            writabilityWaiters.poll().run();
        }
        ctx.fireChannelInactive();
    }

    /** Counts frames the codec rejected (the exception handler after this one answers them). */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ProtocolCodecException e) {
            server.stats().metrics().frameRejected(e.errorCode());
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (inFlight == 0) {
                log.debug("closing idle connection {}", ctx.channel().remoteAddress());
                ConnectionLog.closing(ctx.channel(), ConnectionLog.CloseReason.IDLE_TIMEOUT, null);
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Reads only while the connection has room for more requests, its replies drain and the
     * byte-rate limit has not paused it (the limiter resumes reading itself when it is due).
     */
    private void updateAutoRead() {
        boolean read = inFlight < maxInFlight && ctx.channel().isWritable()
                && !io.logwire.server.limits.ByteRateLimiter.isPaused(ctx.channel());
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }
}
