package io.logwire.server.command;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.message.Reply;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;

/**
 * One request's way back to its client: partial replies, then exactly one final reply or
 * error. May be used from any thread; state changes happen on the connection's event loop.
 */
public final class Exchange {
    private final ConnectionHandler connection;
    private final ChannelHandlerContext ctx;
    private final int streamId;
    private final Opcode opcode;
    private final long startNanos = System.nanoTime();
    private boolean done; // event loop only

    Exchange(ConnectionHandler connection, ChannelHandlerContext ctx, int streamId, Opcode opcode) {
        this.connection = connection;
        this.ctx = ctx;
        this.streamId = streamId;
        this.opcode = opcode;
    }

    /** {@link System#nanoTime()} when the request arrived, for latency metrics. */
    public long startNanos() {
        return startNanos;
    }

    public int streamId() {
        return streamId;
    }

    /** The connection's channel (for its {@link ConnectionProtocol}). */
    public io.netty.channel.Channel channel() {
        return ctx.channel();
    }

    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    /** The connection's share of the abuse limits. */
    public io.logwire.server.limits.ConnectionLimits limits() {
        return connection.limits();
    }

    /** Runs {@code task} on the connection's event loop after {@code delay}. */
    public io.netty.util.concurrent.ScheduledFuture<?> schedule(Runnable task, java.time.Duration delay) {
        return ctx.executor().schedule(task, delay.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Whether the connection is still open. */
    public boolean isOpen() {
        return ctx.channel().isActive();
    }

    /** Sends a partial reply (ROWS). */
    public void partial(Reply reply) {
        if (!isOpen()) {
            ReferenceCountUtil.release(reply);
            return;
        }
        ctx.writeAndFlush(reply, ctx.voidPromise());
    }

    /** Sends the final reply and ends the request. */
    public void reply(Reply reply) {
        onLoop(() -> {
            if (done) {
                ReferenceCountUtil.release(reply);
                throw new IllegalStateException("stream " + streamId + " already answered");
            }
            done = true;
            if (reply instanceof Reply.Error e) {
                connection.server().errorSent();
                connection.server().stats().metrics().requestAnswered(opcode,
                        e.errorCode() != null ? e.errorCode() : ErrorCode.INTERNAL);
            } else if (reply instanceof Reply.ErrorRetry e) {
                connection.server().errorSent();
                connection.server().stats().metrics().requestAnswered(opcode,
                        e.errorCode() != null ? e.errorCode() : ErrorCode.INTERNAL);
            } else {
                connection.server().stats().metrics().requestAnswered(opcode, null);
            }
            if (isOpen()) {
                ctx.writeAndFlush(reply, ctx.voidPromise());
            } else {
                ReferenceCountUtil.release(reply);
            }
            connection.requestDone();
        });
    }

    /**
     * Answers with an error; a fatal one closes the connection once sent. OVERLOADED and
     * SHUTTING_DOWN go out as ERROR_RETRY on version-2 connections ({@link ConnectionProtocol}).
     */
    public void fail(ErrorCode code, String message) {
        if (!code.isFatal()) {
            reply(ConnectionProtocol.of(ctx.channel()).error(streamId, code, message));
            return;
        }
        onLoop(() -> {
            done = true;
            connection.server().errorSent();
            connection.server().stats().metrics().requestAnswered(opcode, code);
            ctx.writeAndFlush(new Reply.Error(streamId, code, message)).addListener(ChannelFutureListener.CLOSE);
            connection.requestDone();
        });
    }

    /** Ends the request without a reply because the connection is gone. */
    public void abandon() {
        onLoop(() -> {
            if (!done) {
                done = true;
                connection.server().stats().metrics().requestAbandoned(opcode);
                connection.requestDone();
            }
        });
    }

    /**
     * Runs {@code task} on the event loop once the connection can take more writes (at once
     * if it can), or when it closes (check {@link #isOpen()}).
     */
    public void whenWritable(Runnable task) {
        onLoop(() -> connection.whenWritable(task));
    }

    private void onLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }
}
