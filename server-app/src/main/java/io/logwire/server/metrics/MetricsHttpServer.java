package io.logwire.server.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operations HTTP endpoint: {@code GET /metrics} (Prometheus text, or OpenMetrics when the
 * scraper asks for it), {@code GET /healthz} (200 while the process runs) and {@code GET /readyz}
 * (200 when ready, else 503 with the reason). Netty's HTTP codec on an event loop of its own
 * (one thread), never the protocol's: a slow scrape cannot delay a request, and a flood of
 * requests cannot starve a scrape. At most {@value #MAX_CONNECTIONS} connections; idle ones
 * close after {@value #IDLE_SECONDS} s.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsHttpServer.class);
    static final int MAX_CONNECTIONS = 64;
    static final int IDLE_SECONDS = 60;
    /** Requests are GETs: anything with a larger head or body gets 413 or 431 and is closed. */
    static final int MAX_REQUEST_BYTES = 8192;
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final EventLoopGroup group;
    private final Channel channel;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private final ChannelGroup connections;

    private MetricsHttpServer(EventLoopGroup group, Channel channel, ChannelGroup connections) {
        this.group = group;
        this.channel = channel;
        this.connections = connections;
    }

    /**
     * Binds {@code bindAddress:port} (port 0: any free port).
     *
     * @throws IOException if the address cannot be bound
     */
    public static MetricsHttpServer start(String bindAddress, int port, ServerMetrics metrics, Readiness readiness)
            throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("logwire-metrics", true),
                NioIoHandler.newFactory());
        AtomicInteger open = new AtomicInteger();
        ChannelGroup connections = new DefaultChannelGroup("logwire-metrics", group.next());
        Handler handler = new Handler(metrics, readiness);
        try {
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 64)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            if (open.incrementAndGet() > MAX_CONNECTIONS) {
                                open.decrementAndGet();
                                c.close();
                                return;
                            }
                            c.closeFuture().addListener(f -> open.decrementAndGet());
                            connections.add(c);
                            c.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS))
                                    .addLast(new HttpServerCodec(4096, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES))
                                    .addLast(new HttpServerKeepAliveHandler())
                                    .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                    .addLast(handler);
                        }
                    })
                    .bind(bindAddress, port).syncUninterruptibly().channel();
            return new MetricsHttpServer(group, ch, connections);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot bind the metrics port " + bindAddress + ":" + port + ": " + e, e);
        }
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops listening, closes open connections and the thread. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers one request at a time per connection; shared by all of them. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ServerMetrics metrics;
        private final Readiness readiness;

        Handler(ServerMetrics metrics, Readiness readiness) {
            this.metrics = metrics;
            this.readiness = readiness;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                send(ctx, req, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8", "bad request\n");
                return;
            }
            boolean head = HttpMethod.HEAD.equals(req.method());
            if (!HttpMethod.GET.equals(req.method()) && !head) {
                FullHttpResponse r = response(req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                        "only GET and HEAD\n", false);
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                write(ctx, req, r);
                return;
            }
            String path = new QueryStringDecoder(req.uri()).path();
            switch (path) {
                case "/metrics" -> {
                    String accept = req.headers().get(HttpHeaderNames.ACCEPT, "");
                    String type = accept.contains("application/openmetrics-text")
                            ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
                    String body;
                    try {
                        body = metrics.scrape(type);
                    } catch (RuntimeException e) {
                        log.error("metrics scrape failed", e);
                        send(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                                "scrape failed; the server log says more\n");
                        return;
                    }
                    write(ctx, req, response(req, HttpResponseStatus.OK, type, body, head));
                }
                case "/healthz" -> write(ctx, req,
                        response(req, HttpResponseStatus.OK, "text/plain; charset=utf-8", "ok\n", head));
                case "/readyz" -> {
                    String reason = readiness.notReadyReason();
                    write(ctx, req, reason == null
                            ? response(req, HttpResponseStatus.OK, "text/plain; charset=utf-8", "ready\n", head)
                            : response(req, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                                    "not ready: " + reason + "\n", head));
                }
                default -> send(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8",
                        "not found; try /metrics, /healthz or /readyz\n");
            }
        }

        private static void send(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status,
                                 String type, String body) {
            write(ctx, req, response(req, status, type, body, false));
        }

        private static FullHttpResponse response(FullHttpRequest req, HttpResponseStatus status, String type,
                                                 String body, boolean head) {
            ByteBuf content = head ? io.netty.buffer.Unpooled.EMPTY_BUFFER
                    : ByteBufUtil.writeUtf8(io.netty.buffer.ByteBufAllocator.DEFAULT, body);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
            HttpUtil.setContentLength(r, head ? body.getBytes(StandardCharsets.UTF_8).length : content.readableBytes());
            return r;
        }

        private static void write(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse r) {
            // HttpServerKeepAliveHandler adds Connection: close and closes when the request asked for it.
            ctx.writeAndFlush(r);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException) && !(cause instanceof io.netty.handler.timeout.ReadTimeoutException)) {
                log.debug("metrics connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.close();
        }
    }
}
