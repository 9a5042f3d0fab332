package io.logwire.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The connection log: one INFO line when a connection closes, with its peer, listener, TLS
 * protocol and cipher suite, client-certificate subject, identity (PROTOCOL.md 6.8), requests, bytes in and out (protocol
 * bytes, inside TLS), duration and close reason, as SLF4J key/value pairs (fields in JSON
 * logs, {@code key="value"} in the human format). One handler per channel, right after TLS;
 * state is confined to the channel's event loop except the close reason, which any thread may
 * set first. Lines beyond {@code --connection-log-rate} a second are counted and summarised.
 */
public final class ConnectionLog extends ChannelDuplexHandler {
    public static final String NAME = "connection-log";
    private static final Logger log = LoggerFactory.getLogger(ConnectionLog.class);
    private static final AttributeKey<ConnectionLog> KEY = AttributeKey.valueOf("logwire.connection-log");

    /** Why a connection closed; the first reason recorded wins. */
    public enum CloseReason {
        CLIENT_CLOSED("client closed"),
        IDLE_TIMEOUT("idle timeout"),
        PROTOCOL_ERROR("protocol error"),
        TLS_ERROR("tls error"),
        TLS_HANDSHAKE_TIMEOUT("tls handshake timeout"),
        CONNECTION_RESET("connection reset"),
        SERVER_DRAIN("server drain"),
        REFUSED("refused"),
        INTERNAL_ERROR("internal error"),
        SERVER_CLOSED("server closed");

        private final String text;

        CloseReason(String text) {
            this.text = text;
        }

        /** The reason as logged. */
        public String text() {
            return text;
        }
    }

    private final ServerContext server;
    private final Limiter limiter;
    private final String listener;
    private final long startNanos = System.nanoTime();
    private Channel channel;
    private long bytesIn;
    private long bytesOut;
    private long requests;
    private String protocol = "-";
    private String cipher = "-";
    private String client = "-";
    private volatile String identity = "-";
    private volatile CloseReason reason;
    private volatile String detail;
    private boolean logged;

    /** A handler for one channel of {@code server}'s {@code listener} (main, legacy, app, echo). */
    public ConnectionLog(ServerContext server, String listener) {
        this.server = server;
        this.limiter = server.connectionLog();
        this.listener = listener;
    }

    /** Records why {@code channel} is closing, unless a reason was recorded already. Any thread. */
    public static void closing(Channel channel, CloseReason reason, String detail) {
        ConnectionLog c = channel.attr(KEY).get();
        if (c != null) {
            c.reason(reason, detail);
        }
    }

    /** Counts a request on {@code channel}. Event loop only. */
    public static void requestReceived(Channel channel) {
        ConnectionLog c = channel.attr(KEY).get();
        if (c != null) {
            c.requests++;
        }
    }

    /** Records the connection's identity (PROTOCOL.md 6.8) for its log line; null = none. */
    public static void identity(Channel channel, String identity) {
        ConnectionLog c = channel.attr(KEY).get();
        if (c != null) {
            c.identity = identity == null ? "-" : identity;
        }
    }

    private synchronized void reason(CloseReason r, String d) {
        if (reason == null) {
            detail = d;
            reason = r;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        channel.attr(KEY).set(this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        bytesIn += size(msg);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        bytesOut += size(msg);
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) {
            return b.readableBytes();
        }
        return msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                if (ssl != null) {
                    recordSession(ssl.engine().getSession());
                }
            } else if (e.cause() instanceof SslHandshakeTimeoutException) {
                reason(CloseReason.TLS_HANDSHAKE_TIMEOUT, null);
            } else if (e.cause() instanceof NotSslRecordException) {
                reason(CloseReason.TLS_ERROR, "not a TLS record");
            } else {
                reason(CloseReason.TLS_ERROR, "handshake failed: " + e.cause().getMessage());
            }
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // The client half-closed (compat listeners allow it); the server's close that follows is its answer.
            reason(CloseReason.CLIENT_CLOSED, null);
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void recordSession(SSLSession session) {
        protocol = session.getProtocol();
        cipher = session.getCipherSuite();
        try {
            Certificate[] peer = session.getPeerCertificates();
            if (peer.length > 0 && peer[0] instanceof X509Certificate x509) {
                client = x509.getSubjectX500Principal().getName();
            }
        } catch (SSLPeerUnverifiedException e) {
            client = "-"; // no client certificate: not mutual TLS
        }
    }

    /**
     * A close from a handler after this one or from outside the pipeline: the server closed it,
     * while draining if it is shutting down (the shutdown closes every connection).
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        reason(server.isDraining() ? CloseReason.SERVER_DRAIN : CloseReason.SERVER_CLOSED, null);
        ctx.close(promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        reason(CloseReason.CLIENT_CLOSED, null);
        if (!logged) {
            logged = true;
            if (limiter.tryAcquire(ctx.channel())) {
                logClosed(ctx.channel());
            }
        }
        ctx.fireChannelInactive();
    }

    private void logClosed(Channel ch) {
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String peer = String.valueOf(ch.remoteAddress());
        var event = log.atInfo().setMessage("connection closed")
                .addKeyValue("peer", peer.startsWith("/") ? peer.substring(1) : peer)
                .addKeyValue("listener", listener)
                .addKeyValue("tls", protocol)
                .addKeyValue("cipher", cipher)
                .addKeyValue("client", client)
                .addKeyValue("identity", identity)
                .addKeyValue("requests", requests)
                .addKeyValue("bytes_in", bytesIn)
                .addKeyValue("bytes_out", bytesOut)
                .addKeyValue("duration_ms", millis)
                .addKeyValue("reason", reason.text());
        String d = detail;
        if (d != null) {
            event = event.addKeyValue("detail", d);
        }
        event.log();
    }

    /**
     * At most {@code perSecond} connection-log lines a second across a server's listeners; the
     * rest are counted and reported in one summary line, at the next logged connection or a
     * second after the first suppressed one, whichever comes first. 0 turns the log off.
     */
    public static final class Limiter {
        private final int perSecond;
        private final LongSupplier nanoTime;
        private final AtomicLong window = new AtomicLong(Long.MIN_VALUE);
        private final AtomicLong inWindow = new AtomicLong();
        private final AtomicLong suppressed = new AtomicLong();
        private final AtomicBoolean flushScheduled = new AtomicBoolean();

        public Limiter(int perSecond) {
            this(perSecond, System::nanoTime);
        }

        Limiter(int perSecond, LongSupplier nanoTime) {
            this.perSecond = perSecond;
            this.nanoTime = nanoTime;
        }

        /** Whether a line may be logged now; if not, it is counted for the summary. */
        boolean tryAcquire(Channel channel) {
            if (perSecond <= 0) {
                return false;
            }
            long second = nanoTime.getAsLong() / 1_000_000_000L;
            long w = window.get();
            if (w != second && window.compareAndSet(w, second)) {
                inWindow.set(0);
                flush();
            }
            if (inWindow.incrementAndGet() <= perSecond) {
                return true;
            }
            suppressed.incrementAndGet();
            if (channel != null && flushScheduled.compareAndSet(false, true)) {
                try {
                    channel.eventLoop().schedule(() -> {
                        flushScheduled.set(false);
                        flush();
                    }, 1, TimeUnit.SECONDS);
                } catch (RejectedExecutionException e) {
                    flushScheduled.set(false); // shutting down; the next line or nobody reports it
                }
            }
            return false;
        }

        /** Logs the number of suppressed lines, if any. */
        void flush() {
            long n = suppressed.getAndSet(0);
            if (n > 0) {
                log.atInfo().setMessage("{} connection log entries suppressed (limit {} a second)")
                        .addArgument(n).addArgument(perSecond).addKeyValue("suppressed", n).log();
            }
        }
    }
}
