package io.logwire.server.limits;

import io.logwire.server.ServerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The token bucket and the query places, on a fake clock. */
class TokenBucketTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void aBurstPassesThenTheRateRefills() {
        TokenBucket b = new TokenBucket(10, 10, now::get);
        for (int i = 0; i < 10; i++) {
            assertThat(b.tryTake(1)).as("take %d of the burst", i).isTrue();
        }
        assertThat(b.tryTake(1)).isFalse();
        now.addAndGet(100_000_000L); // 0.1 s: one token
        assertThat(b.tryTake(1)).isTrue();
        assertThat(b.tryTake(1)).isFalse();
        now.addAndGet(60_000_000_000L); // a minute: back to the burst, not beyond
        assertThat(b.available()).isEqualTo(10.0);
    }

    @Test
    void aFailedTakeTakesNothing() {
        TokenBucket b = new TokenBucket(1, 2, now::get);
        assertThat(b.tryTake(3)).isFalse();
        assertThat(b.available()).isEqualTo(2.0);
    }

    @Test
    void badParametersAreRefused() {
        assertThatThrownBy(() -> new TokenBucket(0, 1, now::get)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0.5, now::get)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void queryPlacesArePerConnectionAndServerWideAndComeBack() {
        ServerConfig config = ServerConfig.builder().maxQueriesPerConnection(2).maxQueries(3).build();
        Limits limits = new Limits(config, new SimpleMeterRegistry(), now::get);
        ConnectionLimits a = limits.newConnection();
        ConnectionLimits b = limits.newConnection();
        assertThat(limits.startQuery(a)).isNull();
        assertThat(limits.startQuery(a)).isNull();
        assertThat(limits.startQuery(a)).contains("on this connection");
        assertThat(limits.startQuery(b)).isNull();
        assertThat(limits.startQuery(b)).contains("maximum of 3");
        assertThat(b.queriesRunning()).isEqualTo(1);
        limits.queryFinished(a);
        assertThat(limits.startQuery(b)).isNull();
        assertThat(limits.queriesRunning()).isEqualTo(3);
        assertThat(limits.rejections(Limits.Kind.QUERIES_PER_CONNECTION)).isEqualTo(1);
        assertThat(limits.rejections(Limits.Kind.QUERIES_TOTAL)).isEqualTo(1);
    }

    @Test
    void requestRateIsPerConnection() {
        ServerConfig config = ServerConfig.builder().maxRequestRate(2).build();
        Limits limits = new Limits(config, new SimpleMeterRegistry(), now::get);
        ConnectionLimits a = limits.newConnection();
        ConnectionLimits b = limits.newConnection();
        assertThat(a.overRequestRate()).isNull();
        assertThat(a.overRequestRate()).isNull();
        assertThat(a.overRequestRate()).contains("request rate over 2 per second");
        assertThat(b.overRequestRate()).isNull();
        now.addAndGet(500_000_000L);
        assertThat(a.overRequestRate()).isNull();
    }

    @Test
    void handshakeRateAndDurationsForMessages() {
        ServerConfig config = ServerConfig.builder().maxHandshakeRate(1).build();
        Limits limits = new Limits(config, new SimpleMeterRegistry(), now::get);
        assertThat(limits.tryHandshake()).isTrue();
        assertThat(limits.tryHandshake()).isFalse();
        assertThat(limits.rejections(Limits.Kind.TLS_HANDSHAKE_RATE)).isEqualTo(1);
        assertThat(Limits.describe(java.time.Duration.ofMinutes(2))).isEqualTo("2m");
        assertThat(Limits.describe(java.time.Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Limits.describe(java.time.Duration.ofMillis(800))).isEqualTo("800ms");
    }
}
