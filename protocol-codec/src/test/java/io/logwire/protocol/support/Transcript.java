package io.logwire.protocol.support;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.ArrayList;
import java.util.List;

/**
 * The last inbound handler of a test pipeline: writes down, in order, every message (via
 * {@link Describe#message}) and every exception (via {@link Describe#error}) that reaches
 * the end of the pipeline. Messages go on to the channel's inbound queue, where the test
 * reads and releases them; exceptions stop here, so the channel does not rethrow them and
 * one stream can show several errors. One per channel.
 */
public final class Transcript extends ChannelInboundHandlerAdapter {
    private final List<String> events = new ArrayList<>();
    private final List<Throwable> exceptions = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        events.add(Describe.message(msg));
        ctx.fireChannelRead(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        events.add(Describe.error(cause));
        exceptions.add(cause);
    }

    public List<String> events() {
        return events;
    }

    public List<Throwable> exceptions() {
        return exceptions;
    }
}
