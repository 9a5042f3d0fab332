package io.logwire.server.auth;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Failed AUTH attempts per client address in a sliding-ish window: once an address has
 * {@code max} failures within {@code windowNanos}, its AUTH requests are refused unchecked
 * until the window that started with its first failure ends. Bounded: at most
 * {@link #MAX_ADDRESSES} addresses are tracked; when full, expired ones are dropped, and if it
 * is still full the oldest-looking entries go first (an attacker with that many addresses is
 * not stopped by this limit anyway; the per-connection limit still applies). Thread-safe.
 */
public final class AuthFailures {
    static final int MAX_ADDRESSES = 65_536;

    private final int max;
    private final long windowNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<InetAddress, long[]> byAddress = new ConcurrentHashMap<>();

    /** {@code max} = 0 turns the limit off. */
    public AuthFailures(int max, long windowNanos, LongSupplier clock) {
        this.max = max;
        this.windowNanos = windowNanos;
        this.clock = clock;
    }

    /** Whether {@code address} is over the limit now. */
    public boolean blocked(InetAddress address) {
        if (max == 0 || address == null) {
            return false;
        }
        long[] w = byAddress.get(address);
        if (w == null) {
            return false;
        }
        synchronized (w) {
            return clock.getAsLong() - w[0] < windowNanos && w[1] >= max;
        }
    }

    /** Counts a failure from {@code address}. */
    public void failed(InetAddress address) {
        if (max == 0 || address == null) {
            return;
        }
        long now = clock.getAsLong();
        if (byAddress.size() >= MAX_ADDRESSES && !byAddress.containsKey(address)) {
            byAddress.values().removeIf(w -> {
                synchronized (w) {
                    return now - w[0] >= windowNanos;
                }
            });
            var it = byAddress.keySet().iterator();
            while (byAddress.size() >= MAX_ADDRESSES && it.hasNext()) {
                it.next();
                it.remove();
            }
        }
        long[] w = byAddress.computeIfAbsent(address, a -> new long[] {now, 0});
        synchronized (w) {
            if (now - w[0] >= windowNanos) {
                w[0] = now;
                w[1] = 0;
            }
            w[1]++;
        }
    }

    /** Addresses tracked now (for tests). */
    int tracked() {
        return byAddress.size();
    }
}
