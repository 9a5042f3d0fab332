package io.logwire.server.limits;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection's share of the {@link Limits}: its request-rate bucket and the queries it
 * has running. One per connection; the rate check runs on the connection's event loop, the
 * query count is also decremented from scan threads (atomic).
 */
public final class ConnectionLimits {
    private final Limits limits;
    private final TokenBucket requests;
    final AtomicInteger queries = new AtomicInteger();
    /** TAILs open on this connection ({@code --max-tails-per-connection}). */
    public final AtomicInteger tails = new AtomicInteger();

    ConnectionLimits(Limits limits, TokenBucket requests) {
        this.limits = limits;
        this.requests = requests;
    }

    /**
     * Takes one request from the connection's {@code --max-request-rate} budget.
     *
     * @return null if the request may run, else why not (for the OVERLOADED message; counted)
     */
    public String overRequestRate() {
        if (requests == null || requests.tryTake(1)) {
            return null;
        }
        limits.rejected(Limits.Kind.REQUEST_RATE);
        return "request rate over " + limits.config().maxRequestRate()
                + " per second on this connection; slow down and retry";
    }

    /** Queries this connection has running. */
    public int queriesRunning() {
        return queries.get();
    }
}
