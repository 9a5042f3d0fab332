package io.logwire.server;

import io.logwire.protocol.message.Opcode;
import io.logwire.server.auth.AuthHandler;
import io.logwire.server.auth.PolicyException;
import io.logwire.server.auth.PolicyHolder;
import io.logwire.server.auth.ServerAuth;
import io.logwire.server.command.ArithmeticHandler;
import io.logwire.server.command.AggregateHandler;
import io.logwire.server.command.CancelHandler;
import io.logwire.server.command.CommandTable;
import io.logwire.server.command.TailHandler;
import io.logwire.server.command.EchoHandler;
import io.logwire.server.command.HelloHandler;
import io.logwire.server.command.ScanHandler;
import io.logwire.server.command.StatsHandler;
import io.logwire.server.command.UploadHandler;
import io.logwire.server.command.UploadOnceHandler;
import io.logwire.server.compat.CompatListeners;
import io.logwire.server.metrics.MetricsHttpServer;
import io.logwire.server.store.LogStore;
import io.logwire.server.tls.CertificateExpiryMonitor;
import io.logwire.server.tls.ReloadableServerTls;
import io.logwire.server.tls.TlsPolicy;
import io.logwire.server.tls.ServerTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The logwire server: binds, serves every opcode of PROTOCOL.md sections 1-5 from a
 * {@link LogStore}, and drains gracefully on {@link #stop()}. Epoll when available, NIO
 * otherwise.
 */
public final class LogwireServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogwireServer.class);

    private final ServerConfig config;
    private final Function<ServerConfig, LogStore> storeFactory;
    private final ServerStats stats = new ServerStats();
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private ExecutorService scanExecutor;
    private ChannelGroup channels;
    private Channel serverChannel;
    private CompatListeners compat;
    private LogStore store;
    private ServerContext context;
    private ReloadableServerTls tls;
    private CertificateExpiryMonitor expiry;
    private MetricsHttpServer metricsServer;
    private ServerAuth auth;
    private boolean started;
    private volatile boolean stopped;

    /** A server over the store that {@code storeFactory} opens at start. */
    public LogwireServer(ServerConfig config, Function<ServerConfig, LogStore> storeFactory) {
        this.config = config;
        this.storeFactory = storeFactory;
    }

    /**
     * Opens the store, sets up TLS and binds. Idempotent.
     *
     * @throws IOException if TLS material cannot be read or the address cannot be bound
     */
    public synchronized LogwireServer start() throws IOException {
        if (started) {
            return this;
        }
        started = true;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            if (!config.plaintext()) {
                tls = ReloadableServerTls.create(config.tlsCert(), config.tlsKey(), config.dataDir().resolve("tls"),
                        config.tlsSans(), config.clientCa(), config.tlsWatchInterval(),
                        new TlsPolicy(config.tls13Only(), config.allowReadableKey()));
                expiry = CertificateExpiryMonitor.start(tls, stats.metrics().registry());
            } else {
                log.warn("TLS is OFF (--plaintext): traffic, including the access logs, is readable on the network");
            }
            store = storeFactory.apply(config);
            stats.metrics().bindStore(store);
            stats.metrics().bindJvm();
            int scanThreads = config.scanThreads() > 0 ? config.scanThreads()
                    : Math.max(2, Runtime.getRuntime().availableProcessors());
            scanExecutor = Executors.newFixedThreadPool(scanThreads, new DefaultThreadFactory("logwire-scan", true));
            context = new ServerContext(config, store, stats, scanExecutor, tls != null);
            context.auth(auth = startAuth());
            CommandTable table = CommandTable.builder()
                    .register(Opcode.UPLOAD, new UploadHandler(context))
                    .register(Opcode.QUERY, new ScanHandler(context))
                    .register(Opcode.SEARCH, new ScanHandler(context))
                    .register(Opcode.ECHO, EchoHandler.INSTANCE)
                    .register(Opcode.DOUBLE, ArithmeticHandler.INSTANCE)
                    .register(Opcode.NEGATE, ArithmeticHandler.INSTANCE)
                    .register(Opcode.STATS, new StatsHandler(context))
                    .register(Opcode.HELLO, new HelloHandler(context))
                    .register(Opcode.UPLOAD_ONCE, new UploadOnceHandler(context))
                    .register(Opcode.AUTH, AuthHandler.INSTANCE)
                    .register(Opcode.QUERY_FROM, new ScanHandler(context))
                    .register(Opcode.CANCEL, CancelHandler.INSTANCE)
                    .register(Opcode.TAIL, new TailHandler(context))
                    .register(Opcode.AGGREGATE, new AggregateHandler(context))
                    .build();
            bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("logwire-accept"), io);
            workerGroup = new MultiThreadIoEventLoopGroup(config.workerThreads(),
                    new DefaultThreadFactory("logwire-io"), io);
            channels = new DefaultChannelGroup("logwire-connections", GlobalEventExecutor.INSTANCE);
            ServerBootstrap b = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(channelClass)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                    .childHandler(new ServerInitializer(context, tls, table, channels));
            serverChannel = b.bind(config.bindAddress(), config.port()).syncUninterruptibly().channel();
            compat = CompatListeners.bind(b, context, tls, table, channels);
            if (config.metricsPort() != ServerConfig.LISTENER_OFF) {
                metricsServer = MetricsHttpServer.start(config.metricsBindAddress(),
                        Math.max(0, config.metricsPort()), stats.metrics(), this::notReadyReason);
            }
        } catch (RuntimeException | IOException e) {
            releaseResources();
            throw e instanceof IOException io2 ? io2 : new IOException("cannot start: " + e.getMessage(), e);
        }
        InetSocketAddress addr = (InetSocketAddress) serverChannel.localAddress();
        log.info("logwire {} listening on {}:{} ({}, {} transport, fsync {}, data in {})", ServerVersion.VERSION,
                displayHost(addr), addr.getPort(),
                tls != null ? "TLS on, " + tls.current().provider()
                        + (tls.current().mutual() ? ", client certificates required" : "")
                        : "TLS OFF",
                epoll ? "epoll" : "nio", config.fsync().name().toLowerCase(java.util.Locale.ROOT),
                config.dataDir().toAbsolutePath());
        if (metricsServer != null) {
            String host = config.metricsBindAddress().contains(":") ? "[" + config.metricsBindAddress() + "]"
                    : config.metricsBindAddress();
            log.info("metrics on http://{}:{}/metrics (also /healthz, /readyz)", host, metricsServer.port());
        }
        return this;
    }

    /** Loads the auth policy (if any) and sets up PROTOCOL.md 6.8 as configured. */
    private ServerAuth startAuth() throws IOException {
        if (config.authPolicy() == null) {
            return ServerAuth.OPEN;
        }
        PolicyHolder holder;
        try {
            holder = PolicyHolder.load(config.authPolicy(), config.tlsWatchInterval());
        } catch (PolicyException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (!config.requireAuth()) {
            log.warn("--auth-policy without --require-auth: the policy is loaded but not enforced; every "
                    + "connection has every role");
        } else if (tls == null) {
            log.warn("--require-auth with --plaintext: bearer tokens cross the network readable by anyone on it");
        }
        // The CAs of the TLS context in force: a reload of --client-ca changes them for issuer-sha256 too.
        ReloadableServerTls current = tls;
        java.util.function.Supplier<java.util.List<java.security.cert.X509Certificate>> clientCas =
                current == null ? java.util.List::of : () -> current.current().clientCas();
        return new ServerAuth(config.requireAuth(), holder, config.authMaxFailures(),
                config.authMaxFailuresPerAddress(), config.maxConnectionsPerIdentity(), stats.metrics().registry(),
                clientCas);
    }

    /**
     * Re-reads the auth policy file now (what SIGHUP does besides the TLS reload): new AUTHs and
     * the next request of every connection see the new policy. Blocking; not for an event loop.
     *
     * @return whether a new policy is in force (false without --auth-policy or if it does not parse)
     */
    public boolean reloadAuthPolicy(String trigger) {
        ServerAuth a;
        synchronized (this) {
            a = started && !stopped ? auth : null;
        }
        return a != null && a.reload(trigger);
    }

    /** The authentication set-up in use ({@code ServerAuth.OPEN} without --auth-policy); null before start. */
    public ServerAuth auth() {
        return auth;
    }

    /** For /readyz: null when the server takes work, else why not. */
    private String notReadyReason() {
        if (stopped || context.isDraining()) {
            return "draining (shutting down)";
        }
        if (!store.isAvailable()) {
            return "store unavailable";
        }
        return null;
    }

    /** The bound metrics port, or 0 if it is off. */
    public int metricsPort() {
        return metricsServer == null ? 0 : metricsServer.port();
    }

    /** The bound address for people: the configured wildcard as given, IPv6 in brackets. */
    private String displayHost(InetSocketAddress addr) {
        String host = addr.getAddress().isAnyLocalAddress() ? config.bindAddress() : addr.getAddress().getHostAddress();
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** The bound port (the real one when configured with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The bound port of the legacy log listener (PROTOCOL.md Appendix A), or 0 if it is off. */
    public int legacyPort() {
        return compat.legacyPort();
    }

    /** The bound port of the JSON-header application listener (Appendix A), or 0 if it is off. */
    public int appPort() {
        return compat.appPort();
    }

    /** The bound port of the echo listener (Appendix A), or 0 if it is off. */
    public int echoPort() {
        return compat.echoPort();
    }

    public ServerStats stats() {
        return stats;
    }

    /** The abuse limits and their counters (docs/security.md). */
    public io.logwire.server.limits.Limits limits() {
        return context.limits();
    }

    public LogStore store() {
        return store;
    }

    /** The TLS set-up in use now (it changes when the files are reloaded), or null in plaintext mode. */
    public ServerTls tls() {
        return tls == null ? null : tls.current();
    }

    /** The reloadable TLS holder, or null in plaintext mode. */
    public ReloadableServerTls tlsReloader() {
        return tls;
    }

    /**
     * Reloads the TLS certificate and key from their files (what SIGHUP does): new connections
     * get the new pair, open ones keep theirs; a bad pair is logged and the old one stays.
     * Blocks while the files are read; not for an event loop.
     *
     * @param trigger what asked for it, for the log
     * @return what happened; {@code NOT_APPLICABLE} in plaintext mode or with a generated certificate
     */
    public ReloadableServerTls.Outcome reloadTls(String trigger) {
        ReloadableServerTls t;
        synchronized (this) {
            t = started && !stopped ? tls : null;
        }
        if (t == null) {
            log.info("{}: TLS is off or the server is not running; nothing to reload", trigger);
            return ReloadableServerTls.Outcome.NOT_APPLICABLE;
        }
        return t.reload(trigger);
    }

    /**
     * Drains and stops: stops accepting, answers new requests with SHUTTING_DOWN, lets
     * requests in flight finish (up to the shutdown timeout), closes connections, syncs and
     * closes the store, then stops the event loops. Idempotent.
     *
     * @return whether everything in flight finished within the timeout
     */
    public synchronized boolean stop() {
        if (!started || stopped) {
            return true;
        }
        stopped = true;
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        context.startDraining();
        serverChannel.close().syncUninterruptibly();
        if (compat != null) {
            compat.close();
        }
        log.info("draining: {} requests in flight on {} connections", stats.requestsInFlight(),
                stats.connectionsOpen());
        boolean drained = true;
        while (stats.requestsInFlight() > 0) {
            if (System.nanoTime() > deadline) {
                drained = false;
                log.warn("shutdown timeout: {} requests still in flight are abandoned", stats.requestsInFlight());
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                drained = false;
                break;
            }
        }
        channels.close().awaitUninterruptibly(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
                TimeUnit.MILLISECONDS);
        releaseResources();
        log.info("stopped{}", drained ? "" : " (not fully drained)");
        return drained;
    }

    private void releaseResources() {
        if (metricsServer != null) {
            metricsServer.close();
        }
        stats.metrics().close();
        if (expiry != null) {
            expiry.close();
        }
        if (tls != null) {
            tls.close();
        }
        if (auth != null) {
            auth.close();
        }
        if (scanExecutor != null) {
            scanExecutor.shutdownNow();
        }
        if (store != null) {
            store.close();
        }
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
