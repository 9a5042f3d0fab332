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
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The event loops clients run on: epoll when available, NIO otherwise. A client made with
 * {@link LogwireClient#connect(ClientConfig)} owns private resources; many clients (tests,
 * load generators) can share one instance through
 * {@link LogwireClient#connect(ClientConfig, ClientResources)}; they then also share TLS
 * contexts (building one reads and parses the PEM files and sets up an OpenSSL context, which
 * costs more than the handshake itself), rebuilt when a PEM file changes.
 */
public final class ClientResources implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelClass;
    private static final int MAX_CACHED_CONTEXTS = 16;
    private final Map<TlsKey, SslContext> sslContexts = new ConcurrentHashMap<>();

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

    /** The TLS context for {@code config}, built once per set of TLS settings and PEM file versions. */
    SslContext sslContext(ClientConfig config) {
        TlsKey key = new TlsKey(config.insecure(), FileVersion.of(config.caFile()),
                FileVersion.of(config.certFile()), FileVersion.of(config.keyFile()));
        SslContext ctx = sslContexts.get(key);
        if (ctx == null) {
            // Built outside computeIfAbsent: a failure throws to the caller and caches nothing.
            ctx = ClientTls.context(config);
            if (sslContexts.size() >= MAX_CACHED_CONTEXTS) {
                sslContexts.clear(); // rotated files leave old versions behind; keep the cache small
            }
            SslContext raced = sslContexts.putIfAbsent(key, ctx);
            if (raced != null) {
                ctx = raced;
            }
        }
        return ctx;
    }

    private record TlsKey(boolean insecure, FileVersion ca, FileVersion cert, FileVersion key) {
    }

    /** A file as of its last change; a missing or unreadable file never matches a cached one. */
    private record FileVersion(Path path, long modifiedNanos, long size, Object fileKey) {
        static FileVersion of(Path path) {
            if (path == null) {
                return null;
            }
            try {
                BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
                return new FileVersion(path.toAbsolutePath(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                        a.size(), a.fileKey());
            } catch (IOException e) {
                return new FileVersion(path.toAbsolutePath(), -1, -1, new Object());
            }
        }
    }

    /** Stops the event loops at once; every client using them must be closed first. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
