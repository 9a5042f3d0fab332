package io.logwire.server;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * WARN logging of peers' faults, at most {@code perSecond} lines a second, so a hostile or
 * broken client cannot flood the log. Suppressed lines are counted and reported.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final int perSecond;
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger log, int perSecond) {
        this.log = log;
        this.perSecond = perSecond;
    }

    /** Logs at WARN unless over the rate; never with a stack trace. */
    public void warn(String format, Object... args) {
        long second = System.nanoTime() / 1_000_000_000L;
        long w = window.get();
        if (w != second && window.compareAndSet(w, second)) {
            inWindow.set(0);
            long dropped = suppressed.getAndSet(0);
            if (dropped > 0) {
                log.warn("{} similar warnings suppressed", dropped);
            }
        }
        if (inWindow.incrementAndGet() <= perSecond) {
            log.warn(format, args);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
