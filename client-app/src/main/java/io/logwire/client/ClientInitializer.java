package io.logwire.client;

import io.logwire.protocol.codec.MessageEncoder;
import io.logwire.protocol.compress.CompressedFrameDecoder;
import io.logwire.protocol.compress.CompressingMessageEncoder;
import io.logwire.protocol.message.Request;
import io.logwire.protocol.codec.ReplyDecoder;
import io.logwire.protocol.frame.FrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.util.concurrent.TimeUnit;

/**
 * Builds a connection's pipeline, mirroring the server's: {@code SslHandler} (SNI and hostname
 * verification for the server name), flush consolidation for pipelined requests, the frame
 * decoder, (version 2) the COMPRESSED unwrapper, the message encoder (compressing large uploads
 * once a codec is negotiated), the reply decoder, and the {@link ReplyRouter} last, which
 * also handles errors. In plaintext mode a one-shot guard recognises a TLS server.
 */
final class ClientInitializer extends ChannelInitializer<Channel> {
    static final String TLS = "tls";
    static final String PLAINTEXT_GUARD = "plaintext-guard";
    static final String FLUSH = "flush-consolidation";
    static final String FRAME_DECODER = "frame-decoder";
    static final String DECOMPRESSOR = "decompressor";
    static final String MESSAGE_ENCODER = "message-encoder";
    static final String REPLY_DECODER = "reply-decoder";
    static final String ROUTER = "router";

    private final ClientConfig config;
    private final SslContext sslContext;
    private final ReplyRouter router;

    ClientInitializer(ClientConfig config, SslContext sslContext, ReplyRouter router) {
        this.config = config;
        this.sslContext = sslContext;
        this.router = router;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (sslContext != null) {
            // The peer host is the server name: it is sent as SNI (unless it is an IP literal) and
            // the certificate is verified against it.
            SslHandler ssl = sslContext.newHandler(ch.alloc(), config.effectiveServerName(), config.port());
            SSLEngine engine = ssl.engine();
            if (!config.insecure()) {
                SSLParameters params = engine.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                engine.setSSLParameters(params);
            }
            if (!config.timeout().isZero()) {
                ssl.setHandshakeTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
            }
            p.addLast(TLS, ssl);
        } else {
            p.addLast(PLAINTEXT_GUARD, new PlaintextGuard(router));
        }
        p.addLast(FLUSH, new FlushConsolidationHandler(256, true));
        p.addLast(FRAME_DECODER, new FrameDecoder(config.maxFrameLength()));
        if (config.protocolVersion() >= 2) {
            // COMPRESSED replies (PROTOCOL.md 6.7) are unwrapped here, with the innerLength checks
            // made before any decompression; the server sends them only with a codec we announced.
            p.addLast(DECOMPRESSOR, new CompressedFrameDecoder(config.maxFrameLength()));
            // Uploads large enough to gain are compressed once HELLO_OK has named a codec we want.
            p.addLast(MESSAGE_ENCODER, new CompressingMessageEncoder(CompressingMessageEncoder.DEFAULT_THRESHOLD,
                    m -> m instanceof Request.Upload || m instanceof Request.UploadOnce));
        } else {
            p.addLast(MESSAGE_ENCODER, MessageEncoder.INSTANCE);
        }
        p.addLast(REPLY_DECODER, ReplyDecoder.INSTANCE);
        p.addLast(ROUTER, router);
    }

    /**
     * Looks at the first bytes a plaintext connection receives: a TLS record there (handshake 0x16
     * or alert 0x15, then version 0x03) means the server speaks TLS. One per channel; removes
     * itself after the first read.
     */
    static final class PlaintextGuard extends ChannelInboundHandlerAdapter {
        private final ReplyRouter router;

        PlaintextGuard(ReplyRouter router) {
            this.router = router;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b && b.readableBytes() >= 2) {
                int first = b.getUnsignedByte(b.readerIndex());
                int second = b.getUnsignedByte(b.readerIndex() + 1);
                if ((first == 0x15 || first == 0x16) && second == 0x03) {
                    b.release();
                    router.recordFailure(new ConnectionException(ConnectionException.Reason.TLS_SERVER,
                            "the server speaks TLS but the client was started with --plaintext; drop --plaintext"));
                    ctx.close();
                    return;
                }
            }
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(msg);
        }
    }
}
