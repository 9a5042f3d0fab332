package io.logwire.server;

import io.logwire.protocol.codec.MessageCodec;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.frame.FrameDecoder;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.Reply;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A small raw client for end-to-end tests: sends bytes or messages, and collects every reply
 * frame decoded to a {@link Reply}. Frames are copied out, so tests need not release them.
 */
final class TestClient implements AutoCloseable {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    private final Channel channel;
    private final BlockingQueue<Object> replies;
    /** COMPRESSED frames received (they are unwrapped before {@link #next()} sees them). */
    final java.util.concurrent.atomic.AtomicInteger compressedReceived;

    private TestClient(Channel channel, BlockingQueue<Object> replies,
                       java.util.concurrent.atomic.AtomicInteger compressedReceived) {
        this.channel = channel;
        this.replies = replies;
        this.compressedReceived = compressedReceived;
    }

    /** Connects over TLS trusting {@code serverCert} (null: plaintext). */
    static TestClient connect(int port, Path serverCert) throws Exception {
        return connect(port, serverCert, true);
    }

    static TestClient connect(int port, Path serverCert, boolean autoRead) throws Exception {
        SslContext ssl = serverCert == null ? null : SslContextBuilder.forClient().trustManager(serverCert.toFile()).build();
        return connect(port, ssl, autoRead);
    }

    /** Connects with the given client TLS context (null: plaintext). */
    static TestClient connect(int port, SslContext ssl, boolean autoRead) throws Exception {
        // Made before connecting: a reply can arrive (e.g. a refusal right after the handshake)
        // before connect() returns to this thread.
        BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicInteger compressed = new java.util.concurrent.atomic.AtomicInteger();
        Bootstrap b = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, autoRead)
                // A client that will stop reading gets a small, fixed receive buffer: Linux would
                // otherwise grow it to tcp_rmem's maximum (32 MiB here) and hide the server's behaviour.
                .option(ChannelOption.SO_RCVBUF, autoRead ? 128 * 1024 : 64 * 1024)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) {
                            SslHandler h = ssl.newHandler(ch.alloc(), "localhost", port);
                            ch.pipeline().addLast(h);
                        }
                        ch.pipeline().addLast(new FrameDecoder(Integer.MAX_VALUE - 16));
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Frame f
                                        && f.opcode() == io.logwire.protocol.message.Opcode.COMPRESSED) {
                                    compressed.incrementAndGet();
                                }
                                ctx.fireChannelRead(msg);
                            }
                        });
                        ch.pipeline().addLast(new io.logwire.protocol.compress.CompressedFrameDecoder(
                                Integer.MAX_VALUE - 16));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<Frame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
                                Reply r = MessageCodec.decodeReply(f.opcode(), f.streamId(), f.body());
                                replies.add(copy(r));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                replies.add(cause);
                                ctx.close();
                            }
                        });
                    }
                });
        Channel ch = b.connect("127.0.0.1", port).sync().channel();
        TestClient c = new TestClient(ch, replies, compressed);
        if (ssl != null) {
            ch.pipeline().get(SslHandler.class).handshakeFuture().sync();
        }
        return c;
    }

    /** Replaces buffers in a reply by unpooled copies, releasing the originals. */
    private static Reply copy(Reply r) {
        if (r instanceof Reply.Rows rows) {
            Reply.Rows c = new Reply.Rows(rows.request(), rows.streamId(), rows.count(),
                    Unpooled.copiedBuffer(rows.entries()));
            ReferenceCountUtil.release(rows);
            return c;
        }
        if (r instanceof Reply.SeqRows rows) {
            Reply.SeqRows c = new Reply.SeqRows(rows.request(), rows.streamId(), rows.count(),
                    Unpooled.copiedBuffer(rows.rows()));
            ReferenceCountUtil.release(rows);
            return c;
        }
        if (r instanceof Reply.EchoOk e) {
            Reply.EchoOk c = new Reply.EchoOk(e.streamId(), Unpooled.copiedBuffer(e.data()));
            ReferenceCountUtil.release(e);
            return c;
        }
        return r;
    }

    Channel channel() {
        return channel;
    }

    void sendHex(String hex) {
        sendBytes(io.netty.buffer.ByteBufUtil.decodeHexDump(hex));
    }

    void sendBytes(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).syncUninterruptibly();
    }

    void send(Message m) {
        ByteBuf buf = MessageCodec.encode(m, ByteBufAllocator.DEFAULT);
        ReferenceCountUtil.release(m);
        channel.writeAndFlush(buf).syncUninterruptibly();
    }

    /** The next reply, failing if none arrives in 10 s or the connection failed. */
    Reply next() throws Exception {
        Object o = replies.poll(10, TimeUnit.SECONDS);
        if (o == null) {
            throw new AssertionError("no reply within 10 s");
        }
        if (o instanceof Throwable t) {
            throw new AssertionError("connection failed", t);
        }
        return (Reply) o;
    }

    /** The next reply if one arrives within {@code millis}, else null. */
    Reply poll(long millis) throws Exception {
        Object o = replies.poll(millis, TimeUnit.MILLISECONDS);
        if (o instanceof Throwable t) {
            throw new AssertionError("connection failed", t);
        }
        return (Reply) o;
    }

    /** Waits until the server closes the connection. */
    boolean awaitClosed(long millis) {
        return channel.closeFuture().awaitUninterruptibly(millis);
    }

    boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        Object o;
        while ((o = replies.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
