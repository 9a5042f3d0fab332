package io.logwire.server.compat;

import io.logwire.server.ConnectionLog;
import io.logwire.server.ExceptionHandler;
import io.logwire.server.ServerConfig;
import io.logwire.server.ServerContext;
import io.logwire.server.ServerInitializer;
import io.logwire.server.command.CommandTable;
import io.logwire.server.command.ConnectionHandler;
import io.logwire.server.metrics.TlsHandshakeMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The pipeline every compat listener (PROTOCOL.md Appendix A) shares: optional TLS, the byte
 * counter, the idle timer, the listener's own codec, then the main server's
 * {@link ConnectionHandler} over the same {@link CommandTable} and the same exception
 * handler. The codec turns the tutorial's bytes into {@code Request}s and the handlers'
 * {@code Reply}s back into the tutorial's bytes; nothing else differs from the main listener.
 * Connections count against {@code --max-connections}; one over the limit is closed at once
 * (these protocols cannot report an error).
 */
abstract class CompatServerInitializer extends ChannelInitializer<Channel> {
    static final String CODEC = "compat-codec";

    private final ServerContext server;
    private final CommandTable table;
    private final ChannelGroup channels;
    private final Supplier<SslContext> tls;
    private final ChannelHandler traffic;

    /** {@code tls} null: plaintext; otherwise asked for the current context (reloadable) per connection. */
    CompatServerInitializer(ServerContext server, CommandTable table, ChannelGroup channels,
                            Supplier<SslContext> tls) {
        this.server = server;
        this.table = table;
        this.channels = channels;
        this.tls = tls;
        this.traffic = ServerInitializer.trafficCounter(server.stats());
    }

    /** The listener's name in the connection log. */
    abstract String listener();

    /** A new per-channel codec between the bytes and the dispatch. */
    abstract ChannelHandler newCodec(ServerContext server);

    @Override
    protected void initChannel(Channel ch) {
        if (tls != null && !server.limits().tryHandshake()) {
            // Over --max-handshake-rate, whose budget the TLS listeners share: closed before any handshake work.
            ch.pipeline().addLast(ConnectionLog.NAME, new ConnectionLog(server, listener()));
            ConnectionLog.closing(ch, ConnectionLog.CloseReason.REFUSED, "TLS handshake rate");
            ch.close();
            return;
        }
        if (!ServerInitializer.admit(server, channels, ch)) {
            ch.pipeline().addLast(ConnectionLog.NAME, new ConnectionLog(server, listener()));
            ConnectionLog.closing(ch, ConnectionLog.CloseReason.REFUSED, "connection limit");
            ch.close();
            return;
        }
        ServerConfig config = server.config();
        ChannelPipeline p = ch.pipeline();
        if (config.maxByteRate() > 0) {
            p.addLast(io.logwire.server.limits.ByteRateLimiter.NAME,
                    new io.logwire.server.limits.ByteRateLimiter(server.limits(), config.maxByteRate()));
        }
        if (tls != null) {
            SslHandler ssl = tls.get().newHandler(ch.alloc());
            ssl.setHandshakeTimeout(config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            p.addLast(ServerInitializer.TLS, ssl);
            p.addLast(TlsHandshakeMetrics.NAME, server.stats().metrics().tlsHandshakes());
        }
        p.addLast(ConnectionLog.NAME, new ConnectionLog(server, listener()));
        p.addLast(ServerInitializer.TRAFFIC, traffic);
        p.addLast(ServerInitializer.IDLE,
                new IdleStateHandler(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast(CODEC, newCodec(server));
        p.addLast(ServerInitializer.DISPATCH, new ConnectionHandler(server, table));
        p.addLast(ServerInitializer.EXCEPTIONS, ExceptionHandler.INSTANCE);
    }

    /** Stream ids for the requests a compat connection makes internally: 1, 2, ... skipping 0. */
    static int next(int stream) {
        int n = stream + 1;
        return n == 0 ? 1 : n;
    }
}
