package io.logwire.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * The event loops clients run on: epoll when available, NIO otherwise. A client made with
 * {@link LogwireClient#connect(ClientConfig)} owns private resources; many clients (tests,
 * load generators) can share one instance through
 * {@link LogwireClient#connect(ClientConfig, ClientResources)}.
 */
public final class ClientResources implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelClass;

    private ClientResources(int threads) {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("logwire-client", true), io);
        this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** One event-loop thread: plenty for one connection. */
    public static ClientResources create() {
        return new ClientResources(1);
    }

    /** {@code threads} event-loop threads (0 = Netty's default, twice the cores). */
    public static ClientResources create(int threads) {
        return new ClientResources(threads);
    }

    EventLoopGroup group() {
        return group;
    }

    Class<? extends Channel> channelClass() {
        return channelClass;
    }

    /** Stops the event loops at once; every client using them must be closed first. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
