package io.logwire.bench;

import io.logwire.protocol.codec.MessageEncoder;
import io.logwire.protocol.codec.ReplyDecoder;
import io.logwire.protocol.frame.FrameDecoder;
import io.logwire.protocol.message.Reply;
import io.logwire.protocol.message.Request;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One pipelined connection of the load harness: the same pipeline as the product's client
 * (TLS, frame decoder, reply decoder, message encoder); replies complete per-stream futures.
 */
final class BenchConnection implements AutoCloseable {
    private final Channel channel;
    private final Map<Integer, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final Map<Integer, Consumer<Reply.Rows>> rowSinks = new ConcurrentHashMap<>();
    private int nextStream = 1;

    private BenchConnection(Channel channel) {
        this.channel = channel;
    }

    static BenchConnection open(EventLoopGroup group, Class<? extends Channel> channelClass, String host, int port,
                                SslContext ssl) throws InterruptedException {
        BenchConnection[] self = new BenchConnection[1];
        Bootstrap b = new Bootstrap().group(group).channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast(new FrameDecoder(Integer.MAX_VALUE - 16), MessageEncoder.INSTANCE,
                                ReplyDecoder.INSTANCE, new SimpleChannelInboundHandler<Reply>(false) {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Reply r) {
                                        self[0].dispatch(r);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        self[0].failAll(new IllegalStateException("connection closed"));
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        self[0].failAll(cause);
                                        ctx.close();
                                    }
                                });
                    }
                });
        Channel ch = b.connect(host, port).sync().channel();
        BenchConnection c = new BenchConnection(ch);
        self[0] = c;
        if (ssl != null) {
            ch.pipeline().get(SslHandler.class).handshakeFuture().sync();
        }
        return c;
    }

    private void dispatch(Reply r) {
        if (r instanceof Reply.Rows rows) {
            Consumer<Reply.Rows> sink = rowSinks.get(rows.streamId());
            try {
                if (sink != null) {
                    sink.accept(rows);
                }
            } finally {
                ReferenceCountUtil.release(rows);
            }
            return;
        }
        rowSinks.remove(r.streamId());
        CompletableFuture<Reply> f = pending.remove(r.streamId());
        if (f != null) {
            f.complete(r);
        }
        ReferenceCountUtil.release(r);
    }

    private void failAll(Throwable t) {
        pending.values().forEach(f -> f.completeExceptionally(t));
        pending.clear();
    }

    synchronized int nextStream() {
        int s = nextStream++;
        if (nextStream == 0) {
            nextStream = 1;
        }
        return s;
    }

    /** Sends {@code request} (built for {@code stream}); completes with its final reply. */
    CompletableFuture<Reply> send(int stream, Request request) {
        CompletableFuture<Reply> f = new CompletableFuture<>();
        pending.put(stream, f);
        channel.writeAndFlush(request, channel.voidPromise());
        return f;
    }

    /** Sends a QUERY or SEARCH; {@code rows} sees every ROWS frame (valid during the call). */
    CompletableFuture<Reply> scan(int stream, Request request, Consumer<Reply.Rows> rows) {
        rowSinks.put(stream, rows);
        return send(stream, request);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
