package io.logwire.server.limits;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code ratePerSecond} tokens refill continuously up to {@code burst}; a
 * take succeeds when that many tokens are there. Thread-safe (synchronized: the per-connection
 * buckets are only ever touched by their event loop, so the lock is uncontended).
 */
public final class TokenBucket {
    private final double perNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long last;

    /**
     * @param ratePerSecond tokens added per second, positive
     * @param burst         the most tokens the bucket holds (and holds at the start), at least 1
     * @param nanoClock     a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    public TokenBucket(double ratePerSecond, double burst, LongSupplier nanoClock) {
        if (!(ratePerSecond > 0) || !(burst >= 1)) {
            throw new IllegalArgumentException("a token bucket needs rate > 0 and burst >= 1: " + ratePerSecond
                    + ", " + burst);
        }
        this.perNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    /** Takes {@code n} tokens if there are that many; otherwise takes none. */
    public synchronized boolean tryTake(double n) {
        refill();
        if (tokens >= n) {
            tokens -= n;
            return true;
        }
        return false;
    }

    /** The tokens there now (for tests and messages). */
    public synchronized double available() {
        refill();
        return tokens;
    }

    private void refill() {
        long now = nanoClock.getAsLong();
        long elapsed = now - last;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * perNano);
            last = now;
        }
    }
}
