package io.logwire.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What is worth retrying, and how long to wait first: exponential backoff with jitter, never
 * shorter than a server's {@code retryAfterMillis} hint (ERROR_RETRY, PROTOCOL.md 6.6).
 */
public final class Retry {
    private Retry() {
    }

    /**
     * Whether {@code e} may go away by itself: a lost or refused connection, a timeout, or a
     * retriable server error (OVERLOADED, SHUTTING_DOWN, STORAGE_ERROR), or a TLS handshake that
     * failed without a certificate reason (a connection cut during it). Certificate problems,
     * bad requests and bad queries are not.
     */
    public static boolean isTransient(Throwable e) {
        if (e instanceof RequestTimeoutException) {
            return true;
        }
        if (e instanceof ServerErrorException s) {
            return s.isRetriable();
        }
        if (e instanceof ConnectionException c) {
            switch (c.reason()) {
                case CONNECTION_REFUSED:
                case TIMEOUT:
                case CLOSED:
                case SERVER_REFUSED:
                    // A connection cut in the middle of the TLS handshake: certificate problems have
                    // reasons of their own and are not retried.
                case TLS_FAILURE:
                    return true;
                default:
                    return false;
            }
        }
        return false;
    }

    /**
     * The wait before attempt {@code attempt} (1 = the first retry): {@code initial * 2^(attempt-1)}
     * capped at {@code max}, with up to 25% jitter, and at least the server's hint if {@code e}
     * carries one.
     */
    public static Duration delay(int attempt, Duration initial, Duration max, Throwable e) {
        long base = initial.toMillis() << Math.min(20, Math.max(0, attempt - 1));
        long capped = Math.min(max.toMillis(), Math.max(0, base));
        long jittered = capped + (capped > 0 ? ThreadLocalRandom.current().nextLong(capped / 4 + 1) : 0);
        long hint = e instanceof ServerErrorException s ? s.retryAfter().toMillis() : 0;
        return Duration.ofMillis(Math.max(hint, jittered));
    }
}
