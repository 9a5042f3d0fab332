package io.logwire.server;

import io.logwire.protocol.codec.MessageEncoder;
import io.logwire.protocol.codec.RequestDecoder;
import io.logwire.protocol.compress.CompressedFrameDecoder;
import io.logwire.protocol.compress.CompressingMessageEncoder;
import io.logwire.protocol.frame.Frame;
import io.logwire.protocol.message.Message;
import io.logwire.protocol.message.Opcode;
import io.logwire.protocol.frame.FrameConstants;
import io.logwire.protocol.frame.FrameDecoder;
import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Reply;
import io.logwire.server.command.CommandTable;
import io.logwire.server.command.ConnectionHandler;
import io.logwire.server.limits.ByteRateLimiter;
import io.logwire.server.metrics.TlsHandshakeMetrics;
import io.logwire.server.tls.ReloadableServerTls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Builds each connection's pipeline in the design's order: {@code SslHandler}, the frame
 * decoder, the protocol codec, command dispatch, and the exception handler last. Connections
 * over the limit get one {@code ERROR OVERLOADED} on stream 0 and are closed.
 */
public final class ServerInitializer extends ChannelInitializer<Channel> {
    public static final String TLS = "tls";
    public static final String TRAFFIC = "traffic";
    public static final String FRAME_DECODER = "frame-decoder";
    public static final String IDLE = "idle";
    public static final String MESSAGE_ENCODER = "message-encoder";
    public static final String REQUEST_DECODER = "request-decoder";
    public static final String DISPATCH = "dispatch";
    public static final String EXCEPTIONS = "exceptions";
    public static final String REFUSE = "refuse";
    public static final String COMPRESSION_METER = "compression-meter";
    public static final String COMPRESSED_DECODER = CompressedFrameDecoder.NAME;

    private static final Logger log = LoggerFactory.getLogger(ServerInitializer.class);
    private static final RateLimitedLog refusals = new RateLimitedLog(log, 1);

    private final ServerContext server;
    private final ReloadableServerTls tls;
    private final CommandTable table;
    private final ChannelGroup channels;
    private final TrafficCounter traffic;
    private final CompressionMeter compressionMeter;

    public ServerInitializer(ServerContext server, ReloadableServerTls tls, CommandTable table, ChannelGroup channels) {
        this.server = server;
        this.tls = tls;
        this.table = table;
        this.channels = channels;
        this.traffic = new TrafficCounter(server.stats());
        this.compressionMeter = new CompressionMeter(server.stats());
    }

    /** Replies worth compressing (PROTOCOL.md 6.7: "only where it helps"): the bulky ones. */
    static boolean compressible(Message m) {
        return m instanceof Reply.Rows || m instanceof Reply.SeqRows || m instanceof Reply.AggregateOk;
    }

    @Override
    protected void initChannel(Channel ch) {
        ServerStats stats = server.stats();
        ServerConfig config = server.config();
        if (tls != null && !server.limits().tryHandshake()) {
            // Over --max-handshake-rate: closed before any handshake work (counted by the limits).
            refusals.warn("closing connection from {} at accept: over {} TLS handshakes per second",
                    ch.remoteAddress(), config.maxHandshakeRate());
            ch.close();
            return;
        }
        String refusal = admission(server, channels, ch);

        ChannelPipeline p = ch.pipeline();
        if (config.maxByteRate() > 0) {
            p.addLast(ByteRateLimiter.NAME, new ByteRateLimiter(server.limits(), config.maxByteRate()));
        }
        if (tls != null) {
            // The context in use now: a reload changes it for new connections only.
            SslHandler ssl = tls.context().newHandler(ch.alloc());
            ssl.setHandshakeTimeout(config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            p.addLast(TLS, ssl);
            p.addLast(TlsHandshakeMetrics.NAME, server.stats().metrics().tlsHandshakes());
        }
        p.addLast(ConnectionLog.NAME, new ConnectionLog(server, "main"));
        p.addLast(TRAFFIC, traffic);
        if (refusal != null) {
            ConnectionLog.closing(ch, ConnectionLog.CloseReason.REFUSED, "connection limit");
            p.addLast(MESSAGE_ENCODER, MessageEncoder.INSTANCE);
            p.addLast(REFUSE, new RefuseHandler(tls != null, refusal));
            p.addLast(EXCEPTIONS, ExceptionHandler.INSTANCE);
            return;
        }
        p.addLast(FRAME_DECODER, new CountingFrameDecoder(config.maxFrameLength(), stats));
        p.addLast(COMPRESSION_METER, compressionMeter);
        p.addLast(COMPRESSED_DECODER, new CompressedFrameDecoder(config.maxFrameLength()));
        p.addLast(IDLE, new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        // Sends like MessageEncoder until a HELLO version 2 accepting a codec switches compression on.
        p.addLast(MESSAGE_ENCODER, new CompressingMessageEncoder(CompressingMessageEncoder.DEFAULT_THRESHOLD,
                ServerInitializer::compressible));
        p.addLast(REQUEST_DECODER, RequestDecoder.INSTANCE);
        p.addLast(DISPATCH, new ConnectionHandler(server, table));
        p.addLast(EXCEPTIONS, ExceptionHandler.INSTANCE);
    }

    /**
     * Counts an accepted connection for STATS, adds it to the server's group (so shutdown closes
     * it) and applies {@code --max-connections}, across every listener. Shared with the
     * compat listeners.
     *
     * @return false if the connection is over the limit and must be refused (counted and logged)
     */
    public static boolean admit(ServerContext server, ChannelGroup channels, Channel ch) {
        return admission(server, channels, ch) == null;
    }

    /**
     * {@link #admit}, also applying {@code --max-connections-per-address}.
     *
     * @return null if admitted, else the OVERLOADED message to refuse the connection with
     */
    static String admission(ServerContext server, ChannelGroup channels, Channel ch) {
        ServerStats stats = server.stats();
        stats.connectionsAccepted.increment();
        int open = stats.connectionsOpen.incrementAndGet();
        ch.closeFuture().addListener(f -> stats.connectionsOpen.decrementAndGet());
        channels.add(ch);
        int max = server.config().maxConnections();
        if (open > max) {
            stats.connectionsRefused.increment();
            refusals.warn("refusing connection from {}: {} connections open, the maximum is {}", ch.remoteAddress(),
                    open, max);
            return "server has reached its connection limit (" + max + "); try again later";
        }
        String perAddress = server.limits().admitAddress(ch);
        if (perAddress != null) {
            refusals.warn("refusing connection from {}: over --max-connections-per-address ({})",
                    ch.remoteAddress(), server.config().maxConnectionsPerAddress());
        }
        return perAddress;
    }

    /** A handler counting protocol bytes for STATS {@code bytesReceived}/{@code bytesSent}; sharable. */
    public static ChannelHandler trafficCounter(ServerStats stats) {
        return new TrafficCounter(stats);
    }

    /** Counts one request for STATS {@code messagesReceived} (the compat listeners count commands). */
    public static void messageReceived(ServerStats stats) {
        stats.messagesReceived.increment();
    }

    /** The frame decoder, counting frames for STATS {@code messagesReceived}. One per channel. */
    private static final class CountingFrameDecoder extends FrameDecoder {
        private final ServerStats stats;

        CountingFrameDecoder(int maxFrameLength, ServerStats stats) {
            super(maxFrameLength);
            this.stats = stats;
        }

        @Override
        protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
            Object frame = super.decode(ctx, in);
            if (frame != null) {
                stats.messagesReceived.increment();
            }
            return frame;
        }
    }

    /** Counts protocol bytes (inside TLS) in both directions. */
    @Sharable
    private static final class TrafficCounter extends ChannelDuplexHandler {
        private final ServerStats stats;

        TrafficCounter(ServerStats stats) {
            this.stats = stats;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                stats.bytesReceived.add(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b) {
                stats.bytesSent.add(b.readableBytes());
            }
            ctx.write(msg, promise);
        }
    }

    /**
     * Counts COMPRESSED frames for the metrics, their size and the size of the frame inside:
     * inbound as frames (it sits after the frame decoder, before the COMPRESSED unwrapper),
     * outbound as the encoded frames the compressing encoder writes.
     */
    @Sharable
    private static final class CompressionMeter extends ChannelDuplexHandler {
        /** length, opcode, stream id, codec: where innerLength starts in an encoded COMPRESSED frame. */
        private static final int INNER_LENGTH_OFFSET = 4 + 2 + 4 + 1;
        private final ServerStats stats;

        CompressionMeter(ServerStats stats) {
            this.stats = stats;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Frame f && f.opcode() == Opcode.COMPRESSED && f.body().readableBytes() >= 5) {
                long inner = f.body().getUnsignedInt(f.body().readerIndex() + 1);
                stats.metrics().compressedFrame(false, inner + 4, 4 + 6 + f.body().readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf b && b.readableBytes() >= INNER_LENGTH_OFFSET + 4) {
                int i = b.readerIndex();
                if (b.getUnsignedShort(i + 4) == Opcode.COMPRESSED && b.getUnsignedInt(i) == b.readableBytes() - 4L) {
                    stats.metrics().compressedFrame(true, b.getUnsignedInt(i + INNER_LENGTH_OFFSET) + 4,
                            b.readableBytes());
                }
            }
            ctx.write(msg, promise);
        }
    }

    /** Sends OVERLOADED on stream 0 once the connection is usable, then closes it. One per channel. */
    private static final class RefuseHandler extends ChannelInboundHandlerAdapter {
        private final boolean waitForTls;
        private final String message;

        RefuseHandler(boolean waitForTls, String message) {
            this.waitForTls = waitForTls;
            this.message = message;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (!waitForTls) {
                refuse(ctx);
            }
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    refuse(ctx);
                } else {
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        private void refuse(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(new Reply.Error(FrameConstants.CONNECTION_STREAM, ErrorCode.OVERLOADED, message))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
