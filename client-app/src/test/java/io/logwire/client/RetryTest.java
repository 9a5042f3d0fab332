package io.logwire.client;

import io.logwire.protocol.message.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RetryTest {
    private static final Duration INITIAL = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofSeconds(10);

    @Test
    void backoffDoublesWithJitterUpToTheCap() {
        for (int attempt = 1; attempt <= 12; attempt++) {
            long base = Math.min(MAX.toMillis(), 100L << (attempt - 1));
            long d = Retry.delay(attempt, INITIAL, MAX, null).toMillis();
            assertThat(d).isBetween(base, base + base / 4);
        }
        assertThat(Retry.delay(60, INITIAL, MAX, null).toMillis()).isBetween(10_000L, 12_500L);
    }

    @Test
    void theServersHintIsTheShortestWait() {
        RetryLaterException hint = new RetryLaterException(ErrorCode.OVERLOADED.code(), "busy", 3,
                Duration.ofSeconds(30));
        assertThat(Retry.delay(1, INITIAL, MAX, hint)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void onlyTransientFailuresAreRetried() {
        assertThat(Retry.isTransient(new ConnectionException(ConnectionException.Reason.CLOSED, "x"))).isTrue();
        assertThat(Retry.isTransient(new ConnectionException(ConnectionException.Reason.CONNECTION_REFUSED, "x")))
                .isTrue();
        assertThat(Retry.isTransient(new ConnectionException(ConnectionException.Reason.UNTRUSTED_CERTIFICATE, "x")))
                .isFalse();
        assertThat(Retry.isTransient(new ConnectionException(ConnectionException.Reason.HOSTNAME_MISMATCH, "x")))
                .isFalse();
        assertThat(Retry.isTransient(new ConnectionException(ConnectionException.Reason.TLS_FAILURE, "cut")))
                .isTrue();
        assertThat(Retry.isTransient(new ServerErrorException(ErrorCode.OVERLOADED.code(), "x", 1))).isTrue();
        assertThat(Retry.isTransient(new ServerErrorException(ErrorCode.INVALID_QUERY.code(), "x", 1))).isFalse();
        assertThat(Retry.isTransient(new RequestTimeoutException("UPLOAD_ONCE", Duration.ofSeconds(1)))).isTrue();
        assertThat(Retry.isTransient(new IllegalStateException())).isFalse();
    }
}
