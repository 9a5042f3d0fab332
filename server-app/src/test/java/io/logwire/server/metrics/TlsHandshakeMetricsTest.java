package io.logwire.server.metrics;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.nio.channels.ClosedChannelException;

import static io.logwire.server.metrics.TlsHandshakeMetrics.Outcome;
import static io.logwire.server.metrics.TlsHandshakeMetrics.classify;
import static org.assertj.core.api.Assertions.assertThat;

/** Failure reasons from what the JDK and OpenSSL (BoringSSL) engines report. */
class TlsHandshakeMetricsTest {
    @Test
    void classifiesHandshakeFailures() {
        assertThat(classify(new SslHandshakeTimeoutException("handshake timed out after 10000ms")))
                .isEqualTo(Outcome.TIMEOUT);
        assertThat(classify(new DecoderException(new NotSslRecordException("not an SSL/TLS record"))))
                .isEqualTo(Outcome.NOT_TLS);
        assertThat(classify(new ClosedChannelException())).isEqualTo(Outcome.CLOSED);
        assertThat(classify(new SSLHandshakeException("error:10000410:SSL routines:OPENSSL_internal:"
                + "PEER_DID_NOT_RETURN_A_CERTIFICATE"))).isEqualTo(Outcome.CERTIFICATE);
        assertThat(classify(new SSLHandshakeException("Empty client certificate chain"))).isEqualTo(Outcome.CERTIFICATE);
        assertThat(classify(new SSLHandshakeException("error:100000b8:SSL routines:OPENSSL_internal:NO_SHARED_CIPHER")))
                .isEqualTo(Outcome.PROTOCOL);
        assertThat(classify(new SSLException("SSLEngine closed already"))).isEqualTo(Outcome.CLOSED);
        assertThat(classify(new IllegalStateException("?"))).isEqualTo(Outcome.OTHER);
    }
}
