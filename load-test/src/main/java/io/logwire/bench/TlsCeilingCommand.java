package io.logwire.bench;

import io.logwire.tls.CertificateGenerator;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code tls-ceiling}: the raw TLS byte rate of this machine with the server's TLS stack (Netty
 * SslHandler, OpenSSL provider when available, TLS 1.3, same transport): an in-process server
 * that discards and a client that streams bulk bytes over loopback. The reference for ingest.
 */
@Command(name = "tls-ceiling", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Streams bulk bytes through Netty TLS over loopback (in-process server + client, the server's "
                + "TLS stack) and reports MB/s: the physical ceiling for TLS ingest on this machine."})
final class TlsCeilingCommand extends Scenario {
    @Option(names = "--provider", defaultValue = "auto", description = "openssl, jdk or auto (openssl when available).")
    String provider;

    @Option(names = "--plaintext", description = "No TLS: the loopback TCP ceiling.")
    boolean plaintext;

    @Option(names = {"-c", "--connections"}, defaultValue = "1")
    int connections;

    @Option(names = "--chunk", defaultValue = "65536", description = "Bytes per write.")
    int chunk;

    @Option(names = "--duration", defaultValue = "5", paramLabel = "S", description = "Measured seconds.")
    int duration;

    @Option(names = "--warmup", defaultValue = "2", paramLabel = "S",
            description = "Unmeasured seconds first (the JDK provider needs C2-compiled AES-GCM).")
    int warmup;

    @Option(names = "--threads", defaultValue = "1", description = "Event-loop threads of each side.")
    int threads;

    @Override
    BenchResult execute(long deadline) throws Exception {
        BenchResult r = new BenchResult("tls-ceiling");
        SslProvider prov = switch (provider.toLowerCase(Locale.ROOT)) {
            case "openssl" -> SslProvider.OPENSSL;
            case "jdk" -> SslProvider.JDK;
            case "auto" -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            default -> throw new IllegalArgumentException("--provider must be openssl, jdk or auto");
        };
        SslContext serverSsl = null;
        SslContext clientSsl = null;
        if (!plaintext) {
            CertificateGenerator.Issued cert = CertificateGenerator.selfSignedServer("localhost",
                    List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
            serverSsl = SslContextBuilder.forServer(cert.privateKey(), cert.certificate()).sslProvider(prov)
                    .protocols("TLSv1.3").build();
            clientSsl = SslContextBuilder.forClient().sslProvider(prov).protocols("TLSv1.3")
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> serverClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends Channel> clientClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(threads, io);
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(threads, io);
        AtomicLong received = new AtomicLong();
        String cipher = "none";
        ByteBuf data = Unpooled.unreleasableBuffer(Unpooled.directBuffer(chunk).writeZero(chunk));
        List<Channel> channels = new ArrayList<>();
        try {
            SslContext ss = serverSsl;
            Channel server = new ServerBootstrap().group(serverGroup).channel(serverClass)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (ss != null) {
                                ch.pipeline().addLast(ss.newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    received.addAndGet(((ByteBuf) msg).readableBytes());
                                    ReferenceCountUtil.release(msg);
                                }
                            });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            SslContext cs = clientSsl;
            long stopAt = Math.min(deadline, System.nanoTime() + (warmup + duration) * 1_000_000_000L);
            for (int i = 0; i < connections; i++) {
                Channel ch = new Bootstrap().group(clientGroup).channel(clientClass)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                if (cs != null) {
                                    ch.pipeline().addLast(cs.newHandler(ch.alloc(), "127.0.0.1", port));
                                }
                                ch.pipeline().addLast(new Streamer(data, stopAt));
                            }
                        }).connect("127.0.0.1", port).sync().channel();
                if (cs != null) {
                    SslHandler h = ch.pipeline().get(SslHandler.class);
                    h.handshakeFuture().sync();
                    cipher = h.engine().getSession().getProtocol() + " " + h.engine().getSession().getCipherSuite();
                }
                channels.add(ch);
            }
            channels.forEach(ch -> ch.eventLoop().execute(() -> ch.pipeline().get(Streamer.class).pump(ch)));
            Thread.sleep(warmup * 1000L);
            long b0 = received.get();
            long t0 = System.nanoTime();
            while (System.nanoTime() < stopAt) {
                Thread.sleep(50);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bytes = received.get() - b0;
            var p = r.parameters();
            p.put("provider", plaintext ? "none" : prov.name().toLowerCase(Locale.ROOT));
            p.put("cipher", cipher);
            p.put("connections", connections);
            p.put("chunk", chunk);
            p.put("durationSeconds", duration);
            p.put("warmupSeconds", warmup);
            p.put("threadsPerSide", threads);
            p.put("transport", epoll ? "epoll" : "nio");
            var t = r.json().putObject("throughput");
            t.put("bytes", bytes);
            t.put("seconds", BenchResult.round(seconds, 3));
            t.put("megabytesPerSecond", BenchResult.round(bytes / seconds / 1e6, 1));
            r.json().put("errors", 0);
            r.line("tls-ceiling: %,.1f MB/s (%,d bytes in %.2f s) over %d loopback connection(s), %s, %s, %s, "
                            + "writes of %d bytes, %d event-loop thread(s) per side",
                    bytes / seconds / 1e6, bytes, seconds, connections, plaintext ? "plaintext" : prov, cipher,
                    epoll ? "epoll" : "nio", chunk, threads);
            for (Channel ch : channels) {
                ch.close().sync();
            }
            server.close().sync();
        } finally {
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        return r;
    }

    /** Writes the chunk while the channel is writable, until {@code stopAt}. Per channel. */
    private static final class Streamer extends ChannelInboundHandlerAdapter {
        private final ByteBuf data;
        private final long stopAt;

        Streamer(ByteBuf data, long stopAt) {
            this.data = data;
            this.stopAt = stopAt;
        }

        void pump(Channel ch) {
            int n = 0;
            while (ch.isWritable() && System.nanoTime() < stopAt) {
                ch.write(data.duplicate(), ch.voidPromise());
                if (++n % 16 == 0) {
                    ch.flush();
                }
            }
            ch.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                pump(ctx.channel());
            }
            ctx.fireChannelWritabilityChanged();
        }
    }
}
