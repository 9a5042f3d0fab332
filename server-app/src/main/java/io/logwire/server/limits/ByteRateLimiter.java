package io.logwire.server.limits;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.traffic.ChannelTrafficShapingHandler;
import io.netty.util.AttributeKey;

/**
 * {@code --max-byte-rate}: slows a connection that sends faster than the limit by pausing its
 * reads (auto-read off until its budget refills) instead of failing it; TCP flow control then
 * pushes back on the sender. Netty's traffic shaper does the accounting; this counts the pauses.
 * Goes first in the pipeline, so the bytes counted are those on the wire (TLS records included).
 * One per connection. The connection's own back-pressure ({@code ConnectionHandler}) leaves
 * auto-read off while {@link #isPaused} says so.
 */
public final class ByteRateLimiter extends ChannelTrafficShapingHandler {
    /** Pipeline name. */
    public static final String NAME = "byte-rate";
    /** Netty's marker of a connection whose reads the shaper suspended (same key as the shaper's). */
    private static final AttributeKey<Boolean> READ_SUSPENDED = AttributeKey.valueOf(
            io.netty.handler.traffic.AbstractTrafficShapingHandler.class.getName() + ".READ_SUSPENDED");
    /** How often the shaper recomputes its rate, in milliseconds. */
    private static final long CHECK_INTERVAL_MILLIS = 250;

    private final Limits limits;

    public ByteRateLimiter(Limits limits, long bytesPerSecond) {
        super(0, bytesPerSecond, CHECK_INTERVAL_MILLIS);
        this.limits = limits;
    }

    /**
     * Whether the limiter has paused {@code channel}'s reads; whoever else turns auto-read on
     * and off (the in-flight back-pressure) must leave it off meanwhile.
     */
    public static boolean isPaused(io.netty.channel.Channel channel) {
        return Boolean.TRUE.equals(channel.attr(READ_SUSPENDED).get());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        boolean before = Boolean.TRUE.equals(ctx.channel().attr(READ_SUSPENDED).get());
        super.channelRead(ctx, msg);
        if (!before && Boolean.TRUE.equals(ctx.channel().attr(READ_SUSPENDED).get())) {
            limits.readPaused();
        }
    }
}
