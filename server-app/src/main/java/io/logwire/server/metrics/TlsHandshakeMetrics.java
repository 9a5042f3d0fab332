package io.logwire.server.metrics;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;

import javax.net.ssl.SSLException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/**
 * Counts TLS handshakes by outcome ({@code logwire_tls_handshakes_total}); goes right after the
 * {@code SslHandler}. Stateless and {@link Sharable}: one per server.
 */
@Sharable
public final class TlsHandshakeMetrics extends ChannelInboundHandlerAdapter {
    /** Pipeline name. */
    public static final String NAME = "tls-metrics";

    /** How a handshake ended; {@link #label()} is the {@code outcome} label. */
    public enum Outcome {
        OK("ok"),
        /** Not done within {@code --handshake-timeout}. */
        TIMEOUT("timeout"),
        /** The peer did not speak TLS (plaintext on the TLS port). */
        NOT_TLS("not_tls"),
        /** The peer sent no client certificate, or one the server does not trust (mutual TLS), or rejected ours. */
        CERTIFICATE("certificate"),
        /** No common protocol version or cipher, or another TLS protocol error. */
        PROTOCOL("protocol"),
        /** The connection closed before the handshake finished. */
        CLOSED("closed"),
        OTHER("other");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final ServerMetrics metrics;

    TlsHandshakeMetrics(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e) {
            metrics.handshake(e.isSuccess() ? Outcome.OK : classify(e.cause()));
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The reason a handshake failed, from its cause. */
    static Outcome classify(Throwable cause) {
        Throwable t = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (t instanceof SslHandshakeTimeoutException) {
            return Outcome.TIMEOUT;
        }
        if (t instanceof NotSslRecordException) {
            return Outcome.NOT_TLS;
        }
        if (t instanceof ClosedChannelException) {
            return Outcome.CLOSED;
        }
        if (t instanceof SSLException) {
            String m = String.valueOf(t.getMessage()).toUpperCase(Locale.ROOT);
            if (m.contains("CERT")) {
                return Outcome.CERTIFICATE;
            }
            if (m.contains("CLOSED") || m.contains("CLOSE_NOTIFY")) {
                return Outcome.CLOSED;
            }
            return Outcome.PROTOCOL;
        }
        return Outcome.OTHER;
    }
}
