package io.logwire.server.tls;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Warns ahead of the certificate's expiry: checks the certificate in use (the current one,
 * after any reload) every {@link #CHECK_INTERVAL} and logs a WARN once it expires within
 * {@link ServerTls#EXPIRY_WARNING}; also exports {@code logwire_tls_certificate_expiry_seconds},
 * the seconds until it expires (negative once expired), for alerting. One per server.
 */
public final class CertificateExpiryMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CertificateExpiryMonitor.class);
    /** How often the certificate in use is checked. */
    public static final Duration CHECK_INTERVAL = Duration.ofHours(12);

    private final ReloadableServerTls tls;
    private final Clock clock;
    private final ScheduledExecutorService timer;

    private CertificateExpiryMonitor(ReloadableServerTls tls, Clock clock) {
        this.tls = tls;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "logwire-tls-expiry");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts checking {@code tls} (the first check after {@link #CHECK_INTERVAL}; the load logs already). */
    public static CertificateExpiryMonitor start(ReloadableServerTls tls, MeterRegistry registry) {
        CertificateExpiryMonitor m = new CertificateExpiryMonitor(tls, Clock.systemUTC());
        Gauge.builder("logwire.tls.certificate.expiry", m, CertificateExpiryMonitor::secondsLeft).baseUnit("seconds")
                .description("Seconds until the TLS certificate in use expires (negative: expired)")
                .strongReference(true).register(registry);
        long every = CHECK_INTERVAL.toMillis();
        m.timer.scheduleWithFixedDelay(m::checkQuietly, every, every, TimeUnit.MILLISECONDS);
        return m;
    }

    /** Seconds until the certificate in use expires. */
    public double secondsLeft() {
        return Duration.between(clock.instant(), tls.current().notAfter()).toSeconds();
    }

    /** Logs a WARN if the certificate in use expires soon; returns whether it does. */
    public boolean check() {
        ServerTls current = tls.current();
        if (current.expiresSoon(clock.instant())) {
            log.warn("TLS certificate expires soon, replace it (the server reloads it without a restart): {}",
                    current.describe(clock.instant()));
            return true;
        }
        return false;
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            log.warn("TLS certificate expiry check failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
